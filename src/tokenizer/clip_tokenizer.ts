import { BytePairEncoder } from "./byte_pair_encoder.js";
import { BYTE_ALPHABET_VOCAB_ORDER, toByteSymbols } from "./byte_alphabet.js";
import { fixText } from "./fix_text.js";
import { pythonHtmlUnescape } from "./html_unescape.js";
import { PY_SPACE, foldWhitespace, pythonLower, pythonStrip } from "./python_text.js";
import { readVocabText, vocabPath } from "./vocab_files.js";
import { checkContext, checkIds } from "./validate.js";

/** How many merges of the merges file the reference uses: 49152 - 256 - 2 (its lines 1 .. 48894). */
const CLIP_MERGES = 49152 - 256 - 2;
const START = "<|startoftext|>";
const END = "<|endoftext|>";

/**
 * CLIP's pre-tokenization regex as the reference runs it (`regex` module, IGNORECASE, on lower-cased text).
 * Written without the `i` flag because JavaScript's case-insensitive classes differ in one place: U+0345
 * (which case-folds to the letter ι) matches neither `[\p{L}]` nor the "other" class in Python, so it is
 * dropped from the token stream. After lower-casing, IGNORECASE only still matters for 'ſ', which folds to 's'.
 */
const CLIP_PATTERN = new RegExp(
  `<\\|[sſ]tartoftext\\|>|<\\|endoftext\\|>|'[sſ]|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${PY_SPACE}\\p{L}\\p{N}\\u0345]+`,
  "gu",
);

let shared: ClipTokenizer | undefined;

/**
 * The tokenizer of the noised CLIP text encoder used for CLIP guidance: OpenAI's `SimpleTokenizer` (49408
 * ids; `<|startoftext|>` 49406, `<|endoftext|>` 49407). {@link ClipTokenizer.encode} cleans the text as the
 * reference does — {@link fixText} (its ftfy step, without mojibake repair), HTML-unescape twice, strip, fold
 * whitespace runs to one space, lower-case — then applies the CLIP regex and word-final (`</w>`) BPE.
 */
export class ClipTokenizer {
  /** Number of ids. */
  readonly vocabSize: number;
  /** `<|startoftext|>`. */
  readonly startOfText: number;
  /** `<|endoftext|>`. */
  readonly endOfText: number;
  private readonly ids: Map<string, number>;
  private readonly bpe: BytePairEncoder;

  private constructor(merges: [string, string][]) {
    // Vocabulary order: 256 byte symbols, the same with "</w>", one entry per merge, then the two specials.
    const bytes = BYTE_ALPHABET_VOCAB_ORDER;
    const vocab = [...bytes, ...bytes.map((s) => `${s}</w>`), ...merges.map(([a, b]) => a + b)];
    vocab.push(START, END);
    // A repeated string keeps its last id, as the reference's dict(zip(vocab, range(...))) does.
    this.ids = new Map(vocab.map((s, i) => [s, i]));
    this.vocabSize = vocab.length;
    this.startOfText = vocab.length - 2;
    this.endOfText = vocab.length - 1;
    this.bpe = new BytePairEncoder(merges, { endOfWord: "</w>" });
    this.bpe.pin(START, [START]);
    this.bpe.pin(END, [END]);
  }

  /** The shared tokenizer over the shipped `vocab/bpe_simple_vocab_16e6.txt.gz` (built on first call, then cached). */
  static load(): ClipTokenizer {
    shared ??= ClipTokenizer.fromMergesFile(vocabPath("bpe_simple_vocab_16e6.txt.gz"));
    return shared;
  }

  /** A tokenizer over a CLIP merges file (a header line, then "a b" merges; `.gz` read compressed). */
  static fromMergesFile(file: string): ClipTokenizer {
    const what = "CLIP tokenizer";
    const lines = readVocabText(file, what).split("\n").slice(1, CLIP_MERGES + 1);
    if (lines.length < CLIP_MERGES) {
      throw new Error(`${what}: ${file} has ${lines.length} merges, expected at least ${CLIP_MERGES}`);
    }
    const merges = lines.map((line, i) => {
      const pair = line.split(" ");
      if (pair.length !== 2) throw new Error(`${what}: ${file} line ${i + 2} is not a merge "a b": ${line}`);
      return pair as [string, string];
    });
    return new ClipTokenizer(merges);
  }

  /** The text the reference tokenizes: `whitespace_clean(basic_clean(text)).lower()`. */
  static cleanText(text: string): string {
    const basic = pythonStrip(pythonHtmlUnescape(pythonHtmlUnescape(fixText(text))));
    return pythonLower(foldWhitespace(basic));
  }

  /** Ids of `text`, without start/end tokens. */
  encode(text: string): number[] {
    if (typeof text !== "string") throw new TypeError(`ClipTokenizer.encode: expected a string, got ${typeof text}`);
    const out: number[] = [];
    for (const [piece] of ClipTokenizer.cleanText(text).matchAll(CLIP_PATTERN)) {
      // The specials are printable ASCII, so their byte-alphabet spelling is themselves (and pinned).
      for (const symbol of this.bpe.encodeWord(toByteSymbols(piece))) out.push(this.ids.get(symbol)!);
    }
    return out;
  }

  /**
   * The reference's `padded_tokens_and_len`: `[start, ...ids (at most ctx - 2), end]` padded with 0 to `ctx`;
   * `len` counts the start and end tokens.
   */
  paddedTokensAndLen(ids: number[], ctx = 77): { tokens: number[]; len: number } {
    checkIds("ClipTokenizer.paddedTokensAndLen", ids);
    checkContext("ClipTokenizer.paddedTokensAndLen", "ctx", ctx, 2);
    const tokens = [this.startOfText, ...ids.slice(0, ctx - 2), this.endOfText];
    const len = tokens.length;
    return { tokens: [...tokens, ...new Array<number>(ctx - len).fill(0)], len };
  }
}
