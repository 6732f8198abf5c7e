/**
 * Evaluation of the bundled demo models through our own runtime: caption accuracy of held-out captions
 * under unguided sampling, classifier-free guidance and CLIP guidance at several scales, inpainting
 * accuracy inside the mask and fidelity outside it, and the time of the full text→image pipeline.
 */
import path from "node:path";
import { loadClip, type ClipModel } from "../clip/index.js";
import { sample } from "../diffusion/index.js";
import type { SampleOptions, Tensor } from "../diffusion/types.js";
import { loadModel } from "../model/index.js";
import { loadDemoCases, type InpaintCase } from "./cases.js";
import { scoreImage, tensorToRgb, type CaseScore, type DemoCase, type DemoVocabulary } from "./checker.js";

/** Options of {@link runDemoEvaluation}. */
export interface DemoEvalOptions {
  /** Folder with base.pt, upsample.pt, base-inpaint.pt, clip_image_enc.pt, clip_text_enc.pt (+ sidecars). */
  modelsDir: string;
  /** The cases file (default `<modelsDir>/eval-cases.json`). */
  casesFile?: string;
  /** Respacing of the base model's sampling (default "50"). */
  respacing?: string;
  /** Classifier-free guidance scales to evaluate (default 1, 2, 3, 5, 8). */
  cfgScales?: number[];
  /** CLIP guidance scales to evaluate (default 1, 3, 10, 30); none when the CLIP files are absent. */
  clipScales?: number[];
  /** Classifier-free guidance scale of the inpainting runs (default 5, as the inpainting notebook). */
  inpaintScale?: number;
  /** At most this many single-object / two-object cases (default: all). */
  singles?: number;
  pairs?: number;
  /** Noise seed of every run (default 0). */
  seed?: number;
  /** Arithmetic precision of the UNets (loadModel's option; default "auto" = bf16 where that is faster). */
  precision?: "auto" | "fp32" | "bf16";
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Accuracy of one sampling condition over one kind of caption. */
export interface ConditionResult {
  condition: string;
  kind: "single" | "pair";
  n: number;
  /** Share of cases with each attribute right (`all` = the whole caption right). */
  accuracy: Record<string, number>;
  seconds: number;
}

/** Inpainting results. */
export interface InpaintResult {
  n: number;
  guidanceScale: number;
  /** Checker accuracy of the repainted image against the caption. */
  accuracy: Record<string, number>;
  /** Mean and worst absolute difference from the source outside the mask, in 0..255 units. */
  meanAbsOutside: number;
  maxAbsOutside: number;
  seconds: number;
}

/** Everything {@link formatDemoEvalMarkdown} reports. */
export interface DemoEvalResults {
  options: { respacing: string; seed: number; singles: number; pairs: number; precision: string };
  conditions: ConditionResult[];
  inpaint?: InpaintResult;
  /** Seconds of one base (guided) + upsample run for one caption, and the upsampler's respacing. */
  pipeline?: { seconds: number; baseSeconds: number; upsampleSeconds: number; baseSize: number; upSize: number };
}

function accuracyOf(scores: CaseScore[]): Record<string, number> {
  const acc: Record<string, number> = {};
  for (const s of scores) for (const [k, v] of Object.entries(s)) acc[k] = (acc[k] ?? 0) + (v ? 1 : 0);
  for (const k of Object.keys(acc)) acc[k] /= scores.length;
  return acc;
}

function toModelImage(rgb: Uint8Array, size: number): Float32Array {
  // [S,S,3] 0..255 -> [3,S,S] in [-1, 1]
  const out = new Float32Array(3 * size * size);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) out[c * size * size + p] = rgb[p * 3 + c] / 127.5 - 1;
  return out;
}

async function fileExists(file: string): Promise<boolean> {
  const fs = await import("node:fs/promises");
  return fs.access(file).then(() => true, () => false);
}

