// Shared by the checkpoint fuzz targets (zip and safetensors): the reading a user's checkpoint goes
// through before any model is built — index, tensor data, GLIDE config resolution.
import fs from "node:fs";
import path from "node:path";

/**
 * Writes `input` to `ctx.tmp/name`, then reads it stage by stage: the index, every tensor's data (up to 8,
 * each checked against its shape), the GLIDE config. Returns `{file, result}`: `result` is the case's
 * outcome where a stage stopped it (an index or tensor error; a config error, which is an "ok" outcome),
 * or null when all three passed.
 */
export async function readCheckpointStages(api, input, name, ctx) {
  const file = path.join(ctx.tmp, name);
  fs.writeFileSync(file, input);
  let index;
  try {
    index = await api.readCheckpointIndex(file);
  } catch (error) {
    return { file, result: { outcome: "error", stage: "index", error, file } };
  }
  try {
    for (const tensor of [...index.tensors.keys()].slice(0, 8)) {
      const t = await api.readTensorData(index, tensor);
      if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`fuzz: ${tensor} has ${t.data.length} values for shape [${t.shape}]`);
    }
  } catch (error) {
    return { file, result: { outcome: "error", stage: "tensor", error, file } };
  }
  try {
    await api.resolveGlideConfig(index);
  } catch (error) {
    return { file, result: { outcome: "ok", stage: "config", otherErrors: [error], file } };
  }
  return { file, result: null };
}
