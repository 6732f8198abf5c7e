// Loading the fixture UNets with their reference configs, and their reference inputs as forward() args.
import fs from "node:fs";
import { loadModel } from "glide-studio";
import { fixture, loadInts, loadRows, loadTensor } from "./npy.mjs";

const manifest = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8"));

/** The four fixture UNets (file stem = manifest config name) and their kinds. */
export const UNETS = [
  { name: "base", kind: "base" },
  { name: "upsample", kind: "upsample" },
  { name: "base_inpaint", kind: "base-inpaint" },
  { name: "upsample_inpaint", kind: "upsample-inpaint" },
];

/** The official kwargs the fixtures were made with (the options shapes cannot tell, e.g. num_head_channels). */
export function fixtureConfig(name) {
  return manifest.configs[name];
}

/** loadModel on checkpoints/<file>.pt with the config of `configName` (default: the same name), in fp32 (the
 *  reference precision; the default "auto" may pick bf16). */
export function loadFixtureModel(file, configName = file) {
  return loadModel(fixture(`checkpoints/${file}.pt`), { config: fixtureConfig(configName), precision: "fp32" });
}

/** Booleans of a bool .npy as nested rows. */
function maskRows(rel) {
  return loadRows(rel);
}

/** forward() arguments from unet/<name>_* (rows [from, to) of the batch). */
export function unetArgs(name, from = 0, to = undefined) {
  const x = loadTensor(`unet/${name}_x_t`);
  const n = x.shape[0];
  const end = to ?? n;
  const rows = (t) => {
    const per = t.data.length / t.shape[0];
    return { shape: [end - from, ...t.shape.slice(1)], data: t.data.slice(from * per, end * per) };
  };
  const args = {
    x: rows(x),
    timesteps: loadInts(`unet/${name}_timesteps`).slice(from, end),
    tokens: loadRows(`unet/${name}_tokens`).slice(from, end),
    mask: maskRows(`unet/${name}_mask`).slice(from, end),
  };
  if (fs.existsSync(fixture(`unet/${name}_low_res.npy`))) args.lowRes = rows(loadTensor(`unet/${name}_low_res`));
  if (fs.existsSync(fixture(`unet/${name}_inpaint_image.npy`))) {
    args.inpaintImage = rows(loadTensor(`unet/${name}_inpaint_image`));
    args.inpaintMask = rows(loadTensor(`unet/${name}_inpaint_mask`));
  }
  return args;
}
