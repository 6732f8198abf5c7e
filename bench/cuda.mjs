// `node bench/cuda.mjs`: full-size GLIDE on the CUDA backend, in one run — base step (batch 2, the
// classifier-free-guided pair), upsampler step (batch 1) and the whole text → 64 → 256 pipeline (100 + 27
// steps on the on-device loop with CUDA graphs), per precision; then the same networks on the same random
// weights in PyTorch eager fp16 (train/glide_model.py under torch.autocast) on the same GPU, when the
// machine's python3 has torch with CUDA. Needs the CUDA build (`npm run build:cuda`) and a GPU.
// Results: bench/results/cuda.json (and a summary on stdout).
//
// usage: npm run build:ts && node bench/cuda.mjs [--runs 5] [--pipeline-runs 3] [--precisions bf16,fp16,fp32]
//          [--steps 100,27] [--no-torch]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { createSchedule, cudaStatus, Gpt2Tokenizer, loadModel, sample } from "glide-studio";
import { BASE, UPSAMPLE } from "./lib/configs.mjs";
import { median, timed } from "./lib/measure.mjs";
import { parameterCount, randomCheckpoint } from "./lib/weights.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "pipeline-runs": { type: "string", default: "3" },
    precisions: { type: "string", default: "bf16,fp16,fp32" },
    steps: { type: "string", default: "100,27" },
    "no-torch": { type: "boolean", default: false },
  },
});
const RUNS = Number(opts.runs);
const PIPELINE_RUNS = Number(opts["pipeline-runs"]);
const PRECISIONS = opts.precisions.split(",");
const [BASE_STEPS, UP_STEPS] = opts.steps.split(",").map(Number);
const BASE_RESPACING = String(BASE_STEPS);
const UP_RESPACING = UP_STEPS === 27 ? "fast27" : String(UP_STEPS);
const PROMPT = "an oil painting of a corgi";
const TMP = path.join(here, "tmp", "run");
const RESULT = path.join(here, "results", "cuda.json");

const status = cudaStatus();
if (!status.available) {
  console.error(`bench/cuda.mjs needs a CUDA device: ${status.reason}`);
  process.exit(1);
}
console.log(`${status.info.name}, sm_${status.info.computeCapability.replace(".", "")}, driver ${status.info.driverVersion}`);

const baseWeights = await randomCheckpoint(TMP, "base", BASE, 0x9e3779b9);
const upWeights = await randomCheckpoint(TMP, "upsample", UPSAMPLE, 0x7f4a7c15);

const ramp = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));

/** One UNet call through the public API (host tensors in and out, eager kernels). */
async function stepTimes(model, batch, size, lowRes) {
  const x = { shape: [batch, 3, size, size], data: ramp(batch * 3 * size * size) };
  const { tokens, mask } = model.tokenize(new Array(batch).fill(PROMPT));
  const text = await model.prepareText({ tokens, mask });
  const args = { x, timesteps: new Array(batch).fill(500), text, ...(lowRes ? { lowRes } : {}) };
  try {
    await model.forward(args);
    const wall = [];
    for (let i = 0; i < RUNS; i++) wall.push((await timed(() => model.forward(args))).wall);
    return { wall, median: median(wall) };
  } finally {
    text.dispose();
  }
}

/** The pipeline: base 64×64 (CFG scale 3, batch 1 → 2 rows) then the upsampler to 256 (DDIM, temperature 0.997). */
async function pipeline(base, up, seed) {
  const t0 = performance.now();
  const low = await sample(base, { prompts: [PROMPT], guidanceScale: 3, respacing: BASE_RESPACING, noise: { seed } });
  const t1 = performance.now();
  const high = await sample(up, {
    prompts: [PROMPT], lowRes: low.samples, respacing: UP_RESPACING, sampler: "ddim", temperature: 0.997, noise: { seed },
  });
  const t2 = performance.now();
  return { total: (t2 - t0) / 1000, base: (t1 - t0) / 1000, upsample: (t2 - t1) / 1000, image: high.samples };
}

