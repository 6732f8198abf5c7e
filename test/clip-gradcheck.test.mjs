// The native reverse pass of the CLIP image encoder checked against finite differences of its own forward,
// on tiny random CLIPs of shapes other than the fixture's (written as safetensors files here), plus the
// text encoder's causality and config inference on those shapes.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "node:test";
import { expectedClipImageTensors, expectedClipTextTensors, loadClip, writeSafetensors } from "glide-studio";

/** Deterministic standard normals (mulberry32 + Box–Muller). */
function normals(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Random weights in the spirit of the fixtures: gains 1+0.1·N, biases 0.05·N, tables 0.5·N, weights N/√fan_in. */
function randomTensors(expected, randn) {
  return [...expected].map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fanIn = n / shape[0];
    for (let i = 0; i < n; i++) {
      const z = randn();
      if (name.endsWith(".g")) data[i] = 1 + 0.1 * z;
      else if (shape.length === 1) data[i] = 0.05 * z;
      else if (/w_t|w_pos|w_voc/.test(name)) data[i] = 0.5 * z;
      else data[i] = z / Math.sqrt(fanIn);
    }
    return { name, dtype: "float32", shape, data: new Uint8Array(data.buffer) };
  });
}

/** Writes a random CLIP of `config` (official names) to a temp folder; returns the two file paths. */
async function writeRandomClip(config, seed, sidecar) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "glide-clip-"));
  const randn = normals(seed);
  const image = path.join(dir, "clip_image_enc.safetensors");
  const text = path.join(dir, "clip_text_enc.safetensors");
  await writeSafetensors(image, randomTensors(expectedClipImageTensors(config), randn));
  await writeSafetensors(text, randomTensors(expectedClipTextTensors(config), randn));
  if (sidecar) await fs.writeFile(`${image}.json`, JSON.stringify(sidecar));
  return { dir, image, text };
}

const BASE = { logit_scale: 100, beta_schedule: "squaredcos_cap_v2", n_vocab: 50, max_text_len: 9 };
// Two shapes unlike the fixture's (32×32, 4×4 patches, widths 16/8, 2+2 blocks, n_embd 24).
const SHAPES = {
  small: {
    ...BASE, n_timesteps: 10, image_size: 8, patch_size: 2, n_embd: 6,
    n_head_state_image: 4, n_head_image: 3, n_xf_blocks_image: 2,
    n_head_state_text: 3, n_head_text: 2, n_xf_blocks_text: 2,
  },
  // 64-wide heads as released, so the heads need no option at all; 5×5 patches of 3 px, 26 tokens.
  released_heads: {
    ...BASE, n_timesteps: 20, image_size: 15, patch_size: 3, n_embd: 10,
    n_head_state_image: 64, n_head_image: 2, n_xf_blocks_image: 1,
    n_head_state_text: 64, n_head_text: 1, n_xf_blocks_text: 3,
  },
};

function randomImages(n, size, randn) {
  const data = new Float32Array(n * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = 0.8 * randn();
  return { shape: [n, 3, size, size], data };
}

/** The guided score logit·Σ zₜ·ẑᵢ(x) from the forward (float64 sum of float32 embeddings). */
async function score(clip, x, t, text) {
  const zi = await clip.imageEmbeddings(x, t);
  let s = 0;
  for (let i = 0; i < zi.data.length; i++) s += text.data[i] * zi.data[i];
  return clip.logitScale * s;
}

function shifted(x, v, eps) {
  return { shape: x.shape, data: x.data.map((xi, i) => xi + eps * v[i]) };
}

async function checkGradient(clip, seed) {
  const randn = normals(seed);
  const { image_size: size, n_timesteps, max_text_len: ctx } = clip.config;
  const x = randomImages(2, size, randn);
  const t = [0, n_timesteps - 1];
  const tokens = [[1, 7, 3, 2, ...new Array(ctx - 4).fill(0)], [1, 4, 9, 11, 5, 2, ...new Array(ctx - 6).fill(0)]];
  const text = await clip.textEmbeddings({ tokens, lens: [4, 6] });
  const grad = await clip.gradient(x, t, text, 1);
  assert.deepEqual(grad.shape, x.shape);
  const eps = 3e-3;
  for (let k = 0; k < 4; k++) {
    // A random direction, and in the last round a single pixel, so both spread and local errors show.
    const v = k < 3 ? Float64Array.from(x.data, () => randn()) : Float64Array.from(x.data, (_, i) => (i === 5 * size + 3 ? 1 : 0));
    const numeric = ((await score(clip, shifted(x, v, eps), t, text)) - (await score(clip, shifted(x, v, -eps), t, text))) / (2 * eps);
    let analytic = 0;
    for (let i = 0; i < v.length; i++) analytic += grad.data[i] * v[i];
    // float32 forwards leave ~1e-3 of noise in the difference quotient, hence the floor of 1.
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), 1);
    assert.ok(rel < 5e-3, `direction ${k}: finite difference ${numeric} vs native gradient ${analytic} (relative ${rel.toExponential(2)})`);
  }
  // The gradient is linear in the scale.
  const scaled = await clip.gradient(x, t, text, -2.5);
  for (let i = 0; i < grad.data.length; i += 7) assert.ok(Math.abs(scaled.data[i] + 2.5 * grad.data[i]) <= 1e-5 * (1 + Math.abs(grad.data[i])));
}

