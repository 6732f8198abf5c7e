/**
 * The demo evaluation cases (`models/demo/eval-cases.json`, written by `train/dataset.py --heldout`):
 * complete captions of attribute combinations held out of training, and inpainting cases.
 */
import fs from "node:fs/promises";
import type { DemoCase, DemoVocabulary } from "./checker.js";

/** An inpainting case: repaint the blanked box so that the image matches the caption. */
export interface InpaintCase extends DemoCase {
  /** Source image, 0..255 RGB [S,S,3]. */
  source: Uint8Array;
  /** 1 = keep, 0 = repaint, [S,S]. */
  keepMask: Uint8Array;
}

/** Everything the evaluation reads from the cases file. */
export interface DemoCases {
  vocab: DemoVocabulary;
  cases: DemoCase[];
  inpaintSize: number;
  inpaint: InpaintCase[];
}

/** Reads and checks the cases file. */
export async function loadDemoCases(file: string): Promise<DemoCases> {
  const raw = JSON.parse(await fs.readFile(file, "utf8"));
  if (!raw || !Array.isArray(raw.cases) || !raw.colours || !raw.backgrounds || !raw.positions) {
    throw new Error(`${file}: not a demo evaluation file (expected colours, backgrounds, positions and cases)`);
  }
  const size: number = raw.inpaint_size;
  const inpaint: InpaintCase[] = (raw.inpaint ?? []).map((c: Record<string, unknown>, i: number) => {
    const source = new Uint8Array(Buffer.from(String(c.source), "base64"));
    const keepMask = new Uint8Array(Buffer.from(String(c.keep_mask), "base64"));
    if (source.length !== size * size * 3 || keepMask.length !== size * size) {
      throw new Error(`${file}: inpainting case ${i} has a source or mask of the wrong size for ${size}×${size}`);
    }
    return { ...(c as unknown as DemoCase), source, keepMask };
  });
  return {
    vocab: { colours: raw.colours, backgrounds: raw.backgrounds, positions: raw.positions },
    cases: raw.cases as DemoCase[],
    inpaintSize: size,
    inpaint,
  };
}
