// Fuzz target: workflows embedded in PNGs saved by glide-studio (`tEXt` chunks "workflow" and "prompt"),
// loaded as `glide-studio run picture.png` and the editor's drop handler load them, then validated.
// Mutations: chunk-aware PNG edits (the tEXt payloads through the structure-aware JSON mutator, IHDR
// sizes, IDAT bombs) and byte edits. Reading the text must not decode the pixels: the allocation bound
// is a few times the file's size.
import fs from "node:fs";
import path from "node:path";
import { mutateImage, rawPng } from "./image-seeds.mjs";
import { checkWorkflow, loadAndValidate, workflowSeeds, workflowSetup } from "./workflow-common.mjs";

export const limits = { caseMs: 5000, alloc: (n) => 4 * n + 2 ** 20, rss: (n) => 40 * n + 256 * 2 ** 20 };

/** Seeds: a flat 256×256 picture (compresses ~100:1) and a 12×12 noise picture, with the shipped workflows. */
export async function seeds() {
  const api = await import("glide-studio");
  const wfs = await workflowSeeds();
  const out = [];
  for (let i = 0; i < wfs.length; i += 2) {
    const editor = wfs[i].value;
    const prompt = wfs[i + 1].value;
    const text = { prompt: api.latin1Json(prompt), workflow: api.latin1Json(editor) };
    out.push({ label: `${wfs[i].label}.png`, bytes: rawPng({ w: 256, h: 256, ct: 2, depth: 8, sample: () => 128, text }) });
    out.push({ label: `${wfs[i].label} (prompt only).png`, bytes: rawPng({ w: 12, h: 12, ct: 6, depth: 8, sample: (x, y, c) => x * y * (c + 1), text: { prompt: text.prompt } }) });
  }
  return out;
}

export function mutate(rng, seeds) {
  return { input: mutateImage(rng, seeds), meta: {} };
}

let env;
export async function setup(ctx) {
  env = await workflowSetup(ctx);
}

export async function run(input, _meta, ctx) {
  const file = path.join(ctx.tmp, "case.png");
  fs.writeFileSync(file, input);
  return loadAndValidate(env, file);
}

export const check = checkWorkflow;
