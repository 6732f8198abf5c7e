// The bundled demo family (models/demo) makes the product work offline: every workflow under
// workflows/demo runs through the CLI with an empty models folder (the demo checkpoints resolve from the
// package) at its full step counts, and leaves a 128×128 PNG that is a picture, not noise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodePngImage } from "glide-studio";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist/cli/main.js");
const demos = path.join(root, "workflows/demo");

/** Mean |difference| between horizontally adjacent pixels (rgb in 0..1; uniform noise gives ~0.33). */
function roughness({ width, height, rgb }) {
  let sum = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 1; x < width; x++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(rgb[(y * width + x) * 3 + c] - rgb[(y * width + x - 1) * 3 + c]);
    }
  }
  return sum / (height * (width - 1) * 3);
}

for (const name of fs.readdirSync(demos).filter((f) => f.endsWith(".json")).sort()) {
  test(`workflows/demo/${name} runs offline on the bundled demo models`, () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "glide-demo-models-"));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-demo-out-"));
    const started = Date.now();
    const r = spawnSync(process.execPath, [cli, "run", path.join(demos, name), "--models-dir", empty, "--output-dir", out, "--seed", "7", "-q"], {
      cwd: os.tmpdir(),
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const seconds = (Date.now() - started) / 1000;
    const saved = r.stdout.trim().split("\n").filter((f) => f.startsWith(out));
    assert.equal(saved.length, 1, r.stdout);
    const png = decodePngImage(fs.readFileSync(saved[0]));
    assert.deepEqual([png.width, png.height], [128, 128]);
    const rough = roughness(png);
    console.log(`# ${name}: ${seconds.toFixed(1)} s, neighbour difference ${rough.toFixed(3)}`);
    assert.ok(rough < 0.08, `the demo image is noise-like (neighbour difference ${rough.toFixed(3)})`);
  });
}
