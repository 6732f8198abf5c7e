// Shared by the workflow fuzz targets: the folders a validation needs (models named like the shipped
// workflows expect, the example input pictures), the seed workflows, and the load → validate → override
// pipeline the CLI and the server run on a user's file.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Seed workflows: every shipped editor workflow and its API conversion. */
export async function workflowSeeds() {
  const api = await import("glide-studio");
  const registry = api.builtinRegistry();
  const out = [];
  for (const f of fs.readdirSync(path.join(root, "workflows")).filter((n) => n.endsWith(".json")).sort()) {
    const editor = JSON.parse(fs.readFileSync(path.join(root, "workflows", f), "utf8"));
    out.push({ label: f, value: editor });
    out.push({ label: `${f} (api)`, value: api.editorToApi(editor, registry) });
  }
  return out;
}

/** Worker side: folders with placeholder models and the example inputs; returns {api, registry, executor}. */
export async function workflowSetup(ctx) {
  const api = await import("glide-studio");
  const paths = { models: path.join(ctx.tmp, "models"), input: path.join(ctx.tmp, "input"), output: path.join(ctx.tmp, "output"), temp: path.join(ctx.tmp, "temp") };
  for (const p of Object.values(paths)) fs.mkdirSync(p, { recursive: true });
  for (const m of ["base.pt", "upsample.pt", "base_inpaint.pt", "upsample_inpaint.pt", "clip_image_enc.pt", "clip_text_enc.pt"]) fs.writeFileSync(path.join(paths.models, m), "");
  fs.mkdirSync(path.join(paths.input, "assets"), { recursive: true });
  for (const img of ["grass.png", "grass_mask.png"]) {
    fs.copyFileSync(path.join(root, "workflows/assets", img), path.join(paths.input, "assets", img));
    fs.copyFileSync(path.join(root, "workflows/assets", img), path.join(paths.input, img));
  }
  const registry = api.builtinRegistry();
  return { api, registry, executor: new api.Executor({ registry, paths }) };
}

/**
 * Reads a workflow file as the CLI does, validates it as the executor does before any run, and applies a
 * seed override: the file must load or fail with a WorkflowFormatError; validation must answer, not throw.
 */
export async function loadAndValidate(env, file) {
  const { api, registry, executor } = env;
  let loaded;
  try {
    loaded = await api.readWorkflowFile(file, registry);
  } catch (error) {
    return { outcome: "error", stage: "load", error };
  }
  let report;
  try {
    report = executor.validate(loaded.prompt);
  } catch (error) {
    return { outcome: "ok", stage: "validate", otherErrors: [error], validateThrew: error };
  }
  if (typeof report?.ok !== "boolean" || (!report.ok && typeof report.error?.message !== "string")) {
    return { outcome: "ok", stage: "validate", malformed: JSON.stringify(report)?.slice(0, 300) };
  }
  if (!report.ok) return { outcome: "ok", stage: "invalid" };
  try {
    api.applyOverrides(loaded, api.seedOverrides(loaded.prompt, 7, registry), registry);
  } catch (error) {
    return { outcome: "ok", stage: "override", otherErrors: [error] };
  }
  return { outcome: "ok", stage: "valid" };
}

/** Loading fails only with WorkflowFormatError; validation never throws and always answers a report. */
export function checkWorkflow(result) {
  if (result.outcome === "error" && result.error?.name !== "WorkflowFormatError") {
    return `loading threw ${result.error?.name} instead of a WorkflowFormatError: ${String(result.error?.message).slice(0, 300)}`;
  }
  if (result.validateThrew) return `validation threw ${result.validateThrew.name}: ${result.validateThrew.message.slice(0, 300)}`;
  if (result.malformed) return `validation answered a malformed report: ${result.malformed}`;
  return null;
}
