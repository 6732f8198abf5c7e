/**
 * The few Python string semantics the reference tokenizers rely on, where JavaScript's built-ins differ.
 *
 * - The reference regexes come from the `regex` module, whose `\s` is Unicode `White_Space`; JavaScript's `\s`
 *   adds U+FEFF and lacks U+0085. Patterns here therefore spell `\p{White_Space}`.
 * - `str.strip()` strips `str.isspace()` characters: `White_Space` plus U+001C..U+001F.
 * - `str.lower()` is the full Unicode lower-case mapping, like `toLowerCase()` (both map 'İ' to "i̇" and apply
 *   the final-sigma rule identically). Only characters whose lower case was added to Unicode after the
 *   reference's Python (3.11, Unicode 14) differ: Node lower-cases them, Python left them unchanged.
 */

/** Regex class body matching what the reference's `\s` matches. */
export const PY_SPACE = "\\p{White_Space}";

const isSpaceChar = /^[\p{White_Space}\u001c-\u001f]$/u;
const spaceRuns = /\p{White_Space}+/gu;

/** Python's `str.strip()` with no argument (all such characters are single UTF-16 units). */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpaceChar.test(text[start])) start++;
  while (end > start && isSpaceChar.test(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Python's `str.lower()`. */
export function pythonLower(text: string): string {
  return text.toLowerCase();
}

/** CLIP's `whitespace_clean`: every `\s+` run becomes one space, then strip. */
export function foldWhitespace(text: string): string {
  return pythonStrip(text.replace(spaceRuns, " "));
}