/** Runs every condition and returns the numbers (see {@link DemoEvalOptions} for the defaults). */
export async function runDemoEvaluation(opts: DemoEvalOptions): Promise<DemoEvalResults> {
  const log = opts.log ?? (() => {});
  const dir = opts.modelsDir;
  const data = await loadDemoCases(opts.casesFile ?? path.join(dir, "eval-cases.json"));
  const respacing = opts.respacing ?? "50";
  const seed = opts.seed ?? 0;
  const singles = data.cases.filter((c) => c.kind === "single").slice(0, opts.singles ?? Infinity);
  const pairs = data.cases.filter((c) => c.kind === "pair").slice(0, opts.pairs ?? Infinity);
  const cases = [...singles, ...pairs];
  const results: DemoEvalResults = {
    options: { respacing, seed, singles: singles.length, pairs: pairs.length, precision: opts.precision ?? "auto" },
    conditions: [],
  };

  const precision = opts.precision ?? "auto";
  const base = await loadModel(path.join(dir, "base.pt"), { precision });
  const prompts = cases.map((c) => c.caption);
  const score = (samples: Tensor, list: DemoCase[], vocab: DemoVocabulary) =>
    tensorToRgb(samples).map((rgb, i) => scoreImage(rgb, samples.shape[2], list[i], vocab));
  const run = async (condition: string, extra: Partial<SampleOptions>) => {
    const t0 = performance.now();
    const r = await sample(base, { prompts, respacing, noise: { seed }, ...extra });
    const seconds = (performance.now() - t0) / 1000;
    const scores = score(r.samples, cases, data.vocab);
    for (const [kind, from, to] of [["single", 0, singles.length], ["pair", singles.length, cases.length]] as const) {
      if (to === from) continue;
      const res = { condition, kind, n: to - from, accuracy: accuracyOf(scores.slice(from, to)), seconds };
      results.conditions.push(res);
      log(`${condition} ${kind}: all ${(res.accuracy.all * 100).toFixed(0)}% (${seconds.toFixed(0)} s)`);
    }
  };

  try {
    await run("unguided", {});
    for (const s of opts.cfgScales ?? [1, 2, 3, 5, 8]) await run(`classifier-free ${s}`, { guidanceScale: s });
    const clipImage = path.join(dir, "clip_image_enc.pt");
    const clipText = path.join(dir, "clip_text_enc.pt");
    if ((await fileExists(clipImage)) && (await fileExists(clipText))) {
      const clip: ClipModel = await loadClip(clipImage, clipText);
      try {
        for (const s of opts.clipScales ?? [1, 3, 10, 30]) await run(`CLIP ${s}`, { clipGuidance: { clip, prompts, scale: s } });
      } finally {
        clip.dispose();
      }
    }

    const inpaintFile = path.join(dir, "base-inpaint.pt");
    if (data.inpaint.length && (await fileExists(inpaintFile))) {
      results.inpaint = await runInpaint(inpaintFile, data.inpaint, data.inpaintSize, data.vocab, respacing, seed, opts.inpaintScale ?? 5, precision);
      log(`inpaint: all ${(results.inpaint.accuracy.all * 100).toFixed(0)}%, outside mean |Δ| ${results.inpaint.meanAbsOutside.toFixed(2)}`);
    }

    const upFile = path.join(dir, "upsample.pt");
    if (await fileExists(upFile)) {
      const up = await loadModel(upFile, { precision });
      try {
        const t0 = performance.now();
        const low = await sample(base, { prompts: [singles[0]?.caption ?? prompts[0]], respacing, guidanceScale: 3, noise: { seed } });
        const t1 = performance.now();
        const high = await sample(up, { prompts: [singles[0]?.caption ?? prompts[0]], lowRes: low.samples, temperature: 0.997, sampler: "ddim", noise: { seed } });
        const t2 = performance.now();
        results.pipeline = {
          seconds: (t2 - t0) / 1000, baseSeconds: (t1 - t0) / 1000, upsampleSeconds: (t2 - t1) / 1000,
          baseSize: low.samples.shape[2], upSize: high.samples.shape[2],
        };
        log(`pipeline ${results.pipeline.seconds.toFixed(1)} s`);
      } finally {
        up.dispose();
      }
    }
  } finally {
    base.dispose();
  }
  return results;
}

