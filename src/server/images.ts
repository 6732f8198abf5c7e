/**
 * Image decoding and encoding for the server: uploads are decoded (so only real images are stored,
 * re-encoded as PNG, with any trailing data or metadata dropped) and live previews are encoded for
 * the WebSocket. PNG through pngjs, JPEG through jpeg-js (both pure JavaScript).
 */
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { decoderFailure } from "../image/decode-error.js";
import { checkJpegSize } from "../image/jpeg-size.js";
import { checkPngSize } from "../image/png-chunks.js";

/** An 8-bit RGBA image. data: [H, W, 4] row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A bad upload, with a message for the user; becomes a 400/413/415 answer. */
export class ImageInputError extends Error {
  constructor(message: string, readonly status: number = 400) {
    super(message);
    this.name = "ImageInputError";
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format of an encoded image, from its first bytes (declared MIME types are not trusted). */
export function sniffImageType(buf: Uint8Array): "png" | "jpeg" | null {
  if (buf.length >= 8 && Buffer.from(buf.subarray(0, 8)).equals(PNG_SIGNATURE)) return "png";
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return "jpeg";
  return null;
}

/** Width and height from a PNG's IHDR chunk, read before decoding (to refuse decompression bombs). */
function pngDimensions(buf: Buffer): { width: number; height: number } {
  if (buf.length < 24 || buf.toString("latin1", 12, 16) !== "IHDR") throw new ImageInputError("the PNG has no IHDR header");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** The PNG up to and including its IEND chunk (data appended after it is dropped, not decoded). */
function pngWithoutTrailer(buf: Buffer): Buffer {
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (buf.toString("latin1", pos + 4, pos + 8) === "IEND") return buf.subarray(0, Math.min(end, buf.length));
    pos = end;
  }
  return buf;
}

/** Limits applied when decoding untrusted images. */
export interface DecodeLimits {
  /** Largest width or height accepted. */
  maxSide: number;
}

/** Decodes a PNG or JPEG into RGBA, refusing other formats and images larger than the limits. */
export function decodeImage(bytes: Uint8Array, limits: DecodeLimits, what = "the image"): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = sniffImageType(buf);
  if (!type) throw new ImageInputError(`${what} is not a PNG or JPEG file`, 415);
  if (type === "png") {
    const { width, height } = pngDimensions(buf);
    checkSize(width, height, limits, what);
    const png = pngWithoutTrailer(buf);
    // Declared size against the data (truncated files, decompression bombs) before pngjs allocates.
    try {
      checkPngSize(png, what);
    } catch (err) {
      throw new ImageInputError((err as Error).message);
    }
    try {
      const img = PNG.sync.read(png);
      return { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    } catch (err) {
      throw new ImageInputError(`${what} is not a valid PNG: ${decoderFailure(err)}`);
    }
  }
  try {
    checkJpegSize(buf, what);
  } catch (err) {
    throw new ImageInputError((err as Error).message);
  }
  try {
    const maxMP = (limits.maxSide * limits.maxSide) / 1e6;
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxMP, maxMemoryUsageInMB: 1024 });
    checkSize(img.width, img.height, limits, what);
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    throw new ImageInputError(`${what} is not a valid JPEG: ${decoderFailure(err)}`);
  }
}

function checkSize(width: number, height: number, limits: DecodeLimits, what: string): void {
  if (width < 1 || height < 1) throw new ImageInputError(`${what} has no pixels (${width}x${height})`);
  if (width > limits.maxSide || height > limits.maxSide) {
    throw new ImageInputError(`${what} is ${width}x${height}; the largest accepted side is ${limits.maxSide} pixels`, 413);
  }
}

/** Encodes RGBA pixels as a PNG. */
export function encodePng(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(png.data);
  return PNG.sync.write(png, { colorType: 6 });
}

/** Encodes packed RGB pixels (rgb: [H, W, 3]) as a JPEG. */
export function encodeJpegRgb(width: number, height: number, rgb: Uint8Array, quality = 90): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`preview has ${rgb.length} bytes, expected ${width}x${height}x3`);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i];
    rgba[j + 1] = rgb[i + 1];
    rgba[j + 2] = rgb[i + 2];
    rgba[j + 3] = 255;
  }
  return jpeg.encode({ width, height, data: rgba }, quality).data;
}
