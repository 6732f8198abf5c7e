/**
 * PNG files: decoding any PNG to float RGB + alpha, encoding 8-bit RGB with `tEXt` metadata. The
 * codec is fast-png; this file only adapts layouts.
 */
import { decode, encode, hasPngSignature, type DecodedPng } from "fast-png";
import { decoderFailure } from "./decode-error.js";
import { checkPngSize } from "./png-chunks.js";

/** A decoded picture in floats. */
export interface DecodedImage {
  width: number;
  height: number;
  /** rgb: [H, W, 3] in 0..1 */
  rgb: Float32Array;
  /** alpha: [H, W] in 0..1, present when the file has an alpha channel or transparency */
  alpha?: Float32Array;
  /** `tEXt` chunks by keyword */
  text: Record<string, string>;
}

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return hasPngSignature(bytes);
}

/** Unpacks 1/2/4-bit single-channel rows (gray or palette indices) to one value per pixel. */
function unpackLowDepth(png: DecodedPng): Uint8Array {
  const { width, height, depth } = png;
  const data = png.data as Uint8Array;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Decodes a PNG (any colour type and bit depth) to float RGB in 0..1 plus alpha. */
export function decodePngImage(bytes: Uint8Array, name = "image"): DecodedImage {
  const checked = checkPngSize(bytes, name);
  let png: DecodedPng;
  try {
    png = decode(checked.png);
  } catch (err) {
    throw new Error(`${name}: not a readable PNG (${decoderFailure(err)})`);
  }
  const { width, height, channels } = png;
  const n = width * height;
  const rgb = new Float32Array(n * 3);
  let alpha: Float32Array | undefined;
  const trns = png.transparency;
  if (png.palette) {
    const idx = png.depth < 8 ? unpackLowDepth(png) : (png.data as Uint8Array);
    const hasAlpha = (trns && trns.length > 0) || png.palette.some((c) => c.length === 4);
    if (hasAlpha) alpha = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = png.palette[idx[i]];
      if (!c) throw new Error(`${name}: palette index ${idx[i]} out of range`);
      rgb[i * 3] = c[0] / 255;
      rgb[i * 3 + 1] = c[1] / 255;
      rgb[i * 3 + 2] = c[2] / 255;
      if (alpha) alpha[i] = (c.length === 4 ? c[3] : trns && idx[i] < trns.length ? trns[idx[i]] : 255) / 255;
    }
    return { width, height, rgb, alpha, text: png.text };
  }
  const maxValue = (1 << png.depth) - 1;
  const data = png.depth < 8 ? unpackLowDepth(png) : png.data;
  const gray = channels <= 2;
  const colorChannels = gray ? 1 : 3;
  if (channels === 2 || channels === 4) alpha = new Float32Array(n);
  // A tRNS chunk on a gray/RGB image names one transparent colour.
  const key = trns && trns.length ? trns : undefined;
  if (key && !alpha) alpha = new Float32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    let transparent = !!key;
    for (let c = 0; c < 3; c++) {
      const v = data[base + (gray ? 0 : c)];
      rgb[i * 3 + c] = v / maxValue;
      if (key && c < colorChannels && v !== key[c]) transparent = false;
    }
    if (channels === 2 || channels === 4) alpha![i] = data[base + channels - 1] / maxValue;
    else if (key && transparent) alpha![i] = 0;
  }
  return { width, height, rgb, alpha, text: png.text };
}

/**
 * JSON safe for a `tEXt` chunk, which holds Latin-1 only: characters above U+00FF are written as
 * `\uXXXX` escapes, which JSON parsers read back as the same text.
 */
export function latin1Json(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0100-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Encodes 8-bit RGB pixels (`rgb: [H, W, 3]`) as a PNG with `tEXt` chunks. */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array, text: Record<string, string> = {}): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`encodePngRgb: ${rgb.length} bytes for ${width}x${height} RGB`);
  return encode({ width, height, data: rgb, channels: 3, depth: 8, text });
}
