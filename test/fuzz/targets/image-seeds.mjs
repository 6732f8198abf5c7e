// Seed pictures for the image fuzz targets: PNGs of every colour type and several bit depths (palette
// with transparency, 16-bit, gray + alpha, 1-bit), PNGs carrying workflows in tEXt, JPEGs (baseline,
// 4:2:0 and 4:4:4), and the example picture the shipped workflows use. Mutators for both formats.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import jpeg from "jpeg-js";
import { fileURLToPath } from "node:url";
import { Rng } from "../rng.mjs";
import { mutateBytes } from "../mutate.mjs";
import { joinPng, mutatePng, textChunk } from "../png.mjs";
import { mutateJpeg } from "../jpeg.mjs";
import { mutateJsonText } from "../json.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * A PNG from raw samples: `w`×`h`, colour type `ct`, bit depth `depth`, rows filled by `sample(x, y, c)`
 * (unfiltered rows; `palette` [[r,g,b]…] and `trns` bytes for colour type 3; `text` tEXt chunks).
 */
export function rawPng({ w, h, ct, depth, sample, palette, trns, text = {} }) {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ct];
  const rowBytes = Math.ceil((w * channels * depth) / 8);
  const raw = Buffer.alloc(h * (1 + rowBytes));
  for (let y = 0; y < h; y++) {
    let bit = 0;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const v = sample(x, y, c) & ((1 << depth) - 1);
        const at = y * (1 + rowBytes) + 1;
        if (depth === 16) raw.writeUInt16BE(v, at + bit / 8);
        else if (depth === 8) raw[at + bit / 8] = v;
        else raw[at + (bit >> 3)] |= v << (8 - depth - (bit & 7));
        bit += depth;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = depth;
  ihdr[9] = ct;
  const chunks = [{ type: "IHDR", data: ihdr }];
  if (palette) chunks.push({ type: "PLTE", data: Buffer.from(palette.flat()) });
  if (trns) chunks.push({ type: "tRNS", data: Buffer.from(trns) });
  for (const [k, v] of Object.entries(text)) chunks.push(textChunk(k, v));
  chunks.push({ type: "IDAT", data: zlib.deflateSync(raw) }, { type: "IEND", data: Buffer.alloc(0) });
  return joinPng(chunks);
}

/** PNG seeds of many layouts (small, so a case is fast). */
export function pngSeeds() {
  const rng = new Rng(7);
  const noise = () => rng.int(65536);
  return [
    { label: "rgb8", bytes: rawPng({ w: 16, h: 12, ct: 2, depth: 8, sample: noise }) },
    { label: "rgba8", bytes: rawPng({ w: 9, h: 9, ct: 6, depth: 8, sample: noise }) },
    { label: "gray16", bytes: rawPng({ w: 8, h: 8, ct: 0, depth: 16, sample: noise }) },
    { label: "gray-alpha8", bytes: rawPng({ w: 7, h: 5, ct: 4, depth: 8, sample: noise }) },
    { label: "gray1", bytes: rawPng({ w: 33, h: 3, ct: 0, depth: 1, sample: noise }) },
    { label: "palette4-trns", bytes: rawPng({ w: 10, h: 10, ct: 3, depth: 4, sample: (x, y) => (x + y) % 5, palette: [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]], trns: [0, 128] }) },
    { label: "rgb16", bytes: rawPng({ w: 4, h: 4, ct: 2, depth: 16, sample: noise }) },
    { label: "flat256", bytes: rawPng({ w: 256, h: 256, ct: 2, depth: 8, sample: () => 90 }) },
    { label: "grass.png", bytes: fs.readFileSync(path.join(root, "workflows/assets/grass.png")) },
  ];
}

/** JPEG seeds (jpeg-js writes baseline 4:4:4; a 4:2:0 one is made by re-encoding at lower quality). */
export function jpegSeeds() {
  const rng = new Rng(8);
  const img = (w, h, f) => {
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([f(i, 0), f(i, 1), f(i, 2), 255], i * 4);
    return { width: w, height: h, data };
  };
  return [
    { label: "noise.jpg", bytes: Buffer.from(jpeg.encode(img(24, 16, () => rng.int(256)), 90).data) },
    { label: "flat.jpg", bytes: Buffer.from(jpeg.encode(img(64, 64, (_i, c) => 40 * c), 50).data) },
    { label: "tiny.jpg", bytes: Buffer.from(jpeg.encode(img(1, 1, () => 7), 100).data) },
  ];
}

/** Mutates a PNG or a JPEG (by signature), format-aware 80% of the time. */
export function mutateImage(rng, seeds) {
  const s = rng.pick(seeds);
  const byteMutate = (b) => mutateBytes(b, rng, seeds.map((x) => x.bytes));
  if (rng.chance(0.2)) return byteMutate(s.bytes);
  const textMutate = (t) => mutateJsonText(t, rng, byteMutate).toString("latin1");
  return s.bytes[0] === 0x89 ? mutatePng(s.bytes, rng, { textMutate, byteMutate }) : mutateJpeg(s.bytes, rng, { byteMutate });
}

/**
 * Memory bound of a decode: the largest picture the input's bytes can describe (deflate expands at most
 * 1032:1 and a 1-bit image holds 8 pixels per byte) at 16 bytes per decoded pixel, plus a fixed allowance.
 * A file declaring more pixels than its data can hold must be refused before allocating.
 */
export const decodeBound = (extra) => (n) => 16 * 8 * 1100 * n + extra;
