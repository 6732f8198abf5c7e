// `npm run bench`: full-size GLIDE on this CPU, in one run — base step (batch 2, classifier-free guided),
// upsampler step (batch 1), and the whole text → 64 → 256 pipeline (100 + 27 steps), for bf16 and fp32,
// medians of several runs, with wall and CPU seconds, the machine's load, and peak resident memory;
// then the same networks on the same weights in PyTorch (Debian python3-torch) when it is installed.
// Random weights of the official shapes are generated once into bench/tmp/run/ (~3 GB).
// Results: bench/results/cpu.json and bench/results/cpu.md.
//
// usage: npm run build && npm run bench -- [--runs 5] [--pipeline-runs 2] [--torch-runs 3]
//          [--precisions bf16,fp32] [--measure-fp32-pipeline] [--no-torch] [--steps 100,27]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Gpt2Tokenizer, loadModel, native, sample } from "glide-studio";
import { BASE, UPSAMPLE } from "./lib/configs.mjs";
import { cpuModel, loadavg, median, peakRss, repeat, resetPeakRss, timed } from "./lib/measure.mjs";
import { markdown, targetRows } from "./lib/report.mjs";
import { parameterCount, randomCheckpoint } from "./lib/weights.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "pipeline-runs": { type: "string", default: "2" },
    "torch-runs": { type: "string", default: "3" },
    precisions: { type: "string" },
    "measure-fp32-pipeline": { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    steps: { type: "string", default: "100,27" },
  },
});
const RUNS = Number(opts.runs);
const PIPELINE_RUNS = Number(opts["pipeline-runs"]);
const TORCH_RUNS = Number(opts["torch-runs"]);
const PROMPT = "an oil painting of a corgi";
// Sampling steps of the pipeline (the official notebooks' 100 + fast27; smaller for a smoke run).
const [BASE_STEPS, UPSAMPLE_STEPS] = opts.steps.split(",").map(Number);
const TMP = path.join(here, "tmp", "run");
const RESULTS = path.join(here, "results");

const info = native.runtimeInfo();
const precisions = opts.precisions ? opts.precisions.split(",") : info.bf16 ? ["bf16", "fp32"] : ["fp32"];
const loadStart = loadavg();
const baseFile = await randomCheckpoint(TMP, "base", BASE, 0x9e3779b9);
const upsampleFile = await randomCheckpoint(TMP, "upsample", UPSAMPLE, 0x85ebca6b);

/** Deterministic pseudo-random tensor in [−1, 1]. */
function tensor(shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.999) };
}

async function measurePrecision(precision) {
  console.log(`\n== ${precision} (load ${loadavg().join(" ")})`);
  resetPeakRss();
  const load = await timed(async () => [
    await loadModel(baseFile, { config: BASE, precision }),
    await loadModel(upsampleFile, { config: UPSAMPLE, precision }),
  ]);
  const [base, upsampler] = load.value;
  const out = { loadSeconds: load.wall };
  try {
    // Base step: [cond | uncond] rows, text prepared once per sample as the sampler does.
    const baseTokens = base.tokenize([PROMPT, ""]);
    let text;
    out.prepareText = await repeat(async () => {
      text?.dispose();
      text = await base.prepareText(baseTokens);
    }, { runs: Math.min(RUNS, 3) });
    const x = tensor([2, 3, 64, 64], 1);
    out.baseStep = await repeat(() => base.forward({ x, timesteps: [500, 500], text }), { runs: RUNS });
    text.dispose();
    console.log(`base step: ${out.baseStep.wallMedian.toFixed(3)} s wall, ${out.baseStep.cpuMedian.toFixed(3)} s CPU`);

    const upText = await upsampler.prepareText(upsampler.tokenize([PROMPT]));
    const xu = tensor([1, 3, 256, 256], 2);
    const lowRes = tensor([1, 3, 64, 64], 3);
    out.upsampleStep = await repeat(() => upsampler.forward({ x: xu, timesteps: [500], text: upText, lowRes }), { runs: RUNS });
    upText.dispose();
    console.log(`upsampler step: ${out.upsampleStep.wallMedian.toFixed(3)} s wall, ${out.upsampleStep.cpuMedian.toFixed(3)} s CPU`);

    out.pipelineDerived = BASE_STEPS * out.baseStep.wallMedian + UPSAMPLE_STEPS * out.upsampleStep.wallMedian + 2 * out.prepareText.wallMedian;
    if (precision === "bf16" || opts["measure-fp32-pipeline"]) {
      const runs = [];
      for (let i = 0; i < PIPELINE_RUNS; i++) {
        const r = await timed(async () => {
          const low = await sample(base, { prompts: [PROMPT], guidanceScale: 3, respacing: String(BASE_STEPS), noise: { seed: 7 + i } });
          return sample(upsampler, { prompts: [PROMPT], lowRes: low.samples, respacing: UPSAMPLE_STEPS === 27 ? "fast27" : String(UPSAMPLE_STEPS), temperature: 0.997, noise: { seed: 8 + i } });
        });
        assertImage(r.value.samples);
        runs.push(r);
        console.log(`pipeline: ${r.wall.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU`);
      }
      out.pipeline = {
        wall: runs.map((r) => r.wall), cpu: runs.map((r) => r.cpu),
        wallMedian: median(runs.map((r) => r.wall)), cpuMedian: median(runs.map((r) => r.cpu)),
        peakRssBytes: peakRss(), loadavg: loadavg(),
      };
    }
  } finally {
    base.dispose();
    upsampler.dispose();
  }
  return out;
}

