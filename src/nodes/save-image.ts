/** SaveImage and PreviewImage: PNG files with the workflow embedded. */
import fs from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { resolveInFolder } from "../graph/inputs.js";
import type { ApiPrompt, ImageRef, NodeDefinition } from "../graph/types.js";
import { encodePngRgb, latin1Json } from "../image/png.js";
import { imageDims, imageToRgb8, type ImageTensor } from "../image/tensor.js";

/**
 * Writes `bytes` as `<prefix>_<counter:05>_.png` in `dir`, with the next free counter. The file appears
 * whole: a temp file, then a hard link to the final name (which fails if the name is taken, so two
 * writers never clobber each other), or a rename where the filesystem has no hard links.
 */
async function writeNumbered(dir: string, prefix: string, bytes: Uint8Array): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_(\\d{5,})_\\.png$`);
  let counter = 1;
  for (const name of await fs.readdir(dir)) {
    const m = pattern.exec(name);
    if (m) counter = Math.max(counter, Number(m[1]) + 1);
  }
  const tmp = path.join(dir, `.${prefix}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // Inside the try: a write that fails half-way (a full disk) must not leave its part behind.
    await fs.writeFile(tmp, bytes);
    for (;;) {
      const name = `${prefix}_${String(counter).padStart(5, "0")}_.png`;
      const file = path.join(dir, name);
      try {
        await fs.link(tmp, file);
        return name;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EEXIST") {
          counter++;
          continue;
        }
        // Filesystems without hard links: a rename is still atomic, only the no-clobber check races.
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
        if (await fs.stat(file).catch(() => null)) {
          counter++;
          continue;
        }
        await fs.rename(tmp, file);
        return name;
      }
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Splits a `sub/folder/name` prefix and checks it stays inside `root`. */
function splitPrefix(root: string, prefix: string): { dir: string; subfolder: string; name: string } {
  const clean = prefix.replace(/\\/g, "/").trim() || "glide";
  const full = resolveInFolder(root, clean);
  const subfolder = path.relative(root, path.dirname(full)).split(path.sep).join("/");
  return { dir: path.dirname(full), subfolder, name: path.basename(full) };
}

/** Saves every image of a batch; returns what the UI shows. */
async function saveBatch(
  images: ImageTensor,
  root: string,
  prefix: string,
  type: ImageRef["type"],
  text: Record<string, string>,
): Promise<ImageRef[]> {
  const { B, H, W } = imageDims(images, "images");
  const { dir, subfolder, name } = splitPrefix(root, prefix);
  const refs: ImageRef[] = [];
  for (let b = 0; b < B; b++) {
    const png = encodePngRgb(W, H, imageToRgb8(images, b), text);
    refs.push({ filename: await writeNumbered(dir, name, png), subfolder, type });
  }
  return refs;
}

/** The `SaveImage` node. */
export const SaveImage: NodeDefinition = {
  name: "SaveImage",
  display_name: "Save Image",
  description:
    "Saves images as PNG in the output folder as <prefix>_00001_.png, … . Each file embeds the workflow (tEXt chunks `prompt` and `workflow`): open it in the editor or run it with `glide-studio run image.png`.",
  category: "image",
  output_node: true,
  input: {
    required: {
      images: ["IMAGE", { tooltip: "The images to save" }],
      filename_prefix: ["STRING", { default: "glide", tooltip: "File name prefix; may include sub-folders (a/b/name)" }],
    },
    hidden: { prompt: "PROMPT", extra_pnginfo: "EXTRA_PNGINFO" },
  },
  output: [],
  async execute(
    { images, filename_prefix, prompt, extra_pnginfo }: { images: ImageTensor; filename_prefix: string; prompt: ApiPrompt; extra_pnginfo: Record<string, unknown> },
    ctx,
  ) {
    const text: Record<string, string> = { prompt: latin1Json(prompt) };
    for (const [key, value] of Object.entries(extra_pnginfo ?? {})) text[key] = latin1Json(value);
    return { ui: { images: await saveBatch(images, ctx.paths.output, filename_prefix, "output", text) } };
  },
};

/** The `PreviewImage` node. */
export const PreviewImage: NodeDefinition = {
  name: "PreviewImage",
  display_name: "Preview Image",
  description: "Shows images without keeping them in the output folder: they are written to the temp folder.",
  category: "image",
  output_node: true,
  input: { required: { images: ["IMAGE"] } },
  output: [],
  async execute({ images }: { images: ImageTensor }, ctx) {
    const prefix = `preview_${randomBytes(4).toString("hex")}`;
    return { ui: { images: await saveBatch(images, ctx.paths.temp, prefix, "temp", {}) } };
  },
};
