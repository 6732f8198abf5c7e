/**
 * PNG chunk-level reading for files from strangers: the `tEXt` chunks alone (a workflow is read from a
 * PNG without decoding a single pixel), and a size check made before any decoder allocates. Decoders
 * trust the header: a 68-byte file declaring 30000×30000 pixels made ours allocate 2.7 GB, and a 290 kB
 * file of a 1×1 picture whose data inflates to 300 MB made it inflate all of it.
 */
import { inflateSync } from "node:zlib";

/** One chunk: its type and its data (a view into the file). */
export interface PngChunk {
  type: string;
  data: Uint8Array;
}

/** Deflate's best ratio is about 1032:1; no honest image data compresses further. */
const MAX_INFLATE_RATIO = 1032;
/** Largest picture decoded (2^28 pixels, e.g. 16384×16384); glide-studio works at 64–256 px. */
const MAX_PIXELS = 2 ** 28;

const latin1 = new TextDecoder("latin1");

/** The chunks of a PNG, in order, up to IEND; throws naming `name` when a chunk runs past the end of the file. */
export function readPngChunks(bytes: Uint8Array, name = "image"): PngChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new Error(`${name}: truncated PNG (a chunk header at byte ${pos} is cut off)`);
    const length = view.getUint32(pos);
    const type = latin1.decode(bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + length > bytes.length) {
      throw new Error(`${name}: truncated PNG (chunk ${JSON.stringify(type)} at byte ${pos} declares ${length} bytes; the file ends at ${bytes.length})`);
    }
    chunks.push({ type, data: bytes.subarray(pos + 8, pos + 8 + length) });
    pos += 12 + length;
    if (type === "IEND") break;
  }
  return chunks;
}

/** The `tEXt` chunks of a PNG by keyword (Latin-1, as the format defines them); the pixels are not decoded. */
export function pngTextChunks(bytes: Uint8Array, name = "image"): Record<string, string> {
  const text: Record<string, string> = {};
  for (const c of readPngChunks(bytes, name)) {
    if (c.type !== "tEXt") continue;
    const nul = c.data.indexOf(0);
    if (nul <= 0) continue; // no keyword: not a valid tEXt chunk, and nothing we could look up
    Object.defineProperty(text, latin1.decode(c.data.subarray(0, nul)), {
      value: latin1.decode(c.data.subarray(nul + 1)),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return text;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Bytes of filtered scanlines for a `w`×`h` pass. */
function passBytes(w: number, h: number, bitsPerPixel: number): number {
  return w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));
}

/** CRC-32 (ISO 3309, as PNG chunks use it). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A chunk's bytes: length, type, data, CRC. */
function encodeChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]));
  return Buffer.concat([head, data, crc]);
}

/**
 * Checks a PNG's declared size against its data before decoding: refuses headers out of the format's
 * range, pictures over 2^28 pixels, image data too small to hold the declared pixels even at deflate's
 * best ratio (a truncated or lying file), and image data inflating to more than the declared pixels
 * need (a decompression bomb). Returns the size, and the file with its image data in a single IDAT
 * chunk: fast-png's inflater costs ~64 kB of fresh memory per chunk pushed, so 40,000 one-byte IDATs
 * (a 500 kB file) took seconds, and a few MB of them minutes.
 */
export function checkPngSize(bytes: Uint8Array, name = "image"): { width: number; height: number; png: Uint8Array } {
  const chunks = readPngChunks(bytes, name);
  const ihdr = chunks[0];
  if (!ihdr || ihdr.type !== "IHDR" || ihdr.data.length !== 13) throw new Error(`${name}: not a readable PNG (no IHDR header)`);
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colorType, , , interlace] = ihdr.data.subarray(8, 13);
  if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1) throw new Error(`${name}: the PNG header declares ${width}x${height} pixels`);
  if (!DEPTHS[colorType]?.includes(depth) || interlace > 1) {
    throw new Error(`${name}: not a readable PNG (colour type ${colorType} with bit depth ${depth}${interlace > 1 ? `, interlace method ${interlace}` : ""})`);
  }
  if (width * height > MAX_PIXELS) throw new Error(`${name}: ${width}x${height} pixels is more than the ${MAX_PIXELS} this program decodes`);
  const bpp = CHANNELS[colorType] * depth;
  let raw = 0;
  if (interlace === 0) raw = passBytes(width, height, bpp);
  else {
    // Adam7: seven passes over sub-grids, each with its own scanlines.
    for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]) {
      raw += passBytes(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy), bpp);
    }
  }
  const idats = chunks.filter((c) => c.type === "IDAT");
  const data = Buffer.concat(idats.map((c) => c.data));
  if (raw > MAX_INFLATE_RATIO * data.length + 1024) {
    throw new Error(`${name}: the PNG declares ${width}x${height} pixels (${raw} bytes of image data) but holds only ${data.length} compressed bytes — the file is truncated or corrupt`);
  }
  // Inflating (natively, with the output capped at what the pixels need) is cheap next to decoding, and
  // it is the only way to know that the data does not expand far past the picture.
  try {
    inflateSync(data, { maxOutputLength: raw + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new Error(`${name}: the PNG's image data inflates to more than the ${raw} bytes its ${width}x${height} pixels need — refusing a decompression bomb`);
    }
    // Other stream errors are the decoder's to report.
  }
  if (idats.length <= 1) return { width, height, png: bytes };
  const first = chunks.indexOf(idats[0]);
  const others = chunks.filter((c) => c.type !== "IDAT");
  const parts = [bytes.subarray(0, 8), ...others.slice(0, first).map((c) => encodeChunk(c.type, c.data)), encodeChunk("IDAT", data), ...others.slice(first).map((c) => encodeChunk(c.type, c.data))];
  return { width, height, png: Buffer.concat(parts) };
}
