/**
 * Atomic file writes: a reader (or a server restarted after a crash) sees either the old file or the
 * new one, never a half-written one.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Write `data` to `file` atomically: write a temporary sibling, flush it to disk, then rename it over
 * the target (rename is atomic within one filesystem). Creates the parent folder when missing.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempSibling(file);
  try {
    await writeFlushed(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    // A write that failed half-way (a full disk) leaves nothing behind.
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** A unique hidden temporary name next to `file` (`.name.<pid>.<random>.tmp`). */
function tempSibling(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Writes `data` to a new file and flushes it to disk. */
async function writeFlushed(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Whether `name` is a temporary file that {@link writeFileAtomic} or {@link createFileAtomic} made for `target`. */
export function isTempSibling(name: string, target: string): boolean {
  return name.startsWith(`.${target}.`) && name.endsWith(".tmp");
}

/**
 * Create `file` atomically only if no file of that name exists (no overwrite race): the data is
 * flushed to a temporary file first, then hard-linked to the final name, which fails with EEXIST when
 * the name is taken. Returns false when it was taken.
 */
export async function createFileAtomic(file: string, data: string | Uint8Array): Promise<boolean> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempSibling(file);
  try {
    await writeFlushed(tmp, data);
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
