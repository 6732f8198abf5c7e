// Fuzz target: workflow JSON files (editor graphs and API prompts) through readWorkflowFile → the
// executor's validation → --set/--seed overrides, as `glide-studio run` and POST /prompt process them.
// Mutations: structure-aware edits of the parsed JSON, byte edits of its text, and generated graph bombs.
import fs from "node:fs";
import path from "node:path";
import { mutateBytes } from "../mutate.mjs";
import { graphBomb, mutateJsonText } from "../json.mjs";
import { checkWorkflow, loadAndValidate, workflowSeeds, workflowSetup } from "./workflow-common.mjs";

export const limits = {
  caseMs: 10000,
  alloc: (n) => 4 * n + 16 * 2 ** 20,
  // A parsed graph takes ~20 bytes of heap per byte of JSON.
  rss: (n) => 40 * n + 256 * 2 ** 20,
};

export async function seeds() {
  return (await workflowSeeds()).map((s) => ({ label: s.label, bytes: Buffer.from(JSON.stringify(s.value)) }));
}

export function mutate(rng, seeds) {
  if (rng.chance(0.03)) return { input: Buffer.from(JSON.stringify(graphBomb(rng))), meta: { bomb: true } };
  const s = rng.pick(seeds);
  const byteMutate = (b) => mutateBytes(b, rng, seeds.map((x) => x.bytes));
  return { input: mutateJsonText(s.bytes.toString("utf8"), rng, byteMutate), meta: {} };
}

let env;
export async function setup(ctx) {
  env = await workflowSetup(ctx);
}

export async function run(input, _meta, ctx) {
  const file = path.join(ctx.tmp, "case.json");
  fs.writeFileSync(file, input);
  return loadAndValidate(env, file);
}

export const check = checkWorkflow;
