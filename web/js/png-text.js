// Reads the text chunks (tEXt, and iTXt/zTXt, compressed or not) of a PNG in the browser, so a
// workflow embedded by SaveImage can be restored by dropping the image on the editor.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The text chunks of a PNG as {keyword: text}; throws when the bytes are not a PNG. */
export async function readPngText(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error("not a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8");
  const out = {};
  let pos = 8;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = latin1.decode(bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    pos += 12 + length;
    if (type === "IEND") break;
    const nul = data.indexOf(0);
    if (nul < 0) continue;
    const keyword = latin1.decode(data.subarray(0, nul));
    if (type === "tEXt") {
      out[keyword] = latin1.decode(data.subarray(nul + 1));
    } else if (type === "zTXt") {
      out[keyword] = latin1.decode(await inflate(data.subarray(nul + 2)));
    } else if (type === "iTXt") {
      const compressed = data[nul + 1] === 1;
      let p = nul + 3;
      p = data.indexOf(0, p) + 1; // language tag
      p = data.indexOf(0, p) + 1; // translated keyword
      if (p <= 0) continue;
      const text = data.subarray(p);
      out[keyword] = utf8.decode(compressed ? await inflate(text) : text);
    }
  }
  return out;
}
