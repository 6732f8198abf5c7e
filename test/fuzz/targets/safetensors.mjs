// Fuzz target: safetensors checkpoints through readCheckpointIndex → readTensorData → resolveGlideConfig,
// and for a tenth of the inputs made from the GLIDE base model, the native loader (loadModel) too.
// Mutations: header-aware (dtypes, shapes, data_offsets, entry names and `__metadata__`), the 8-byte
// length prefix at boundary values, the JSON text and the data section edited as bytes.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mutateBytes } from "../mutate.mjs";
import { mutateSafetensors } from "../safetensors.mjs";
import { readCheckpointStages } from "./checkpoint-common.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const limits = {
  caseMs: 5000,
  // The header (≤ 100 MB by the format's rule, but never more than the file) and one tensor at a time;
  // the native loader holds the model's float32 weights (2× an fp16 file).
  alloc: (n) => 3 * n + 2 ** 20,
  rss: (n) => 4 * n + 256 * 2 ** 20,
};

/** Seeds: a tiny hand-made file with metadata, the CLIP image encoder and the GLIDE base UNet, converted. */
export async function seeds(ctx) {
  const api = await import("glide-studio");
  const out = [];
  const tiny = path.join(ctx.tmp, "tiny.safetensors");
  await api.writeSafetensors(
    tiny,
    [
      { name: "a.weight", dtype: "float32", shape: [2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
      { name: "a.bias", dtype: "float16", shape: [2], data: new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer) },
      { name: "b", dtype: "bfloat16", shape: [], data: new Uint8Array(new Uint16Array([0x3f80]).buffer) },
    ],
    { format: "pt", note: "fuzz seed" },
  );
  out.push({ label: "tiny", bytes: fs.readFileSync(tiny) });
  for (const stem of ["clip_image_enc", "base"]) {
    const file = path.join(ctx.tmp, `${stem}.safetensors`);
    await api.convertCheckpoint(path.join(root, `test/fixtures/glide/checkpoints/${stem}.pt`), file);
    out.push({ label: stem, bytes: fs.readFileSync(file), meta: stem === "base" ? { native: true } : {} });
  }
  return out;
}

/** One mutated input: {input, meta}; `meta.native` asks for a native load when the config resolves. */
export function mutate(rng, seeds) {
  const s = rng.pick(seeds);
  const meta = { native: s.label === "base" && rng.chance(0.1) };
  const byteMutate = (b) => mutateBytes(b, rng, seeds.map((x) => x.bytes));
  return { input: rng.chance(0.8) ? mutateSafetensors(s.bytes, rng, byteMutate) : byteMutate(s.bytes), meta };
}

let api;
/** Worker side: the library, and the base model's options sidecar next to the case file (heads are not in the shapes). */
export async function setup(ctx) {
  api = await import("glide-studio");
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "test/fixtures/glide/manifest.json"), "utf8"));
  fs.writeFileSync(api.sidecarPaths(path.join(ctx.tmp, "case.safetensors"))[0], JSON.stringify(manifest.configs.base));
}

/** Runs one case: index, tensors (up to 8), config; then, if asked and the config resolved, a native load. */
export async function run(input, meta, ctx) {
  const { file, result } = await readCheckpointStages(api, input, "case.safetensors", ctx);
  if (result) return result;
  if (meta.native) {
    try {
      const model = await api.loadModel(file);
      model.dispose();
    } catch (error) {
      return { outcome: "ok", stage: "native", otherErrors: [error], file };
    }
  }
  return { outcome: "ok", stage: "done", file };
}

/** Errors name the file. */
export function check(result) {
  for (const e of [result.error, ...(result.otherErrors ?? [])]) {
    if (e && /^fuzz:/.test(e.message)) return e.message;
    if (e && !String(e.message).includes(result.file)) return `error does not name the file: ${e.message.slice(0, 300)}`;
  }
  return null;
}
