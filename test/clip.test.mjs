// The noised CLIP against the reference fixtures (test/fixtures/glide/clip): text and image encoders, their
// normalised embeddings, and the CLIP-guidance gradient (cond_fn) by the native reverse pass.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";
import { loadClip, RELEASED_CLIP_CONFIG } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { fixture, loadInts, loadRows, loadTensor } from "./helpers/npy.mjs";

const manifest = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8"));
const IMAGE = fixture("checkpoints/clip_image_enc.pt");
const TEXT = fixture("checkpoints/clip_text_enc.pt");
// The fixture CLIP is tiny: the heads are not the released model's, so they come from its config.
const config = manifest.configs.clip;

test("CLIP config: shapes inferred, heads from the options, logit scale as the reference computes it", async () => {
  const clip = await loadClip(IMAGE, TEXT, { config: { n_head_image: config.n_head_image, n_head_text: config.n_head_text } });
  try {
    for (const [key, value] of Object.entries(config)) assert.equal(clip.config[key], value, key);
    assert.equal(clip.logitScale, manifest.clip.logit_scale);
  } finally {
    clip.dispose();
  }
});

test("CLIP text encoder: raw features and embeddings match the reference", async () => {
  const clip = await loadClip(IMAGE, TEXT, { config });
  try {
    const out = await clip.encodeText({ tokens: loadRows("clip/text_tokens"), lens: loadInts("clip/text_lens") });
    assertClose(out.raw, loadTensor("clip/text_encoder_raw"), { label: "text_encoder_raw" });
    assertClose(out.embeddings, loadTensor("clip/text_embeddings"), { label: "text_embeddings" });
    // From the strings: the tokenizer gives the same rows, so the same embeddings.
    const fromText = await clip.textEmbeddings(manifest.clip.text_prompts);
    assertClose(fromText, loadTensor("clip/text_embeddings"), { label: "text_embeddings(prompts)" });
  } finally {
    clip.dispose();
  }
});

test("CLIP image encoder: raw features and embeddings match the reference", async () => {
  const clip = await loadClip(IMAGE, TEXT, { config });
  try {
    const out = await clip.encodeImage(loadTensor("clip/image_x"), loadInts("clip/image_t"));
    assertClose(out.raw, loadTensor("clip/image_encoder_raw"), { label: "image_encoder_raw" });
    assertClose(out.embeddings, loadTensor("clip/image_embeddings"), { label: "image_embeddings" });
    assertClose(await clip.imageEmbeddings(loadTensor("clip/image_x"), loadInts("clip/image_t")), loadTensor("clip/image_embeddings"), {
      label: "imageEmbeddings",
    });
  } finally {
    clip.dispose();
  }
});

test("CLIP gradient: the native reverse pass matches the reference cond_fn", async () => {
  const clip = await loadClip(IMAGE, TEXT, { config });
  try {
    const x = loadTensor("clip/cond_fn_x");
    const t = loadInts("clip/cond_fn_t");
    const want = loadTensor("clip/cond_fn_grad");
    const grad = await clip.gradient(x, t, manifest.clip.cond_fn_prompts, manifest.clip.cond_fn_grad_scale);
    assertClose(grad, want, { label: "cond_fn_grad" });
    // Precomputed text embeddings give the same numbers; the scale is linear.
    const text = await clip.textEmbeddings(manifest.clip.cond_fn_prompts);
    const again = await clip.gradient(x, t, text, 1);
    assertClose({ shape: again.shape, data: again.data.map((v) => v * manifest.clip.cond_fn_grad_scale) }, want, { label: "scale 1 × 3" });
  } finally {
    clip.dispose();
  }
});

test("CLIP: inputs are checked and errors name what is wrong", async () => {
  const clip = await loadClip(IMAGE, TEXT, { config });
  try {
    const x = loadTensor("clip/cond_fn_x");
    await assert.rejects(clip.gradient(x, [0, 1000], ["a"], 1), /timestep 1000 is outside 0…999/);
    await assert.rejects(clip.gradient(x, [0, 1], ["a", "b", "c"], 1), /3 prompts for 2 images/);
    await assert.rejects(clip.imageEmbeddings({ shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) }, [0]), /\[N, 3, 32, 32\]/);
    await assert.rejects(clip.encodeText({ tokens: [new Array(77).fill(70000)], lens: [2] }), /outside the CLIP vocabulary of 65536/);
  } finally {
    clip.dispose();
  }
  await assert.rejects(clip.textEmbeddings(["a"]), /has been disposed/);
  await assert.rejects(loadClip(TEXT, IMAGE, { config }), /looks like the CLIP text encoder/);
  await assert.rejects(loadClip(IMAGE, TEXT, { config: { ...config, image_size: 64 } }), /image_size = 64 .* contradicts the weights/);
  await assert.rejects(loadClip(IMAGE, TEXT, { config: { n_head_text: 2 } }), /n_head_image.*clip_image_enc\.pt|clip_image_enc\.pt.*n_head_image/);
  await assert.rejects(loadClip(IMAGE, TEXT, { config: { ...config, n_head_image: 3 } }), /n_head_image 3 × n_head_state_image 8 ≠ 16/);
  assert.equal(RELEASED_CLIP_CONFIG.n_head_state_image * RELEASED_CLIP_CONFIG.n_head_image, 768);
});