function assertImage(t) {
  if (t.shape.join(",") !== "1,3,256,256" || !t.data.every(Number.isFinite)) throw new Error(`the pipeline produced ${JSON.stringify(t.shape)} with non-finite values`);
}

/** Token rows and masks of prompts (GLIDE's GPT-2 BPE, padded to text_ctx) for the PyTorch side. */
function tokenRows(prompts, ctx) {
  const tokenizer = Gpt2Tokenizer.load();
  const rows = prompts.map((p) => tokenizer.paddedTokensAndMask(tokenizer.encode(p), ctx));
  return { tokens: rows.map((r) => r.tokens), mask: rows.map((r) => r.mask) };
}

/** Times the PyTorch reference (bench/torch_reference.py) on the same weights, or says why not. */
function runTorch() {
  const python = "/usr/bin/python3";
  if (opts["no-torch"]) return { unavailable: "skipped (--no-torch)" };
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { unavailable: `PyTorch is not importable by ${python} (apt-get install python3-torch)` };
  console.log(`\n== PyTorch (load ${loadavg().join(" ")})`);
  const specFile = path.join(TMP, "torch-spec.json");
  const runs = { fp32: TORCH_RUNS, bf16: TORCH_RUNS };
  fs.writeFileSync(specFile, JSON.stringify({
    threads: info.threads,
    jobs: [
      { name: "base", weights: baseFile, config: BASE, batch: 2, timesteps: [500, 500], ...tokenRows([PROMPT, ""], BASE.text_ctx), runs },
      { name: "upsample", weights: upsampleFile, config: UPSAMPLE, batch: 1, timesteps: [500], ...tokenRows([PROMPT], UPSAMPLE.text_ctx), low_res_size: 64, runs },
    ],
  }));
  const run = spawnSync(python, [path.join(here, "torch_reference.py"), specFile], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (run.status !== 0) return { unavailable: `the PyTorch reference failed: ${run.stderr.trim().split("\n").slice(-3).join(" ")}` };
  const result = JSON.parse(run.stdout.trim().split("\n").pop());
  for (const job of Object.values(result.jobs))
    for (const m of Object.values(job)) Object.assign(m, { wallMedian: median(m.wall), cpuMedian: median(m.cpu) });
  result.pipelineDerived = Object.fromEntries(
    ["fp32", "bf16"].map((p) => [p, BASE_STEPS * result.jobs.base[p].wallMedian + UPSAMPLE_STEPS * result.jobs.upsample[p].wallMedian]),
  );
  result.loadavg = loadavg();
  return result;
}

const ours = {};
for (const p of precisions) ours[p] = await measurePrecision(p);

const pytorch = runTorch();
if (pytorch.jobs) {
  for (const [job, key] of [["base", "baseStep"], ["upsample", "upsampleStep"]])
    for (const p of Object.keys(ours))
      console.log(`PyTorch ${job} ${p}: ${pytorch.jobs[job][p].wallMedian.toFixed(3)} s wall (ours/PyTorch ${(ours[p][key].wallMedian / pytorch.jobs[job][p].wallMedian).toFixed(2)}×)`);
} else {
  console.log(pytorch.unavailable);
}

const result = {
  benchmark: "GLIDE full-size CPU inference: base 64×64 step (batch 2, guided), upsampler 256×256 step (batch 1), text→256 pipeline (100 + 27 steps)",
  date: new Date().toISOString(),
  machine: {
    cpu: cpuModel(), cores: os.cpus().length, threads: info.threads, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), runtime: info,
    loadavg: { start: loadStart, end: loadavg() },
    note: "a shared machine — other processes' load inflates wall times; CPU seconds are less affected",
  },
  pipelineSteps: [BASE_STEPS, UPSAMPLE_STEPS],
  models: { base: { config: BASE, parameters: parameterCount(BASE) }, upsample: { config: UPSAMPLE, parameters: parameterCount(UPSAMPLE) } },
  ours,
  pytorch,
};
result.targets = targetRows(result);
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, "cpu.json"), `${JSON.stringify(result, null, 2)}\n`);
fs.writeFileSync(path.join(RESULTS, "cpu.md"), markdown(result));
console.log(`\n${markdown(result)}\nwrote bench/results/cpu.json and bench/results/cpu.md`);
