/**
 * Resumable HTTP downloads of large checkpoints: bytes go to `<file>.part` (with `<file>.part.json`
 * remembering the URL and validators), an interrupted download continues with an HTTP Range request,
 * and the file only takes its name once its size and checksum are verified.
 */
import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  url: string;
  /** Final path; the download is written next to it first. */
  dest: string;
  /** Expected size in bytes, when known in advance. */
  expectedSize?: number;
  /** Expected SHA-256 (hex), when known. */
  sha256?: string;
  /** Called as bytes arrive: `received` counts from the file's start, `resumedFrom` is where this session began. */
  onProgress?(received: number, total: number | undefined, resumedFrom: number): void;
  signal?: AbortSignal;
}

/** The outcome of {@link downloadFile}. */
export interface DownloadResult {
  file: string;
  bytes: number;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedFrom: number;
  sha256: string;
  /** Which checks passed: `size` (against the server's length), `md5` (the server's Content-MD5), `sha256`. */
  verified: string[];
}

interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
  /** Base64 MD5 of the whole file, as blob stores report it. */
  md5?: string;
}

async function readMeta(file: string): Promise<PartMeta | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, "utf8")) as PartMeta;
  } catch {
    return undefined;
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}

async function hashExisting(file: string, hashes: Hash[], bytes: number): Promise<void> {
  if (bytes === 0) return;
  const stream = fs.createReadStream(file, { start: 0, end: bytes - 1 });
  for await (const chunk of stream) for (const h of hashes) h.update(chunk as Buffer);
}

/** Parses `Content-Range: bytes a-b/total`. */
function parseContentRange(value: string | null): { start: number; total?: number } | undefined {
  const m = value ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value.trim()) : null;
  return m ? { start: Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) } : undefined;
}

/** Downloads `url` to `dest` with resume and verification. Throws an Error saying what failed and whether a re-run resumes. */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  const metaFile = `${opts.dest}.part.json`;
  await fsp.mkdir(path.dirname(opts.dest), { recursive: true });
  let meta = await readMeta(metaFile);
  let have = await fileSize(part);
  if (!meta || meta.url !== opts.url) {
    have = 0;
    meta = { url: opts.url };
  }

  const headers: Record<string, string> = {};
  if (have > 0) {
    headers.Range = `bytes=${have}-`;
    const validator = meta.etag ?? meta.lastModified;
    if (validator) headers["If-Range"] = validator;
  }
  let res: Response;
  try {
    res = await fetch(opts.url, { headers, redirect: "follow", signal: opts.signal });
  } catch (err) {
    throw new Error(`cannot reach ${opts.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }

  if (res.status === 416 && have > 0 && meta.total === have) {
    // The earlier session got every byte but stopped before verifying.
    await res.body?.cancel();
  } else if (res.status === 206) {
    const range = parseContentRange(res.headers.get("content-range"));
    if (!range || range.start !== have) {
      await res.body?.cancel();
      throw new Error(`${opts.url}: the server answered a resume request with the wrong range (${res.headers.get("content-range")})`);
    }
    meta.total = range.total ?? meta.total;
  } else if (res.status === 200) {
    // A fresh download (or the server ignored Range / the file changed since the partial download).
    have = 0;
    const length = res.headers.get("content-length");
    meta = {
      url: opts.url,
      etag: res.headers.get("etag") ?? undefined,
      lastModified: res.headers.get("last-modified") ?? undefined,
      total: length !== null ? Number(length) : undefined,
      md5: res.headers.get("x-ms-blob-content-md5") ?? res.headers.get("content-md5") ?? undefined,
    };
  } else {
    await res.body?.cancel();
    if (res.status === 416) await fsp.rm(part, { force: true });
    throw new Error(`${opts.url}: HTTP ${res.status} ${res.statusText}${res.status === 416 ? " (the partial download was discarded; run again)" : ""}`);
  }
  // The whole-file MD5 of blob stores also comes with ranged answers.
  meta.md5 = res.headers.get("x-ms-blob-content-md5") ?? meta.md5;
  await fsp.writeFile(metaFile, JSON.stringify(meta));

  const sha = createHash("sha256");
  const md5 = createHash("md5");
  await hashExisting(part, [sha, md5], have);
  const resumedFrom = have;
  let received = have;
  if (res.status !== 416) {
    if (!res.body) throw new Error(`${opts.url}: empty response`);
    opts.onProgress?.(received, meta.total, resumedFrom);
    // Each chunk is on disk before the next is read, so a dropped connection loses nothing received.
    const out = await fsp.open(part, have > 0 ? "a" : "w");
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await out.write(chunk);
        sha.update(chunk);
        md5.update(chunk);
        received += chunk.length;
        opts.onProgress?.(received, meta.total, resumedFrom);
      }
    } catch (err) {
      const why = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
      throw new Error(`download of ${opts.url} stopped after ${received} bytes (${why}); run the command again to resume`);
    } finally {
      await out.close();
    }
  }

  const verified: string[] = [];
  const total = meta.total ?? opts.expectedSize;
  if (total !== undefined) {
    if (received < total) throw new Error(`download of ${opts.url} ended early: ${received} of ${total} bytes; run the command again to resume`);
    if (received !== total) {
      await discard(part, metaFile);
      throw new Error(`${opts.url}: got ${received} bytes, expected ${total}; the download was discarded`);
    }
    verified.push("size");
  }
  if (opts.expectedSize !== undefined && received !== opts.expectedSize) {
    await discard(part, metaFile);
    throw new Error(`${opts.url}: ${received} bytes, but the file should have ${opts.expectedSize}; the download was discarded`);
  }
  const shaHex = sha.digest("hex");
  if (meta.md5) {
    const got = md5.digest("base64");
    if (got !== meta.md5) {
      await discard(part, metaFile);
      throw new Error(`${opts.url}: MD5 mismatch (got ${got}, the server reports ${meta.md5}); the download was discarded`);
    }
    verified.push("md5");
  }
  if (opts.sha256) {
    if (shaHex !== opts.sha256.toLowerCase()) {
      await discard(part, metaFile);
      throw new Error(`${opts.url}: SHA-256 mismatch (got ${shaHex}, expected ${opts.sha256}); the download was discarded`);
    }
    verified.push("sha256");
  }
  await fsp.rename(part, opts.dest);
  await fsp.rm(metaFile, { force: true });
  return { file: opts.dest, bytes: received, resumedFrom, sha256: shaHex, verified };
}

async function discard(part: string, metaFile: string): Promise<void> {
  await fsp.rm(part, { force: true });
  await fsp.rm(metaFile, { force: true });
}
