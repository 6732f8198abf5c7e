import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

/** Folder holding the tokenizer vocabularies shipped with the package (`<package root>/vocab`). */
export const VOCAB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "vocab");

/** Absolute path of a shipped vocabulary file, e.g. `vocabPath("encoder.json.gz")`. */
export function vocabPath(name: string): string {
  return path.join(VOCAB_DIR, name);
}

/**
 * Reads a UTF-8 text file, gunzipping it when its name ends in `.gz`.
 * Errors name the file and what it is for, since a missing vocabulary is an install problem.
 */
export function readVocabText(file: string, what: string): string {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${what}: cannot read ${file} (${(err as Error).message})`);
  }
  if (!file.endsWith(".gz")) return raw.toString("utf8");
  try {
    return zlib.gunzipSync(raw).toString("utf8");
  } catch (err) {
    throw new Error(`${what}: ${file} is not a valid gzip file (${(err as Error).message})`);
  }
}
