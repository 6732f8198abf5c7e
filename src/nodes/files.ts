/** File inputs of nodes: the choice specs and fingerprints that invalidate caches when files change. */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FileChoices } from "../graph/types.js";
import { IMAGE_EXTENSIONS } from "../image/read.js";

/** The package's own `models/` folder: the bundled demo family, offered as `demo/<file>`. */
export const BUNDLED_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "models");

/** Checkpoint files in the models folder, plus the bundled demo models. */
export const CHECKPOINT_FILES: FileChoices = { folder: "models", extensions: [".pt", ".safetensors"], bundled: BUNDLED_MODELS_DIR };

/** Pictures in the input folder. */
export const INPUT_IMAGES: FileChoices = { folder: "input", extensions: IMAGE_EXTENSIONS };

/** A content hash of a (small) file. */
export async function contentDigest(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}

/** A cheap fingerprint of a (large) file: size and modification time; "absent" when missing. */
export async function statFingerprint(file: string): Promise<string> {
  try {
    const s = await fs.stat(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "absent";
  }
}