const ours = {};
for (const precision of PRECISIONS) {
  const load0 = performance.now();
  const base = await loadModel(baseWeights, { config: BASE, device: "cuda", precision });
  const up = await loadModel(upWeights, { config: UPSAMPLE, device: "cuda", precision });
  const loadSeconds = (performance.now() - load0) / 1000;
  try {
    const baseStep = await stepTimes(base, 2, 64);
    const lowRes = { shape: [1, 3, 64, 64], data: ramp(3 * 64 * 64) };
    const upStep = await stepTimes(up, 1, 256, lowRes);
    await pipeline(base, up, 1); // warm-up: kernels loaded, arenas filled
    const runs = [];
    for (let i = 0; i < PIPELINE_RUNS; i++) runs.push(await pipeline(base, up, 100 + i));
    const pick = (k) => runs.map((r) => r[k]);
    ours[precision] = {
      load_s: loadSeconds,
      base_step_b2_api_s: baseStep.median,
      upsample_step_b1_api_s: upStep.median,
      pipeline_s: pick("total"), pipeline_median_s: median(pick("total")),
      base_loop_s: median(pick("base")), upsample_loop_s: median(pick("upsample")),
      base_loop_step_s: median(pick("base")) / BASE_STEPS, upsample_loop_step_s: median(pick("upsample")) / UP_STEPS,
    };
    console.log(`ours ${precision}: base step ${(baseStep.median * 1e3).toFixed(2)} ms (API), upsampler step ${(upStep.median * 1e3).toFixed(2)} ms (API), ` +
      `pipeline ${BASE_STEPS}+${UP_STEPS} ${median(pick("total")).toFixed(3)} s (loop steps ${(ours[precision].base_loop_step_s * 1e3).toFixed(2)} / ${(ours[precision].upsample_loop_step_s * 1e3).toFixed(2)} ms)`);
  } finally {
    base.dispose();
    up.dispose();
  }
}

/** Schedule arrays the PyTorch loop indexes (the same float64 values our sampler uses). */
function scheduleSpec(config, respacing) {
  const s = createSchedule(config.noise_schedule, config.diffusion_steps, respacing);
  const pick = (a) => Array.from(a);
  return {
    timestep_map: [...s.timestepMap], sqrt_recip_alphas_cumprod: pick(s.sqrtRecipAlphasCumprod),
    sqrt_recipm1_alphas_cumprod: pick(s.sqrtRecipm1AlphasCumprod), posterior_mean_coef1: pick(s.posteriorMeanCoef1),
    posterior_mean_coef2: pick(s.posteriorMeanCoef2), posterior_log_variance_clipped: pick(s.posteriorLogVarianceClipped),
    log_betas: pick(s.logBetas), alphas_cumprod: pick(s.alphasCumprod), alphas_cumprod_prev: pick(s.alphasCumprodPrev),
  };
}

function runTorch() {
  const python = "python3";
  const probe = spawnSync(python, ["-c", "import torch; assert torch.cuda.is_available(), 'torch.cuda.is_available() is False'"], { encoding: "utf8" });
  if (probe.status !== 0) return { unavailable: `PyTorch with CUDA not usable by ${python}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}` };
  const tokenizer = Gpt2Tokenizer.load();
  const rows = [PROMPT, ""].map((p) => tokenizer.paddedTokensAndMask(tokenizer.encode(p), BASE.text_ctx));
  const spec = {
    tokens: rows.map((r) => r.tokens), mask: rows.map((r) => r.mask),
    runs: RUNS, pipeline_runs: PIPELINE_RUNS, base_steps: BASE_STEPS, upsample_steps: UP_STEPS,
    base: { weights: baseWeights, config: BASE, schedule: scheduleSpec(BASE, BASE_RESPACING) },
    upsample: { weights: upWeights, config: UPSAMPLE, schedule: scheduleSpec(UPSAMPLE, UP_RESPACING) },
  };
  const specFile = path.join(TMP, "torch_cuda_spec.json");
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const out = spawnSync(python, [path.join(here, "torch_cuda_reference.py"), specFile], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (out.status !== 0) return { failed: (out.stderr || "").trim().split("\n").slice(-5).join("\n") };
  return JSON.parse(out.stdout.trim().split("\n").pop());
}

const torch = opts["no-torch"] ? { unavailable: "--no-torch" } : runTorch();
if (torch.unavailable || torch.failed) console.log(`pytorch: ${torch.unavailable ?? torch.failed}`);
else console.log(`pytorch ${torch.torch} fp16 eager: base step ${(torch.base_step_s * 1e3).toFixed(2)} ms, upsampler step ${(torch.upsample_step_s * 1e3).toFixed(2)} ms, pipeline ${torch.pipeline_median_s.toFixed(3)} s`);

const best = Object.entries(ours).sort((a, b) => a[1].pipeline_median_s - b[1].pipeline_median_s)[0];
const result = {
  benchmark: `full-size GLIDE on CUDA: base step (batch 2), upsampler step (batch 1), ${BASE_STEPS} + ${UP_STEPS} pipeline, random weights`,
  date: new Date().toISOString(),
  device: status.info,
  models: { base: { parameters: parameterCount(BASE) }, upsample: { parameters: parameterCount(UPSAMPLE) } },
  ours,
  pytorch_fp16_eager: torch,
  targets: {
    pipeline_under_0_5_s: best ? { precision: best[0], seconds: best[1].pipeline_median_s, met: best[1].pipeline_median_s <= 0.5 } : null,
    three_times_pytorch: best && torch.pipeline_median_s
      ? { ratio: torch.pipeline_median_s / best[1].pipeline_median_s, met: torch.pipeline_median_s / best[1].pipeline_median_s >= 3 }
      : null,
  },
};
fs.mkdirSync(path.dirname(RESULT), { recursive: true });
fs.writeFileSync(RESULT, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${RESULT}`);
