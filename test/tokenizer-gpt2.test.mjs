// GLIDE's GPT-2 tokenizer against the official code's outputs (test/fixtures/glide/tokenizer/bpe_*), the
// text_emb fixtures' tokens, js-tiktoken's r50k_base as an independent oracle, and Python-computed edge cases.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Tiktoken } from "js-tiktoken/lite";
import r50k from "js-tiktoken/ranks/r50k_base";
import { Gpt2Tokenizer } from "glide-studio";
import { fixture, loadInts, loadRows } from "./helpers/npy.mjs";

const prompts = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8")).tokenizer.prompts;
const tok = Gpt2Tokenizer.load();

test("GPT-2 ids match the reference for every fixture prompt", () => {
  const flat = loadInts("tokenizer/bpe_ids_flat");
  const offsets = loadInts("tokenizer/bpe_ids_offsets");
  assert.equal(offsets.length, prompts.length + 1);
  prompts.forEach((p, i) => {
    const ids = tok.encode(p.prompt);
    assert.deepEqual(ids, flat.slice(offsets[i], offsets[i + 1]), `prompt ${i} ${JSON.stringify(p.prompt)}`);
    assert.equal(ids.length, p.bpe_num_ids);
  });
});

test("GPT-2 padded tokens and mask (text_ctx 128) match the reference, including truncation", () => {
  const tokens = loadRows("tokenizer/bpe_padded_tokens");
  const masks = loadRows("tokenizer/bpe_padded_mask");
  assert.ok(prompts.some((p) => p.bpe_num_ids > 128), "the fixtures include a prompt longer than text_ctx");
  prompts.forEach((p, i) => {
    const padded = tok.paddedTokensAndMask(tok.encode(p.prompt), 128);
    assert.deepEqual(padded.tokens, tokens[i], `tokens of prompt ${i}`);
    assert.deepEqual(padded.mask, masks[i], `mask of prompt ${i}`);
  });
});

test("the text encoder fixtures' tokens and masks come out of the tokenizer", () => {
  for (const model of ["base", "upsample"]) {
    const tokens = loadRows(`text_emb/${model}_tokens`);
    const masks = loadRows(`text_emb/${model}_mask`);
    ["an oil painting of a corgi", ""].forEach((prompt, i) => {
      const padded = tok.paddedTokensAndMask(tok.encode(prompt), 128);
      assert.deepEqual(padded.tokens, tokens[i], `${model} row ${i}`);
      assert.deepEqual(padded.mask, masks[i], `${model} row ${i}`);
    });
  }
});

test("edge cases match Python (str.lower, regex-module \\s, no special tokens)", () => {
  // Expected ids from GLIDE's encoder run under Python 3.11 with the `regex` module.
  const cases = {
    "ΣΑΣ ΌΣΟΣ": [38392, 17394, 35558, 18074, 234, 38392, 26517, 35558], // final sigma
    "İstanbul": [72, 136, 229, 24179], // 'İ' lower-cases to "i̇"
    "a\u0085b\ufeffc  d": [64, 126, 227, 65, 171, 119, 123, 66, 220, 288], // U+0085 is a space, U+FEFF is not
    "<|endoftext|> hi": [27, 91, 437, 1659, 5239, 91, 29, 23105],
    "  two  spaces  ": [220, 734, 220, 9029, 220, 220],
    "x\u00a0y": [87, 1849, 88],
  };
  for (const [text, ids] of Object.entries(cases)) assert.deepEqual(tok.encode(text), ids, JSON.stringify(text));
});

// Deterministic strings mixing scripts, digits, punctuation, contractions, whitespace kinds and emoji.
function generatedPrompts(count) {
  const pieces = [
    "corgi", "Painting", "of", "THE", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "'s", "'LL", "'d", "42",
    "3.14", "1,000", "!!", "?", "--", "é", "naïve", "Straße", "ΣΟΦΊΑ", "русский", "中文", "日本語", "🐶", "👍🏽",
    "✨", "“q”", "—", "…", "ﬁ", "ＡＢＣ", "&amp;", "<b>", "snake_case", "kebab-case", "https://x.io/?a=1",
  ];
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + rand(12) }, () => pieces[rand(pieces.length)]).join(rand(3) ? " " : ""),
  );
}

test("GPT-2 ids agree with js-tiktoken's r50k_base on generated prompts", () => {
  // The oracle gets GLIDE's regex with Python's whitespace class and the lower-cased text.
  const pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+" +
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";
  const oracle = new Tiktoken({ ...r50k, pat_str: pattern, special_tokens: {} });
  for (const prompt of generatedPrompts(400)) {
    assert.deepEqual(tok.encode(prompt), oracle.encode(prompt.toLowerCase(), [], []), JSON.stringify(prompt));
  }
});

test("a very long word encodes in well under the reference's quadratic time", () => {
  let seed = 7;
  let word = "";
  for (let i = 0; i < 50_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    word += String.fromCharCode(97 + (seed >> 16) % 26);
  }
  const start = performance.now();
  const ids = tok.encode(word);
  const ms = performance.now() - start;
  assert.ok(ids.length > 10_000 && ids.every((id) => id >= 0 && id < 50256));
  assert.ok(ms < 5000, `50,000-letter word took ${ms.toFixed(0)} ms`);
});

test("load() is cached and fromVocabFiles() reads the shipped vocabulary", () => {
  assert.equal(Gpt2Tokenizer.load(), tok);
  assert.equal(tok.vocabSize, 50257);
  assert.equal(tok.endOfText, 50256);
  const fresh = Gpt2Tokenizer.fromVocabFiles();
  assert.notEqual(fresh, tok);
  assert.deepEqual(fresh.encode(prompts[0].prompt), tok.encode(prompts[0].prompt));
});

test("bad arguments and missing vocabulary files give errors that name the problem", () => {
  assert.throws(() => Gpt2Tokenizer.fromVocabFiles("/nonexistent/encoder.json"), /GPT-2 tokenizer: cannot read \/nonexistent\/encoder\.json/);
  assert.throws(() => tok.encode(42), { name: "TypeError", message: /expected a string, got number/ });
  assert.throws(() => tok.paddedTokensAndMask([1, 2], 0), { name: "TypeError", message: /textCtx must be an integer ≥ 1, got 0/ });
  assert.throws(() => tok.paddedTokensAndMask([1, -2], 8), { name: "TypeError", message: /ids\[1\] = -2 is not a token id/ });
  assert.deepEqual(tok.paddedTokensAndMask([7, 8, 9], 2), { tokens: [7, 8], mask: [true, true] });
  assert.deepEqual(tok.paddedTokensAndMask([], 2), { tokens: [50256, 50256], mask: [false, false] });
});