test("CLIP gradient = finite differences on a tiny random CLIP (heads from a sidecar)", async () => {
  const cfg = SHAPES.small;
  const { dir, image, text } = await writeRandomClip(cfg, 11, { n_head_image: cfg.n_head_image });
  try {
    const clip = await loadClip(image, text, { config: { n_head_text: cfg.n_head_text } });
    try {
      for (const [key, value] of Object.entries(cfg)) assert.equal(clip.config[key], value, key);
      await checkGradient(clip, 5);
    } finally {
      clip.dispose();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("CLIP of another shape: config from shapes alone, embeddings shaped [N, n_embd], gradient checked", async () => {
  const cfg = SHAPES.released_heads;
  const { dir, image, text } = await writeRandomClip(cfg, 23);
  try {
    const clip = await loadClip(image, text);
    try {
      for (const [key, value] of Object.entries(cfg)) assert.equal(clip.config[key], value, key);
      const x = randomImages(3, cfg.image_size, normals(1));
      const zi = await clip.imageEmbeddings(x, [0, 7, 19]);
      assert.deepEqual(zi.shape, [3, cfg.n_embd]);
      for (let n = 0; n < 3; n++) {
        const norm = Math.hypot(...zi.data.subarray(n * cfg.n_embd, (n + 1) * cfg.n_embd));
        assert.ok(Math.abs(norm - 1) < 1e-5, `row ${n} has norm ${norm}`);
      }
      await checkGradient(clip, 9);
    } finally {
      clip.dispose();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("CLIP text encoder is causal: tokens after the end token never matter, earlier ones do", async () => {
  const cfg = SHAPES.small;
  const { dir, image, text } = await writeRandomClip(cfg, 31, { n_head_image: 3, n_head_text: 2 });
  try {
    const clip = await loadClip(image, text);
    try {
      const row = [1, 7, 3, 2, 0, 0, 0, 0, 0];
      const out = await clip.encodeText({
        tokens: [row, [1, 7, 3, 2, 44, 45, 46, 47, 48], [1, 8, 3, 2, 0, 0, 0, 0, 0]],
        lens: [4, 4, 4],
      });
      const e = cfg.n_embd;
      assert.deepEqual(out.raw.shape, [3, e]);
      assert.deepEqual(out.raw.data.subarray(e, 2 * e), out.raw.data.subarray(0, e));
      assert.notDeepEqual(out.raw.data.subarray(2 * e, 3 * e), out.raw.data.subarray(0, e));
    } finally {
      clip.dispose();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("CLIP loading names the file and tensor at fault", async () => {
  const cfg = SHAPES.small;
  const { dir, image, text } = await writeRandomClip(cfg, 41);
  try {
    const heads = { n_head_image: 3, n_head_text: 2 };
    await assert.rejects(loadClip(image, text), /clip_image_enc\.safetensors \(a 12-wide transformer\).*set n_head_image/);
    await assert.rejects(loadClip(image, text, { config: { ...heads, n_xf_blocks_text: 3 } }), /n_xf_blocks_text = 3 .*contradicts the weights/);
    await assert.rejects(loadClip(image, text, { config: { ...heads, n_head_txt: 2 } }), /unknown CLIP option "n_head_txt"/);
    // A checkpoint missing one tensor.
    const broken = path.join(dir, "broken.safetensors");
    const tensors = randomTensors(expectedClipImageTensors(cfg), normals(2)).filter((t) => t.name !== "blocks.block_1.f_attn.f_k.w");
    await writeSafetensors(broken, tensors);
    await assert.rejects(loadClip(broken, text, { config: heads }), /broken\.safetensors: tensor 'blocks\.block_1\.f_attn\.f_k\.w' is missing/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
