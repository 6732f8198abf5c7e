import { decodeHTMLStrict } from "entities";
import { pythonHtmlUnescape } from "./html_unescape.js";
import { c1AsWindows1252 } from "./windows_1252.js";

/**
 * The part of `ftfy.fix_text` (ftfy 6.3, default settings) that the CLIP reference tokenizer applies to every
 * prompt, reimplemented: each line (segment ending in "\n") is fixed repeatedly until it stops changing, each
 * pass running, in ftfy's order,
 *
 * 1. HTML entity decoding (`&name;`, `&NAME;` for lower-case names, `&#...;`) — only while no segment so far
 *    contained "<", as ftfy's `unescape_html="auto"` decides;
 * 2. C1 controls U+0080..U+009F read as windows-1252 ("\x93" → “);
 * 3. Latin ligatures split (ﬁ → fi, Ǆ → DŽ, ĳ → ij, ...);
 * 4. full-/half-width forms and U+3000 to their normal width (ＡＢＣ → ABC, ｶ → カ);
 * 5. curly quotes straightened (‘ ’ ‚ ‛ ʼ → ', “ ” „ ‟ → ");
 * 6. line breaks (CRLF, CR, U+2028, U+2029, U+0085) → "\n";
 * 7. lone surrogates → U+FFFD;
 * 8. ANSI terminal escapes removed;
 * 9. control characters removed (U+0000..U+0008, U+000B, U+000E..U+001F, U+007F, U+206A..U+206F, U+FEFF,
 *    U+FFF9..U+FFFC);
 * 10. NFC normalisation.
 *
 * Not covered: ftfy's mojibake repair (`fix_encoding`: re-decoding text that its badness heuristic flags as
 * UTF-8 misread as latin-1 / windows-125x / iso-8859-2 / macroman / cp437, with `restore_byte_a0`,
 * `replace_lossy_sequences` and `decode_inconsistent_utf8`), so a prompt like "cafÃ©" keeps its mojibake
 * where the reference would read "café"; and ftfy's cut of lines longer than 1,000,000 characters into
 * separately fixed pieces.
 */
export function fixText(text: string): string {
  let unescape = true;
  let out = "";
  for (let pos = 0; pos < text.length; ) {
    const newline = text.indexOf("\n", pos);
    const end = newline < 0 ? text.length : newline + 1;
    const segment = text.slice(pos, end);
    // ftfy turns entity decoding off for this and every later segment once one contains "<" (looks like HTML).
    if (unescape && segment.includes("<")) unescape = false;
    out += fixSegment(segment, unescape);
    pos = end;
  }
  return out;
}

function fixSegment(text: string, unescape: boolean): string {
  for (;;) {
    const before = text;
    if (unescape) text = text.replace(HTML_ENTITY, unescapeEntity);
    text = text.replace(C1_CONTROL, (c) => c1AsWindows1252(c.charCodeAt(0)));
    text = text.replace(LIGATURE, (c) => LIGATURES[c]);
    text = text.replace(WIDE_OR_NARROW, (c) => widthMap().get(c) ?? c);
    text = text.replace(DOUBLE_QUOTE, '"').replace(SINGLE_QUOTE, "'");
    text = text
      .replaceAll("\r\n", "\n")
      .replaceAll("\r", "\n")
      .replaceAll("\u2028", "\n")
      .replaceAll("\u2029", "\n")
      .replaceAll("\u0085", "\n");
    text = text.replace(LONE_SURROGATE, "\ufffd");
    text = text.replace(ANSI_ESCAPE, "");
    text = text.replace(CONTROL_CHAR, "");
    text = text.normalize("NFC");
    if (text === before) return text;
  }
}

// ftfy decodes only semicolon-terminated references of at most 24 characters, never the legacy bare "&amp".
const HTML_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

function unescapeEntity(ref: string): string {
  if (ref[1] === "#") {
    // A numeric reference counts only if Python's html.unescape consumes it whole, semicolon included.
    const decoded = pythonHtmlUnescape(ref);
    return decoded.includes(";") ? ref : decoded;
  }
  const decoded = decodeHTMLStrict(ref);
  if (decoded !== ref) return decoded;
  // An all-caps spelling of a lower-case entity ("&EACUTE;" → "É"), unless the caps spelling already means
  // something to html.unescape (e.g. "&LTIMES;" starts with the legacy "&LT").
  const lower = ref.toLowerCase();
  if (ref === lower || ref !== ref.toUpperCase()) return ref;
  const lowerDecoded = decodeHTMLStrict(lower);
  if (lowerDecoded === lower || pythonHtmlUnescape(ref) !== ref) return ref;
  return lowerDecoded.toUpperCase();
}

const C1_CONTROL = /[\u0080-\u009f]/g;

const LIGATURES: Record<string, string> = {
  "\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn",
  "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz",
  "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e",
  "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj",
  "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj",
  "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "\u017ft", "\ufb06": "st",
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join("")}]`, "g");

const WIDE_OR_NARROW = /[\u3000\uff01-\uffef]/g;
let widths: Map<string, string> | undefined;
/** U+3000 → space, and each U+FF01..U+FFEF form whose NFKC form differs → that form (built on first use). */
function widthMap(): Map<string, string> {
  if (!widths) {
    widths = new Map([["\u3000", " "]]);
    for (let cp = 0xff01; cp < 0xfff0; cp++) {
      const c = String.fromCharCode(cp);
      const normal = c.normalize("NFKC");
      if (normal !== c) widths.set(c, normal);
    }
  }
  return widths;
}

const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Python's \d in ftfy's pattern is any Unicode decimal digit.
const ANSI_ESCAPE = /\u001b\[[\p{Nd};]*[a-zA-Z]/gu;
const CONTROL_CHAR = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;
