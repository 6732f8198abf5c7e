/**
 * Windows-1252 reading of the bytes 0x80..0x9F, the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D) kept as the same code point — Python's `html.unescape` table and ftfy's "sloppy-windows-1252" agree
 * on this. Spelled out because Node's TextDecoder("windows-1252") is unreliable for single bytes.
 */
const C1_AS_WINDOWS_1252 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/** The character windows-1252 reads for `code` in 0x80..0x9F. */
export function c1AsWindows1252(code: number): string {
  return C1_AS_WINDOWS_1252[code - 0x80];
}
