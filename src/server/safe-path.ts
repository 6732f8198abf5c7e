/**
 * Resolving user-supplied file names inside a fixed folder, so that no request (`/view`, uploads) can
 * reach a file outside the folders the server serves.
 */
import { promises as fs } from "node:fs";
import path from "node:path";

/** Thrown when a name would leave its folder or is not a plain relative name. */
export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafePathError";
  }
}

/**
 * Checks one user-supplied path part (a file name or a subfolder): relative, no NUL, no `..` segment,
 * no drive letters or backslashes (which mean something else on Windows). An empty subfolder is fine.
 */
export function checkRelativePart(part: string, what: string, allowSlash: boolean): void {
  if (typeof part !== "string") throw new UnsafePathError(`${what} must be a string`);
  if (part.includes("\0")) throw new UnsafePathError(`${what} contains a NUL character`);
  if (part.includes("\\")) throw new UnsafePathError(`${what} may not contain backslashes`);
  if (/^[a-zA-Z]:/.test(part)) throw new UnsafePathError(`${what} may not name a drive`);
  if (part.startsWith("/")) throw new UnsafePathError(`${what} must be relative, got ${JSON.stringify(part)}`);
  const segments = part.split("/");
  if (!allowSlash && segments.length > 1) throw new UnsafePathError(`${what} may not contain '/'`);
  for (const s of segments) {
    if (s === "..") throw new UnsafePathError(`${what} may not contain '..'`);
  }
}

/**
 * Resolves `root/subfolder/filename` and checks it stays inside `root`, also after following symlinks
 * (a link inside the folder pointing out of it is refused). Returns the real path of an existing
 * file, or throws UnsafePathError; a missing file gives an ENOENT error.
 */
export async function resolveExistingInside(root: string, subfolder: string, filename: string): Promise<string> {
  checkRelativePart(subfolder, "subfolder", true);
  checkRelativePart(filename, "filename", false);
  if (filename === "" || filename === ".") throw new UnsafePathError("filename is empty");
  const rootReal = await fs.realpath(root);
  const candidate = path.resolve(rootReal, subfolder, filename);
  if (!isInside(rootReal, candidate)) throw new UnsafePathError("the path leaves its folder");
  const real = await fs.realpath(candidate);
  if (!isInside(rootReal, real)) throw new UnsafePathError("the path leaves its folder through a link");
  return real;
}

/**
 * Resolves the folder `root/subfolder` for writing (created when missing) and checks it stays inside
 * `root`, following symlinks of the existing part.
 */
export async function resolveFolderInside(root: string, subfolder: string): Promise<string> {
  checkRelativePart(subfolder, "subfolder", true);
  await fs.mkdir(root, { recursive: true });
  const rootReal = await fs.realpath(root);
  const dir = path.resolve(rootReal, subfolder);
  if (!isInside(rootReal, dir) && dir !== rootReal) throw new UnsafePathError("the subfolder leaves its folder");
  await fs.mkdir(dir, { recursive: true });
  const real = await fs.realpath(dir);
  if (!isInside(rootReal, real) && real !== rootReal) throw new UnsafePathError("the subfolder leaves its folder through a link");
  return real;
}

/** True when `child` is strictly inside `parent` (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
