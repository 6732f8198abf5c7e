// The sample() options that reproduce a recorded run of test/fixtures/glide/sampling, read from the
// manifest: one reading shared by the CPU acceptance test (sampling_fixtures) and the CUDA loop's checks.
import fs from "node:fs";
import { fixture, loadNpy, loadTensor } from "./npy.mjs";

export const manifest = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8"));

/** Rows `from`..`to` of a [rows, ctx] token or mask fixture as plain arrays (booleans for a mask). */
export function tokenRows(file, from, to) {
  const { shape, data, dtype } = loadNpy(file);
  const rows = [];
  for (let r = from; r < to; r++) {
    rows.push(Array.from(data.subarray(r * shape[1], (r + 1) * shape[1]), (v) => (dtype === "|b1" ? v !== 0 : Number(v))));
  }
  return rows;
}

/** The fixture model (manifest config name) a run used. */
export function runModel(run) {
  return manifest.runs[run].model;
}

/** sample() options replaying run `run` with its recorded noise. */
export function runOptions(run) {
  const r = manifest.runs[run];
  const dir = `sampling/${run}`;
  const exists = (name) => fs.existsSync(fixture(`${dir}/${name}.npy`));
  const guided = r.guidance_scale !== undefined;
  const rows = loadNpy(`${dir}/tokens`).shape[0];
  const batch = guided ? rows / 2 : rows;
  const opts = {
    prompts: { tokens: tokenRows(`${dir}/tokens`, 0, batch), mask: tokenRows(`${dir}/mask`, 0, batch) },
    respacing: r.respacing,
    sampler: r.kind.includes("ddim_sample_loop") ? "ddim" : "ddpm",
    clipDenoised: r.clip_denoised,
    noise: { init: loadTensor(`${dir}/noise_init`), ...(exists("noise_steps") ? { steps: loadTensor(`${dir}/noise_steps`) } : {}) },
  };
  if (guided) {
    opts.guidanceScale = r.guidance_scale;
    opts.negativePrompt = { tokens: tokenRows(`${dir}/tokens`, batch, rows), mask: tokenRows(`${dir}/mask`, batch, rows) };
  }
  if (r.upsample_temp !== undefined) opts.temperature = r.upsample_temp;
  if (exists("low_res")) opts.lowRes = loadTensor(`${dir}/low_res`);
  if (exists("source_image")) opts.inpaint = { image: loadTensor(`${dir}/source_image`), mask: loadTensor(`${dir}/source_mask`) };
  return opts;
}
