import { BytePairEncoder } from "./byte_pair_encoder.js";
import { toByteSymbols } from "./byte_alphabet.js";
import { PY_SPACE, pythonLower } from "./python_text.js";
import { readVocabText, vocabPath } from "./vocab_files.js";
import { checkContext, checkIds } from "./validate.js";

/**
 * GPT-2's pre-tokenization regex as GLIDE runs it (with the `regex` module, whose `\s` is Unicode
 * White_Space; JavaScript's `\s` would also match U+FEFF and miss U+0085).
 */
const GPT2_PATTERN =
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${PY_SPACE}\\p{L}\\p{N}]+` +
  `|${PY_SPACE}+(?!\\P{White_Space})|${PY_SPACE}+`;

let shared: Gpt2Tokenizer | undefined;

/**
 * The byte-level BPE tokenizer of GLIDE's text transformer (GPT-2's vocabulary, 50257 ids), exactly as the
 * released checkpoints expect: the whole prompt is lower-cased first, no start/end tokens are added, and
 * {@link Gpt2Tokenizer.paddedTokensAndMask} truncates / pads to the model's `text_ctx`.
 *
 * Runs our {@link BytePairEncoder} over the vocabulary files GLIDE ships (`vocab/encoder.json.gz`,
 * `vocab/vocab.bpe.gz`). js-tiktoken's `r50k_base` gives the same ids (the tests use it as an oracle) but its
 * merge loop is quadratic in a word's length — tens of seconds, on the event loop, for one 20,000-letter word.
 */
export class Gpt2Tokenizer {
  /** Number of ids. */
  readonly vocabSize: number;
  /** `<|endoftext|>` (the last id), the padding id. */
  readonly endOfText: number;
  private readonly encodePieces: (text: string) => number[];

  private constructor(vocabSize: number, encodePieces: (text: string) => number[]) {
    this.vocabSize = vocabSize;
    // The reference pads with n_vocab - 1, which is "<|endoftext|>" in GPT-2's vocabulary.
    this.endOfText = vocabSize - 1;
    this.encodePieces = encodePieces;
  }

  /** The shared GLIDE tokenizer over the shipped vocabulary (built on first call, ~0.1 s, then cached). */
  static load(): Gpt2Tokenizer {
    shared ??= Gpt2Tokenizer.fromVocabFiles();
    return shared;
  }

  /**
   * A tokenizer over GPT-2-format vocabulary files (default: the copies shipped in `vocab/`, which is what
   * {@link Gpt2Tokenizer.load} caches): `encoderFile` maps token strings to ids (JSON), `mergesFile` lists
   * merges after a header line; `.gz` files are read compressed.
   */
  static fromVocabFiles(
    encoderFile = vocabPath("encoder.json.gz"),
    mergesFile = vocabPath("vocab.bpe.gz"),
  ): Gpt2Tokenizer {
    const what = "GPT-2 tokenizer";
    const encoderText = readVocabText(encoderFile, what);
    let encoder: Record<string, number>;
    try {
      encoder = JSON.parse(encoderText) as Record<string, number>;
    } catch (err) {
      throw new Error(`${what}: ${encoderFile} is not a token → id JSON object (${(err as Error).message})`);
    }
    // As the reference reads it: drop the "#version" header and the empty string after the final newline.
    const lines = readVocabText(mergesFile, what).split("\n").slice(1, -1);
    const merges = lines.map((line, i) => {
      const pair = line.split(" ");
      if (pair.length !== 2) throw new Error(`${what}: ${mergesFile} line ${i + 2} is not a merge "a b": ${line}`);
      return pair as [string, string];
    });
    const bpe = new BytePairEncoder(merges);
    const ids = new Map(Object.entries(encoder));
    const pattern = new RegExp(GPT2_PATTERN, "gu");
    const encodePieces = (text: string) => {
      const out: number[] = [];
      for (const [piece] of text.matchAll(pattern)) {
        for (const symbol of bpe.encodeWord(toByteSymbols(piece))) {
          const id = ids.get(symbol);
          if (id === undefined) throw new Error(`${what}: BPE symbol ${JSON.stringify(symbol)} is not in ${encoderFile}`);
          out.push(id);
        }
      }
      return out;
    };
    return new Gpt2Tokenizer(ids.size, encodePieces);
  }

  /** Ids of `text` (lower-cased first, as GLIDE does; no start/end tokens). */
  encode(text: string): number[] {
    if (typeof text !== "string") throw new TypeError(`Gpt2Tokenizer.encode: expected a string, got ${typeof text}`);
    return this.encodePieces(pythonLower(text));
  }

  /**
   * GLIDE's `padded_tokens_and_mask`: keeps the first `textCtx` ids, pads to `textCtx` with `<|endoftext|>`;
   * `mask[i]` is true where `tokens[i]` is a real token.
   */
  paddedTokensAndMask(ids: number[], textCtx: number): { tokens: number[]; mask: boolean[] } {
    checkIds("Gpt2Tokenizer.paddedTokensAndMask", ids);
    checkContext("Gpt2Tokenizer.paddedTokensAndMask", "textCtx", textCtx, 1);
    const kept = ids.slice(0, textCtx);
    const padding = textCtx - kept.length;
    return {
      tokens: [...kept, ...new Array<number>(padding).fill(this.endOfText)],
      mask: [...new Array<boolean>(kept.length).fill(true), ...new Array<boolean>(padding).fill(false)],
    };
  }
}
