/** Converting a checkpoint (PyTorch zip or safetensors) to safetensors, keeping every tensor's dtype. */
import { readCheckpointIndex } from "./read-index.js";
import { writeSafetensors } from "./safetensors.js";
import { readTensorBytes } from "./tensor-data.js";

/**
 * Writes every tensor of `inPath` to `outPath` as safetensors, in the source's order and dtypes (f16 stays
 * f16). Tensors are read and written one at a time, so memory holds at most one tensor.
 * Returns the number of tensors written.
 */
export async function convertCheckpoint(inPath: string, outPath: string): Promise<{ tensors: number }> {
  const index = await readCheckpointIndex(inPath);
  const tensors = [...index.tensors.values()].map((e) => ({
    name: e.name,
    dtype: e.dtype,
    shape: e.shape,
    data: () => readTensorBytes(index, e.name),
  }));
  await writeSafetensors(outPath, tensors, { format: "pt", source: "glide-studio convert" });
  return { tensors: tensors.length };
}
