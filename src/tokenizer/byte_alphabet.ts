/**
 * GPT-2's reversible byte → printable-character alphabet (`bytes_to_unicode` in the reference code), shared by
 * the GPT-2 and CLIP tokenizers: BPE runs over strings of these characters, one per UTF-8 byte, so that merges
 * never see whitespace or control characters.
 */
function buildByteAlphabet(): string[] {
  // Printable Latin-1 bytes map to themselves; the other 68 bytes take code points 256, 257, ... in byte order.
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable(b) ? b : next++);
  return table;
}

/** `BYTE_ALPHABET[b]` is the character standing for byte `b`. */
export const BYTE_ALPHABET: readonly string[] = buildByteAlphabet();

/**
 * The alphabet in the reference dict's order — the printable bytes' characters first, then the 68 remapped
 * ones (U+0100...) — which is the order CLIP's vocabulary lists its first 256 (and next 256 `</w>`) entries in.
 */
export const BYTE_ALPHABET_VOCAB_ORDER: readonly string[] = [...BYTE_ALPHABET].sort(
  (a, b) => a.codePointAt(0)! - b.codePointAt(0)!,
);

const utf8 = new TextEncoder();

/**
 * Maps a string's UTF-8 bytes to alphabet characters, one per byte. A lone UTF-16 surrogate is encoded as
 * U+FFFD (Python would refuse to encode it).
 */
export function toByteSymbols(text: string): string {
  let out = "";
  for (const b of utf8.encode(text)) out += BYTE_ALPHABET[b];
  return out;
}
