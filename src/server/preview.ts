/**
 * Binary WebSocket frames carrying live preview images, in the layout node-graph clients know:
 * a 4-byte big-endian event type (1 = preview image), a 4-byte big-endian image format
 * (1 = JPEG, 2 = PNG), then the encoded image.
 */
import { encodeJpegRgb } from "./images.js";

/** Binary event type of a preview image frame. */
export const PREVIEW_IMAGE_EVENT = 1;
/** Image format codes of a preview frame. */
export const PREVIEW_FORMAT = { jpeg: 1, png: 2 } as const;

/** Builds one preview frame from packed RGB pixels (rgb: [H, W, 3]). */
export function previewFrame(preview: { width: number; height: number; rgb: Uint8Array }): Buffer {
  const body = encodeJpegRgb(preview.width, preview.height, preview.rgb, 90);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(PREVIEW_IMAGE_EVENT, 0);
  header.writeUInt32BE(PREVIEW_FORMAT.jpeg, 4);
  return Buffer.concat([header, body]);
}
