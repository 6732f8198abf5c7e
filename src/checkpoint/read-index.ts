/** Opening a checkpoint of either supported format, told apart by content (not by file extension). */
import fs from "node:fs/promises";
import { readPytorchIndex } from "./pytorch.js";
import { readSafetensorsIndex } from "./safetensors.js";
import type { CheckpointIndex } from "./types.js";

/**
 * Reads the tensor index of a checkpoint: a PyTorch zip (`torch.save`, torch ≥ 1.6) or a `.safetensors`
 * file. Only metadata is read; tensors stay in the file at the offsets the index gives.
 */
export async function readCheckpointIndex(file: string): Promise<CheckpointIndex> {
  let head: Buffer;
  try {
    const fh = await fs.open(file, "r");
    try {
      head = Buffer.alloc(16);
      const { bytesRead } = await fh.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new Error(`${file}: cannot open the checkpoint (${(err as Error).message})`);
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return readPytorchIndex(file);
  if (head.length >= 9 && head[8] === 0x7b /* '{' */) {
    const { metadata: _metadata, ...index } = await readSafetensorsIndex(file);
    return index;
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) {
    throw new Error(`${file}: a legacy (pre-1.6, non-zip) PyTorch file; re-save it with a current torch.save, which writes the zip format`);
  }
  throw new Error(`${file}: not a checkpoint this reader knows (neither a PyTorch zip nor safetensors)${head.length < 4 ? " — the file is empty or truncated" : ""}`);
}