async function runInpaint(file: string, list: InpaintCase[], size: number, vocab: DemoVocabulary, respacing: string,
  seed: number, guidanceScale: number, precision: "auto" | "fp32" | "bf16"): Promise<InpaintResult> {
  const model = await loadModel(file, { precision });
  try {
    const n = list.length;
    const image = new Float32Array(n * 3 * size * size);
    const mask = new Float32Array(n * size * size);
    list.forEach((c, i) => {
      image.set(toModelImage(c.source, size), i * 3 * size * size);
      mask.set(Float32Array.from(c.keepMask), i * size * size);
    });
    const t0 = performance.now();
    const r = await sample(model, {
      prompts: list.map((c) => c.caption), respacing, guidanceScale, noise: { seed },
      inpaint: { image: { shape: [n, 3, size, size], data: image }, mask: { shape: [n, 1, size, size], data: mask } },
    });
    const seconds = (performance.now() - t0) / 1000;
    const rgbs = tensorToRgb(r.samples);
    let sum = 0, count = 0, worst = 0;
    rgbs.forEach((rgb, i) => {
      const c = list[i];
      for (let p = 0; p < size * size; p++) {
        if (!c.keepMask[p]) continue;
        for (let ch = 0; ch < 3; ch++) {
          const d = Math.abs(rgb[p * 3 + ch] - c.source[p * 3 + ch]);
          sum += d;
          worst = Math.max(worst, d);
          count++;
        }
      }
    });
    const scores = rgbs.map((rgb, i) => scoreImage(rgb, size, list[i], vocab));
    return { n, guidanceScale, accuracy: accuracyOf(scores), meanAbsOutside: sum / count, maxAbsOutside: worst, seconds };
  } finally {
    model.dispose();
  }
}

const pct = (v: number | undefined) => (v === undefined ? "–" : `${Math.round(v * 100)}%`);

/** The results as the Markdown of docs/demo-eval.md. */
export function formatDemoEvalMarkdown(r: DemoEvalResults, meta: { date: string; command: string; machine: string }): string {
  const lines: string[] = [];
  lines.push("# Demo model evaluation", "");
  lines.push(`Generated by \`${meta.command}\` on ${meta.date} (${meta.machine}). Base model sampled with ${r.options.respacing} DDPM steps, seed ${r.options.seed}, UNet precision ${r.options.precision}, ` +
    `${r.options.singles} single-object and ${r.options.pairs} two-object captions whose attribute combinations were held out of training ` +
    "(models/demo/eval-cases.json). A procedural checker (src/eval/checker.ts, reference train/checker.py) finds the background, " +
    "each object's colour, shape, size and position, and the relation between two objects; *all* = every attribute the caption states is right " +
    "and the image holds the right number of objects.", "");
  for (const kind of ["single", "pair"] as const) {
    const rows = r.conditions.filter((c) => c.kind === kind);
    if (!rows.length) continue;
    const keys = kind === "single" ? ["all", "colour", "shape", "size", "position", "background", "count"] : ["all", "colour", "shape", "relation", "background", "count"];
    lines.push(`## ${kind === "single" ? "Single-object" : "Two-object"} captions (n = ${rows[0].n})`, "");
    lines.push(`| guidance | ${keys.join(" | ")} | seconds |`, `|---|${keys.map(() => "---:").join("|")}|---:|`);
    for (const c of rows) lines.push(`| ${c.condition} | ${keys.map((k) => pct(c.accuracy[k])).join(" | ")} | ${c.seconds.toFixed(0)} |`);
    lines.push("");
  }
  if (r.inpaint) {
    const i = r.inpaint;
    lines.push(`## Inpainting (base-inpaint, classifier-free guidance ${i.guidanceScale}, n = ${i.n})`, "");
    lines.push("Each source image holds an object of another colour and shape; the mask blanks its box plus a margin and the caption asks for the held-out object.", "");
    lines.push("| all | colour | shape | size | position | background | mean abs. error outside the mask (0..255) | worst | seconds |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.push(`| ${["all", "colour", "shape", "size", "position", "background"].map((k) => pct(i.accuracy[k])).join(" | ")} | ${i.meanAbsOutside.toFixed(2)} | ${i.maxAbsOutside} | ${i.seconds.toFixed(0)} |`, "");
  }
  if (r.pipeline) {
    const p = r.pipeline;
    lines.push("## Text→image pipeline time", "");
    lines.push(`One caption, base ${p.baseSize}×${p.baseSize} (classifier-free guidance 3, ${r.options.respacing} steps) then upsample to ${p.upSize}×${p.upSize} (fast27 DDIM, as the text2im notebook): ` +
      `**${p.seconds.toFixed(1)} s** (base ${p.baseSeconds.toFixed(1)} s, upsample ${p.upsampleSeconds.toFixed(1)} s).`, "");
  }
  return lines.join("\n");
}
