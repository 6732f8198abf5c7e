/** Reading input pictures (PNG with any colour type, JPEG) into float RGB + alpha. */
import fs from "node:fs/promises";
import jpeg from "jpeg-js";
import { decodePngImage, isPng, type DecodedImage } from "./png.js";
import { decoderFailure } from "./decode-error.js";
import { checkJpegSize } from "./jpeg-size.js";

/** File endings {@link readImageFile} understands. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"] as const;

/** Decodes PNG or JPEG bytes (told apart by their signature). */
export function decodeImage(bytes: Uint8Array, name = "image"): DecodedImage {
  if (isPng(bytes)) return decodePngImage(bytes, name);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    checkJpegSize(bytes, name);
    let raw: { width: number; height: number; data: Uint8Array };
    try {
      raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    } catch (err) {
      throw new Error(`${name}: not a readable JPEG (${decoderFailure(err)})`);
    }
    const rgb = new Float32Array(raw.width * raw.height * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = raw.data[i] / 255;
    return { width: raw.width, height: raw.height, rgb, text: {} };
  }
  throw new Error(`${name}: not a PNG or JPEG file`);
}

/** Reads a PNG or JPEG file. */
export async function readImageFile(file: string): Promise<DecodedImage> {
  return decodeImage(await fs.readFile(file), file);
}
