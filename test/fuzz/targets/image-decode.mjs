// Fuzz target: decoding input pictures as LoadImage / LoadMask do (decodeImage: PNG of any colour type
// and depth, JPEG) from mutated PNG and JPEG files. Checked besides the shared properties: a decoded
// picture has positive sizes and buffers of exactly those sizes, with values in 0..1.
import { decodeBound, jpegSeeds, mutateImage, pngSeeds } from "./image-seeds.mjs";

export const limits = { caseMs: 5000, alloc: decodeBound(16 * 2 ** 20), rss: decodeBound(256 * 2 ** 20) };

export async function seeds() {
  return [...pngSeeds(), ...jpegSeeds()];
}

export function mutate(rng, seeds) {
  return { input: mutateImage(rng, seeds), meta: {} };
}

let api;
export async function setup() {
  api = await import("glide-studio");
}

export async function run(input) {
  let pic;
  try {
    pic = api.decodeImage(input, "case.png");
  } catch (error) {
    return { outcome: "error", stage: "decode", error };
  }
  return { outcome: "ok", stage: "decoded", width: pic.width, height: pic.height, rgbLength: pic.rgb.length, alphaLength: pic.alpha?.length, rgbBad: pic.rgb.some((v) => !(v >= 0 && v <= 1)) };
}

/** A decoded picture is consistent; errors name the file. */
export function check(r) {
  if (r.outcome === "error") return r.error.message.includes("case.png") ? null : `error does not name the file: ${r.error.message.slice(0, 200)}`;
  if (!(r.width > 0 && r.height > 0)) return `decoded a ${r.width}x${r.height} picture`;
  if (r.rgbLength !== r.width * r.height * 3) return `rgb has ${r.rgbLength} values for ${r.width}x${r.height}`;
  if (r.alphaLength !== undefined && r.alphaLength !== r.width * r.height) return `alpha has ${r.alphaLength} values for ${r.width}x${r.height}`;
  if (r.rgbBad) return "rgb values outside 0..1";
  return null;
}
