import { decodeHTML } from "entities";
import { c1AsWindows1252 } from "./windows_1252.js";

/**
 * Python's `html.unescape` (the CLIP reference calls it twice on every prompt). Named references are looked
 * up with the `entities` library, which follows the same HTML5 rules (exact `name;` first, else the longest
 * legacy name without a semicolon, e.g. "&notit;" → "¬it;"); numeric references are decoded here because Python
 * deviates from HTML5 there: it deletes control and non-character code points instead of keeping them.
 */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, (match: string, body: string) =>
    body[0] === "#" ? numericCharref(body) : decodeHTML(match),
  );
}

// The same tokens Python's html module matches: numeric (decimal / hex) or up to 32 name characters.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function numericCharref(body: string): string {
  const hex = body[1] === "x" || body[1] === "X";
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
  const num = parseInt(digits, hex ? 16 : 10); // huge values become > 0x10FFFF (or Infinity): both map to U+FFFD
  // Python's _invalid_charrefs: 0, CR, and 0x80..0x9F read as windows-1252.
  if (num === 0x00) return "\ufffd";
  if (num === 0x0d) return "\r";
  if (num >= 0x80 && num <= 0x9f) return c1AsWindows1252(num);
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
  if (isDeletedCodePoint(num)) return "";
  return String.fromCodePoint(num);
}

/** Python's `_invalid_codepoints`: C0/C1 controls other than whitespace, and the Unicode non-characters. */
function isDeletedCodePoint(cp: number): boolean {
  return (
    (cp >= 0x01 && cp <= 0x08) ||
    cp === 0x0b ||
    (cp >= 0x0e && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe
  );
}
