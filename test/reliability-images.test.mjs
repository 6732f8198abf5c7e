// Pictures from strangers, found by the image fuzzers (test/fuzz/targets/image-decode.mjs, upload.mjs,
// workflow-png.mjs) and kept as explicit cases: a PNG's declared size is checked against its data
// before any decoder allocates, many tiny IDAT chunks decode in linear time, a workflow is read from a
// PNG without decoding its pixels, and the upload route answers 400 for lying or malformed files.
import test from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { builtinRegistry, decodeImage, workflowFromPng } from "glide-studio";
import { joinPng, splitPng, textChunk, zlibBomb } from "./fuzz/png.mjs";
import { rawPng } from "./fuzz/targets/image-seeds.mjs";
import { Rng } from "./fuzz/rng.mjs";
import { multipart, request, startTestServer } from "./helpers/server-fixtures.mjs";

const ihdr = (w, h, depth = 8, ct = 2) => {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(w, 0);
  d.writeUInt32BE(h, 4);
  d[8] = depth;
  d[9] = ct;
  return { type: "IHDR", data: d };
};
const IEND = { type: "IEND", data: Buffer.alloc(0) };
const idat = (raw) => ({ type: "IDAT", data: zlib.deflateSync(raw) });

test("a PNG declaring more pixels than its data can hold is refused before decoding", () => {
  const lying = joinPng([ihdr(4096, 4096), idat(Buffer.alloc(10)), IEND]);
  assert.throws(() => decodeImage(lying, "lying.png"), /lying\.png: the PNG declares 4096x4096 pixels .* holds only \d+ compressed bytes/);
  const huge = joinPng([ihdr(30000, 30000), idat(Buffer.alloc(10)), IEND]);
  assert.throws(() => decodeImage(huge, "huge.png"), /more than the 268435456 this program decodes/);
  const bomb = joinPng([ihdr(1, 1), { type: "IDAT", data: zlibBomb(16 << 20) }, IEND]);
  assert.throws(() => decodeImage(bomb, "bomb.png"), /inflates to more than the 4 bytes .* decompression bomb/);
  // An honest picture of every layout still decodes.
  const ok = decodeImage(rawPng({ w: 10, h: 3, ct: 3, depth: 2, sample: (x) => x % 3, palette: [[0, 0, 0], [255, 255, 255], [255, 0, 0]], trns: [0] }), "ok.png");
  assert.deepEqual([ok.width, ok.height, ok.alpha[0], ok.alpha[1], ok.rgb[5]], [10, 3, 0, 1, 1]);
});

test("a PNG whose data is split into one-byte IDAT chunks decodes in linear time (it took seconds per MB)", () => {
  const rng = new Rng(3);
  const png = rawPng({ w: 512, h: 512, ct: 6, depth: 8, sample: () => rng.int(256) });
  const chunks = splitPng(png);
  const data = Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data));
  const tiny = [];
  for (let i = 0; i < data.length; i++) tiny.push({ type: "IDAT", data: data.subarray(i, i + 1) });
  const split = joinPng([chunks[0], ...tiny, IEND]);
  const t0 = performance.now();
  const pic = decodeImage(split, "split.png");
  const ms = performance.now() - t0;
  console.log(`${tiny.length} one-byte IDAT chunks (${(split.length / 2 ** 20).toFixed(1)} MiB): decoded in ${ms.toFixed(0)} ms`);
  assert.equal(pic.width, 512);
  assert.deepEqual(pic.rgb.subarray(0, 6), decodeImage(png, "whole.png").rgb.subarray(0, 6));
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test("a JPEG declaring far more pixels than its bytes can encode is refused before decoding", () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0x20, 0, 0x20, 0, 1, 1, 0x11, 0, 0xff, 0xd9]);
  assert.throws(() => decodeImage(jpeg, "big.jpg"), /big\.jpg: the JPEG declares 8192x8192 pixels but has only 17 bytes/);
});

test("a workflow is read from a PNG whose pixels cannot be decoded (only the text chunks are read)", () => {
  const wf = { 1: { class_type: "LoadImage", inputs: { image: "grass.png" } }, 2: { class_type: "PreviewImage", inputs: { images: ["1", 0] } } };
  const png = joinPng([ihdr(0x7fffffff, 0x7fffffff), textChunk("prompt", JSON.stringify(wf)), { type: "IDAT", data: zlibBomb(16 << 20) }, IEND]);
  const loaded = workflowFromPng(png, builtinRegistry(), "shared.png");
  assert.deepEqual(loaded.prompt, wf);
  assert.throws(() => workflowFromPng(png.subarray(0, 40), builtinRegistry(), "cut.png"), { name: "WorkflowFormatError", message: /cut\.png: truncated PNG/ });
});

test("uploads: lying sizes, bombs and malformed forms are 400s, never 500s or stored blanks", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const upload = (bytes, name = "x.png") => {
    const form = multipart({ type: "input" }, { name, bytes });
    return request(base, "/upload/image", { method: "POST", body: form.body, headers: form.headers });
  };
  // pngjs decoded a 68-byte file declaring 4096x4096 as a blank picture and stored it.
  let r = await upload(joinPng([ihdr(4096, 4096), idat(Buffer.alloc(10)), IEND]));
  assert.equal(r.status, 400, r.body.toString());
  assert.match(r.json.error.message, /declares 4096x4096 pixels/);
  r = await upload(joinPng([ihdr(8, 8), { type: "IDAT", data: zlibBomb(16 << 20) }, IEND]));
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /decompression bomb/);
  // A NUL in the file name makes the multipart parser fail: that is the client's fault (it was a 500).
  r = await upload(rawPng({ w: 2, h: 2, ct: 2, depth: 8, sample: () => 1 }), "a\u0000b.png");
  assert.equal(r.status, 400, r.body.toString());
  assert.match(r.json.error.message, /the form cannot be read/);
  r = await upload(rawPng({ w: 2, h: 2, ct: 2, depth: 8, sample: () => 1 }));
  assert.equal(r.status, 200);
});
