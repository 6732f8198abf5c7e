/**
 * A JPEG's declared size checked against its bytes before decoding: jpeg-js allocates for the frame
 * header's width × height up front, so a 200-byte file declaring 8192×8192 pixels cost hundreds of MB.
 */

/** Largest picture decoded (2^28 pixels); glide-studio works at 64–256 px. */
const MAX_PIXELS = 2 ** 28;
/**
 * Most pixels one byte of a (Huffman-coded) JPEG can describe: every 8×8 block costs at least one bit
 * (a DC code), so 512 pixels per byte for a gray picture; twice that for slack.
 */
const MAX_PIXELS_PER_BYTE = 1024;

/** Frame header markers (SOF0–SOF15 without DHT, JPG and DAC). */
const isFrameHeader = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * Refuses a JPEG whose frame header declares no pixels, more than 2^28, or more than its bytes could
 * encode. Files without a readable frame header are left to the decoder to report.
 */
export function checkJpegSize(bytes: Uint8Array, name = "image"): void {
  let pos = 2;
  while (pos + 4 <= bytes.length && bytes[pos] === 0xff) {
    const marker = bytes[pos + 1];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (isFrameHeader(marker) && pos + 9 <= bytes.length) {
      const height = (bytes[pos + 5] << 8) | bytes[pos + 6];
      const width = (bytes[pos + 7] << 8) | bytes[pos + 8];
      const pixels = width * height;
      if (pixels === 0) throw new Error(`${name}: the JPEG declares ${width}x${height} pixels`);
      if (pixels > MAX_PIXELS) throw new Error(`${name}: ${width}x${height} pixels is more than the ${MAX_PIXELS} this program decodes`);
      if (pixels > MAX_PIXELS_PER_BYTE * bytes.length + 65536) {
        throw new Error(`${name}: the JPEG declares ${width}x${height} pixels but has only ${bytes.length} bytes — the file is truncated or corrupt`);
      }
      return;
    }
    if (marker === 0xda || length < 2) return;
    pos += 2 + length;
  }
}
