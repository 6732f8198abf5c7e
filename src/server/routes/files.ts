/**
 * `/view` (serving output, input and temp images, never anything outside those folders) and the
 * uploads `/upload/image` and `/upload/mask` (size- and type-limited, decoded and re-encoded as PNG
 * before being stored, written atomically).
 */
import path from "node:path";
import { promises as fs } from "node:fs";
import { Router, type Request, type Response } from "express";
import multer from "multer";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http-error.js";
import { resolveExistingInside, resolveFolderInside, UnsafePathError } from "../safe-path.js";
import { decodeImage, encodePng, ImageInputError, type RgbaImage } from "../images.js";
import { createFileAtomic, writeFileAtomic } from "../atomic.js";

const VIEW_TYPES: Record<string, string> = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp" };
type FolderType = "output" | "input" | "temp";

function folderOf(ctx: ServerContext, type: unknown, allowed: readonly FolderType[]): string {
  const t = (type ?? allowed[0]) as FolderType;
  if (typeof t !== "string" || !allowed.includes(t)) throw new HttpError(400, `type must be one of ${allowed.join(", ")}, got ${JSON.stringify(type)}`);
  return ctx.paths[t];
}

/** A stored file name from an uploaded one: plain characters, no leading dots, `.png`. */
export function storedName(original: string | undefined, fallback: string): string {
  const base = path.basename(String(original ?? "").replace(/\\/g, "/"));
  const stem = base.replace(/\.[^.]*$/, "").replace(/[^\w.\- ()]/g, "_").replace(/^[.\s]+/, "").slice(0, 120);
  return `${stem || fallback}.png`;
}

/** Failures of the disk rather than of the request: answered 507 with the system's reason. */
const STORAGE_ERRORS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EFBIG", "EIO"]);

/** Stores `bytes` as `dir/name`, or `name (1)`, `name (2)`… when taken and not overwriting. */
async function storeUnique(dir: string, name: string, bytes: Buffer, overwrite: boolean): Promise<string> {
  try {
    return await storeUniqueUnchecked(dir, name, bytes, overwrite);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && STORAGE_ERRORS.has(code)) throw new HttpError(507, `cannot store the upload: ${(err as Error).message}`, "storage_failed");
    throw err;
  }
}

async function storeUniqueUnchecked(dir: string, name: string, bytes: Buffer, overwrite: boolean): Promise<string> {
  if (overwrite) {
    await writeFileAtomic(path.join(dir, name), bytes);
    return name;
  }
  const stem = name.replace(/\.png$/, "");
  for (let i = 0; i < 10000; i++) {
    const candidate = i === 0 ? name : `${stem} (${i}).png`;
    if (await createFileAtomic(path.join(dir, candidate), bytes)) return candidate;
  }
  throw new HttpError(409, `too many files named like ${name}`);
}

function flag(value: unknown): boolean {
  return value === "true" || value === "1" || value === true;
}

