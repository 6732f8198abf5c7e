/** ImageResize: resample an IMAGE batch. */
import type { NodeDefinition } from "../graph/types.js";
import { RESIZE_METHODS, resizeImage, type ResizeMethod } from "../image/resize.js";
import { imageDims, type ImageTensor } from "../image/tensor.js";

/** The `ImageResize` node. */
export const ImageResize: NodeDefinition = {
  name: "ImageResize",
  display_name: "Resize Image",
  description: "Resizes images to width × height (PIL-style filters; shrinking antialiases).",
  category: "image",
  input: {
    required: {
      image: ["IMAGE"],
      width: ["INT", { default: 64, min: 1, max: 8192, step: 1 }],
      height: ["INT", { default: 64, min: 1, max: 8192, step: 1 }],
      method: [RESIZE_METHODS, { default: "bicubic", tooltip: "nearest keeps hard edges; bicubic is GLIDE's notebooks' choice" }],
    },
  },
  output: ["IMAGE"],
  execute({ image, width, height, method }: { image: ImageTensor; width: number; height: number; method: ResizeMethod }) {
    imageDims(image, "ImageResize image");
    const out = resizeImage(image, width, height, method);
    // Bicubic and lanczos overshoot; IMAGE stays in 0..1.
    for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]));
    return { result: [out] };
  },
};
