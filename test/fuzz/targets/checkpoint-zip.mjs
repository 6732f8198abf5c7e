// Fuzz target: PyTorch zip checkpoints (zip container + pickled state dict + storages) through
// readCheckpointIndex → readTensorData → resolveGlideConfig. Mutations: opcode-aware pickle edits
// (including injected forbidden calls, which must never load, and floods deflated into tiny files),
// zip header fields at boundary values, archive members dropped / renamed / truncated / compressed,
// and format-blind byte edits.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mutateBytes } from "../mutate.mjs";
import { mutatePickle } from "../pickle.mjs";
import { buildZip, mutateZipFields, readZip } from "../zip.mjs";
import { readCheckpointStages } from "./checkpoint-common.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Case time bound, and memory bounds by input size. */
export const limits = {
  caseMs: 10000,
  // The reader holds the pickle (≤ 64 MiB, possibly inflated from a small member) and nothing larger.
  alloc: (n) => 2 * n + 80 * 2 ** 20,
  rss: (n) => 4 * n + 384 * 2 ** 20,
};

/** Seeds: a real torch.save file and hand-made ones (fp16, strided views, `_metadata`, zip64). */
export async function seeds(ctx) {
  const { Pickle, stateDictPickle, writeTorchZip, f32, u16 } = await import("../../checkpoint-craft.mjs");
  const out = [];
  const real = fs.readFileSync(path.join(root, "test/fixtures/glide/checkpoints/clip_image_enc.pt"));
  out.push({ label: "clip_image_enc.pt", bytes: real });
  const tensors = [
    { name: "a.weight", type: "FloatStorage", key: "0", numel: 6, shape: [2, 3], strides: [3, 1] },
    { name: "a.bias", type: "HalfStorage", key: "1", numel: 4, shape: [4], strides: [1] },
    { name: "a.t", type: "FloatStorage", key: "0", numel: 6, offset: 1, shape: [2, 2], strides: [1, 2] },
  ];
  const storages = { 0: f32([1, 2, 3, 4, 5, 6]), 1: u16([0x3c00, 0x4000, 0xbc00, 0]) };
  const pkl = stateDictPickle(tensors);
  // An OrderedDict carrying `_metadata` through BUILD, as torch writes for modules.
  const withMeta = Buffer.concat([pkl.subarray(0, pkl.length - 1), new Pickle().emptyDict().build().stop().bytes()]);
  for (const [label, pickle, zip64] of [["crafted", pkl, false], ["crafted-metadata", withMeta, false], ["crafted-zip64", pkl, true]]) {
    const file = path.join(ctx.tmp, `${label}.pt`);
    await writeTorchZip(file, { prefix: "archive", pickle, storages, zip64 });
    out.push({ label, bytes: fs.readFileSync(file) });
  }
  for (const s of out) s.members = readZip(s.bytes);
  return out;
}

const MEMBER_NAMES = ["archive/data.pkl", "data.pkl", "../data.pkl", "a/b/data.pkl", "archive/data/0", "archive/data/../0", "archive/byteorder", "archive/version", ""];

/** One mutated input: {input, meta}. */
export function mutate(rng, seeds) {
  const s = rng.pick(seeds);
  const meta = {};
  const r = rng.int(100);
  if (r < 45) {
    const members = s.members.map((m) => ({ ...m }));
    const pkl = members.find((m) => m.name.endsWith("data.pkl"));
    if (pkl) {
      // A forbidden call is always the last pickle edit, so nothing removes it afterwards.
      for (let k = rng.range(1, 2); k > 0 && !meta.forbidden; k--) pkl.data = mutatePickle(pkl.data, rng, meta);
      pkl.deflate = Boolean(meta.flood) || rng.chance(0.1);
    }
    return { input: buildZip(members, { align: rng.chance(0.9) }), meta };
  }
  if (r < 65) return { input: mutateZipFields(s.bytes, rng), meta };
  if (r < 75) {
    const members = s.members.map((m) => ({ ...m }));
    const m = rng.pick(members);
    switch (rng.int(6)) {
      case 0: members.splice(members.indexOf(m), 1); break;
      case 1: m.name = rng.pick(MEMBER_NAMES); break;
      case 2: m.data = m.data.subarray(0, rng.int(m.data.length + 1)); break;
      case 3: m.deflate = true; break;
      case 4: members.push({ ...m }); break;
      default: members.push({ name: rng.pick(MEMBER_NAMES), data: rng.bytes(rng.size(64)) });
    }
    return { input: buildZip(members), meta };
  }
  return { input: mutateBytes(s.bytes, rng, seeds.map((x) => x.bytes)), meta };
}

let api;
/** Worker side: load the library once. */
export async function setup() {
  api = await import("glide-studio");
}

/** Runs one case: index, then every tensor's data (up to 8), then the GLIDE config resolution. */
export async function run(input, meta, ctx) {
  const { file, result } = await readCheckpointStages(api, input, "case.pt", ctx);
  return result ?? { outcome: "ok", stage: "done", file };
}

/** Target-specific properties: errors name the file; a pickle naming a forbidden callable never loads. */
export function check(result, meta) {
  if (meta.forbidden && result.stage !== "index") return "a pickle calling a forbidden callable was accepted";
  for (const e of [result.error, ...(result.otherErrors ?? [])]) {
    if (e && !String(e.message).includes(result.file)) return `error does not name the file: ${e.message.slice(0, 300)}`;
    if (e && /^fuzz:/.test(e.message)) return e.message;
  }
  return null;
}