/** The routes. */
export function fileRoutes(ctx: ServerContext): Router {
  const r = Router();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: ctx.limits.maxUploadBytes, files: 1, fields: 8, fieldSize: 16 * 1024, parts: 10 },
  });
  // Multer's limit errors become 413/400 answers naming the limit; malformed forms are 400s.
  const single = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) =>
      upload.single("image")(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError) {
          if (err.code === "LIMIT_FILE_SIZE") return reject(new HttpError(413, `the upload is larger than ${ctx.limits.maxUploadBytes} bytes`, "upload_too_large"));
          return reject(new HttpError(400, `bad upload: ${err.message}${err.field ? ` (${err.field})` : ""}`, "bad_upload"));
        }
        // Everything else comes from parsing the client's form (busboy: "Malformed part header",
        // "Unexpected end of form", …): also the client's fault, never a server error.
        reject(new HttpError(400, `bad upload: the form cannot be read (${(err as Error)?.message ?? String(err)})`, "bad_upload"));
      }),
    );

  r.get("/view", async (req, res) => {
    const folder = folderOf(ctx, req.query.type, ["output", "input", "temp"]);
    const filename = req.query.filename;
    const subfolder = req.query.subfolder ?? "";
    if (typeof filename !== "string" || filename === "") throw new HttpError(400, "filename is required");
    if (typeof subfolder !== "string") throw new HttpError(400, "subfolder must be a string");
    const contentType = VIEW_TYPES[path.extname(filename).toLowerCase()];
    if (!contentType) throw new HttpError(415, `only images are served (.png, .jpg, .webp), not "${filename}"`, "unsupported_type");
    let file: string;
    try {
      file = await resolveExistingInside(folder, subfolder, filename);
    } catch (err) {
      if (err instanceof UnsafePathError) throw new HttpError(400, err.message, "bad_path");
      throw new HttpError(404, `no such file: ${subfolder ? `${subfolder}/` : ""}${filename}`, "not_found");
    }
    res.setHeader("Content-Type", contentType);
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(file, { dotfiles: "deny", headers: { "Content-Type": contentType } });
  });

  // Form fields: image (file), type (input|temp), subfolder, overwrite. Answers {name, subfolder, type}.
  r.post("/upload/image", async (req, res) => {
    await single(req, res);
    if (!req.file) throw new HttpError(400, "the form has no 'image' file", "bad_upload");
    const type = (req.body?.type ?? "input") as string;
    const folder = folderOf(ctx, type, ["input", "temp"]);
    const subfolder = String(req.body?.subfolder ?? "");
    const image = decodeUpload(req.file.buffer, ctx, `the uploaded file "${req.file.originalname}"`);
    const dir = await safeFolder(folder, subfolder);
    const name = await storeUnique(dir, storedName(req.file.originalname, "upload"), encodePng(image), flag(req.body?.overwrite));
    ctx.log(`stored upload ${type}/${subfolder ? `${subfolder}/` : ""}${name} (${image.width}x${image.height})`);
    res.json({ name, subfolder, type });
  });

  // A painted mask for an input image: form fields image (the painting: its alpha channel is the
  // mask, 255 = keep, 0 = repaint) and original_ref ({filename, subfolder, type} of the image).
  // Stores the original's pixels with the mask as alpha, which LoadImage reads back as its MASK.
  r.post("/upload/mask", async (req, res) => {
    await single(req, res);
    if (!req.file) throw new HttpError(400, "the form has no 'image' file (the painted mask)", "bad_upload");
    let ref: { filename?: unknown; subfolder?: unknown; type?: unknown };
    try {
      ref = JSON.parse(String(req.body?.original_ref ?? ""));
    } catch {
      throw new HttpError(400, "original_ref must be JSON {filename, subfolder, type} naming the image the mask belongs to", "bad_upload");
    }
    if (typeof ref.filename !== "string") throw new HttpError(400, "original_ref.filename is required", "bad_upload");
    const refFolder = folderOf(ctx, ref.type ?? "input", ["input", "temp", "output"]);
    let originalFile: string;
    try {
      originalFile = await resolveExistingInside(refFolder, String(ref.subfolder ?? ""), ref.filename);
    } catch (err) {
      if (err instanceof UnsafePathError) throw new HttpError(400, `original_ref: ${err.message}`, "bad_path");
      throw new HttpError(404, `original_ref: no such image "${ref.filename}"`, "not_found");
    }
    const original = decodeUpload(await fs.readFile(originalFile), ctx, `the image "${ref.filename}"`);
    const mask = decodeUpload(req.file.buffer, ctx, "the painted mask");
    if (mask.width !== original.width || mask.height !== original.height) {
      throw new HttpError(400, `the mask is ${mask.width}x${mask.height} but the image "${ref.filename}" is ${original.width}x${original.height}`, "size_mismatch");
    }
    const out: RgbaImage = { width: original.width, height: original.height, data: new Uint8Array(original.data) };
    for (let i = 3; i < out.data.length; i += 4) out.data[i] = mask.data[i];
    const subfolder = String(req.body?.subfolder ?? "");
    const dir = await safeFolder(ctx.paths.input, subfolder);
    const name = await storeUnique(dir, storedName(req.file.originalname, "mask"), encodePng(out), flag(req.body?.overwrite));
    ctx.log(`stored mask input/${subfolder ? `${subfolder}/` : ""}${name} for ${ref.filename}`);
    res.json({ name, subfolder, type: "input" });
  });

  return r;
}

function decodeUpload(bytes: Buffer, ctx: ServerContext, what: string): RgbaImage {
  try {
    return decodeImage(bytes, { maxSide: ctx.limits.maxImageSide }, what);
  } catch (err) {
    if (err instanceof ImageInputError) throw new HttpError(err.status, err.message, "bad_image");
    throw err;
  }
}

async function safeFolder(root: string, subfolder: string): Promise<string> {
  try {
    return await resolveFolderInside(root, subfolder);
  } catch (err) {
    if (err instanceof UnsafePathError) throw new HttpError(400, err.message, "bad_path");
    throw err;
  }
}
