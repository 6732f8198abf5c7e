/** LoadImage and LoadMask: pictures from the input folder. */
import type { FolderPaths, NodeDefinition } from "../graph/types.js";
import { resolveInFolder } from "../graph/inputs.js";
import { readImageFile } from "../image/read.js";
import type { ImageTensor } from "../image/tensor.js";
import { contentDigest, INPUT_IMAGES } from "./files.js";

const fingerprint = (inputs: Record<string, unknown>, paths: FolderPaths) =>
  contentDigest(resolveInFolder(paths.input, String(inputs.image)));

/** The `LoadImage` node. */
export const LoadImage: NodeDefinition = {
  name: "LoadImage",
  display_name: "Load Image",
  description:
    "Loads a PNG or JPEG from the input folder. Outputs the picture and a MASK from its alpha channel: transparent pixels (alpha 0) become 1 = region to repaint; without alpha the mask is all 0 (keep everything).",
  category: "image",
  input: {
    required: {
      image: [INPUT_IMAGES, { image_upload: true, tooltip: "A file in the input folder" }],
    },
  },
  output: ["IMAGE", "MASK"],
  output_name: ["IMAGE", "MASK"],
  fingerprint,
  async execute({ image }: { image: string }, ctx) {
    const pic = await readImageFile(resolveInFolder(ctx.paths.input, image));
    const img: ImageTensor = { shape: [1, pic.height, pic.width, 3], data: pic.rgb };
    const maskData = new Float32Array(pic.width * pic.height);
    if (pic.alpha) for (let i = 0; i < maskData.length; i++) maskData[i] = 1 - pic.alpha[i];
    return { result: [img, { shape: [1, pic.height, pic.width], data: maskData }] };
  },
};

const CHANNELS = ["alpha", "red", "green", "blue", "luminance"] as const;

/** The `LoadMask` node. */
export const LoadMask: NodeDefinition = {
  name: "LoadMask",
  display_name: "Load Mask",
  description:
    "Loads a MASK from one channel of a picture in the input folder: red/green/blue/luminance as they are (white = 1 = repaint), alpha inverted (transparent = repaint), as ComfyUI does.",
  category: "mask",
  input: {
    required: {
      image: [INPUT_IMAGES, { image_upload: true, tooltip: "A file in the input folder" }],
      channel: [CHANNELS, { default: "alpha", tooltip: "Which channel holds the mask" }],
    },
    optional: {
      invert: ["BOOLEAN", { default: false, tooltip: "Swap repaint and keep" }],
    },
  },
  output: ["MASK"],
  fingerprint,
  async execute({ image, channel, invert }: { image: string; channel: (typeof CHANNELS)[number]; invert?: boolean }, ctx) {
    const pic = await readImageFile(resolveInFolder(ctx.paths.input, image));
    const n = pic.width * pic.height;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = pic.rgb[i * 3];
      const g = pic.rgb[i * 3 + 1];
      const b = pic.rgb[i * 3 + 2];
      let v: number;
      if (channel === "alpha") v = 1 - (pic.alpha ? pic.alpha[i] : 1);
      else if (channel === "luminance") v = 0.299 * r + 0.587 * g + 0.114 * b;
      else v = channel === "red" ? r : channel === "green" ? g : b;
      data[i] = invert ? 1 - v : v;
    }
    return { result: [{ shape: [1, pic.height, pic.width], data }] };
  },
};
