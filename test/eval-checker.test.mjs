// The demo evaluation's procedural checker (src/eval/checker.ts) against its Python reference
// (train/checker.py): same detections and verdicts on rendered scenes stored in models/demo/eval-cases.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detect, scoreImage, tensorToRgb } from "../dist/eval/checker.js";
import { loadDemoCases } from "../dist/eval/cases.js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const CASES = path.join(ROOT, "models", "demo", "eval-cases.json");
const raw = JSON.parse(fs.readFileSync(CASES, "utf8"));
const vocab = { colours: raw.colours, backgrounds: raw.backgrounds, positions: raw.positions };

test("checker: detections match train/checker.py on rendered scenes", () => {
  assert.ok(raw.checker_selftest.length >= 16);
  for (const [i, c] of raw.checker_selftest.entries()) {
    const rgb = Buffer.from(c.image, "base64");
    const got = detect(rgb, 32, vocab);
    assert.equal(got.background, c.detected.background, `case ${i} (${c.caption}) background`);
    assert.equal(got.objects.length, c.detected.objects.length, `case ${i} (${c.caption}) object count`);
    got.objects.forEach((o, k) => {
      const want = c.detected.objects[k];
      for (const key of ["colour", "shape", "size"]) assert.equal(o[key], want[key], `case ${i} object ${k} ${key}`);
      for (const key of ["cx", "cy", "area"]) assert.ok(Math.abs(o[key] - want[key]) < 1e-9, `case ${i} object ${k} ${key}: ${o[key]} vs ${want[key]}`);
    });
    assert.deepEqual(scoreImage(rgb, 32, c, vocab), c.expected, `case ${i} (${c.caption}) verdicts`);
  }
});

test("checker: ground-truth renders score as right, a wrong caption as wrong", () => {
  const right = raw.checker_selftest.filter((c) => c.expected.all).length;
  assert.ok(right >= 0.9 * raw.checker_selftest.length, `${right} of ${raw.checker_selftest.length} ground-truth scenes pass`);
  const c = raw.checker_selftest.find((x) => x.kind === "single" && x.expected.all);
  const rgb = Buffer.from(c.image, "base64");
  const otherColour = Object.keys(vocab.colours).find((k) => k !== c.objects[0].colour);
  const wrong = { ...c, objects: [{ ...c.objects[0], colour: otherColour }] };
  const s = scoreImage(rgb, 32, wrong, vocab);
  assert.equal(s.colour, false);
  assert.equal(s.all, false);
});

test("checker: tensorToRgb maps [-1, 1] to 0..255 channel-last", () => {
  const t = { shape: [1, 3, 1, 2], data: Float32Array.from([-1, 1, 0, 0.5, 2, -2]) };
  assert.deepEqual(Array.from(tensorToRgb(t)[0]), [0, 128, 255, 255, 191, 0]);
});

test("cases: the evaluation file loads with inpainting sources and masks", async () => {
  const d = await loadDemoCases(CASES);
  assert.ok(d.cases.some((c) => c.kind === "single") && d.cases.some((c) => c.kind === "pair"));
  assert.equal(d.inpaint[0].source.length, d.inpaintSize * d.inpaintSize * 3);
  const keep = d.inpaint[0].keepMask.reduce((a, b) => a + b, 0);
  assert.ok(keep > 0 && keep < d.inpaintSize * d.inpaintSize, "the mask keeps part of the image");
});
