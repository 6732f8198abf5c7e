// Benchmark: one batch-2 64×64 forward of the full-size GLIDE base model (385 M parameters) with
// random weights, on our native CPU fp32 runtime and — when Debian's python3-torch is installed —
// on PyTorch with the same weights and threads in the same run (the machine is shared: compare the ratio).
//
// usage: npm run build && node bench/base_forward.mjs [--runs 3]
// writes bench/results/base_forward_fp32.json; the random checkpoint is cached in bench/tmp/base_forward/.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expectedGlideTensors, loadModel, native, writeSafetensors } from "glide-studio";

const here = path.dirname(fileURLToPath(import.meta.url));
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const TMP = path.join(here, "tmp", "base_forward");
const WEIGHTS = path.join(TMP, "base_random.safetensors");
const RESULT = path.join(here, "results", "base_forward_fp32.json");

// The released base model's options (model_and_diffusion_defaults()).
const CONFIG = {
  image_size: 64, num_channels: 192, num_res_blocks: 3, channel_mult: [1, 2, 3, 4], num_heads: 1,
  num_head_channels: 64, num_heads_upsample: -1, attention_resolutions: [32, 16, 8], text_ctx: 128,
  xf_width: 512, xf_layers: 16, xf_heads: 8, xf_final_ln: true, xf_padding: true, use_scale_shift_norm: true,
  resblock_updown: true, inpaint: false, super_res: false, noise_schedule: "squaredcos_cap_v2", diffusion_steps: 1000,
  n_vocab: 50257, in_channels: 3, out_channels: 6,
};

/** Uniform random weights with the fixtures' scales (norm gains ≈ 1, biases 0.05, tables 0.1, W ~ 1/√fan_in). */
function randomTensor(name, shape, state) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const isNormGain = shape.length === 1 && /(norm|ln_\d|final_ln|in_layers\.0|out_layers\.0|out\.0)\.weight$/.test(name);
  const std = name.includes("embedding") ? 0.1 : shape.length === 1 ? (isNormGain ? 0.1 : 0.05) : 1 / Math.sqrt(n / shape[0]);
  const a = std * Math.sqrt(3); // uniform on [-a, a] has this std
  let s = state.seed;
  for (let i = 0; i < n; i++) {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = ((s >>> 0) / 4294967296) * 2 * a - a + (isNormGain ? 1 : 0);
  }
  state.seed = s;
  return new Uint8Array(data.buffer);
}

async function writeRandomCheckpoint() {
  if (fs.existsSync(WEIGHTS)) return;
  fs.mkdirSync(TMP, { recursive: true });
  const state = { seed: 0x9e3779b9 | 0 };
  const tensors = [...expectedGlideTensors(CONFIG)].map(([name, shape]) => ({
    name, shape, dtype: "float32", data: () => randomTensor(name, shape, state),
  }));
  const started = performance.now();
  await writeSafetensors(WEIGHTS, tensors);
  console.log(`wrote ${WEIGHTS} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Wall seconds and CPU seconds (all threads) of one call: on a loaded machine the CPU time still
 *  measures the work done. */
async function time(fn) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, value };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cpuModel() {
  const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
  return line ? line.split(":")[1].trim() : os.cpus()[0]?.model;
}

function runTorch(inputs) {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { unavailable: `PyTorch not importable by ${python}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}` };
  const configFile = path.join(TMP, "config.json");
  const inputsFile = path.join(TMP, "inputs.json");
  fs.writeFileSync(configFile, JSON.stringify({ ...CONFIG, channel_mult: CONFIG.channel_mult.join(","), attention_resolutions: CONFIG.attention_resolutions.join(",") }));
  fs.writeFileSync(inputsFile, JSON.stringify(inputs));
  const out = execFileSync(python, [path.join(here, "torch_base_forward.py"), WEIGHTS, configFile, inputsFile], {
    encoding: "utf8", env: { ...process.env, BENCH_THREADS: String(native.threadCount()) }, maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop());
}

await writeRandomCheckpoint();
const loadBefore = os.loadavg();
const load = await time(() => loadModel(WEIGHTS, { config: CONFIG }));
const model = load.value;
const params = [...expectedGlideTensors(CONFIG).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
const n = 2, s = 64;
const x = { shape: [n, 3, s, s], data: Float32Array.from({ length: n * 3 * s * s }, (_, i) => Math.sin(i * 0.37)) };
const timesteps = [500, 500];
const { tokens, mask } = model.tokenize(["an oil painting of a corgi", ""]);

// The sampler's step: text prepared once per sample, then one UNet call per step.
const prepare = await time(() => model.prepareText({ tokens, mask }));
const text = prepare.value;
await model.forward({ x, timesteps, text }); // warm-up
const step = [];
const stepCpu = [];
for (let i = 0; i < RUNS; i++) {
  const r = await time(() => model.forward({ x, timesteps, text }));
  step.push(r.seconds);
  stepCpu.push(r.cpuSeconds);
}
const full = [];
for (let i = 0; i < RUNS; i++) full.push((await time(() => model.forward({ x, timesteps, tokens, mask }))).seconds);
text.dispose();
model.dispose();
const loadAfterOurs = os.loadavg();
console.log(`ours: step ${median(step).toFixed(2)} s (${median(stepCpu).toFixed(2)} CPU s), forward with text ${median(full).toFixed(2)} s (load ${load.seconds.toFixed(1)} s)`);

const torchResult = runTorch({ batch: n, timesteps, tokens, mask, runs: RUNS });
const loadAfter = os.loadavg();
if (torchResult.unavailable) console.log(torchResult.unavailable);
else console.log(`pytorch ${torchResult.torch}: step ${torchResult.step_median_s.toFixed(2)} s (${torchResult.step_cpu_median_s.toFixed(2)} CPU s), forward ${torchResult.forward_median_s.toFixed(2)} s`);

const result = {
  benchmark: "GLIDE base model, one batch-2 64×64 forward, fp32, random weights",
  date: new Date().toISOString(),
  machine: {
    cpu: cpuModel(), cores: os.cpus().length, threads: native.threadCount(), memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: { before: loadBefore, afterOurs: loadAfterOurs, after: loadAfter },
    note: "shared development machine: absolute times move with other processes' load; compare the ratio",
  },
  model: { parameters: params, config: CONFIG },
  ours: {
    runtime: "glide-studio native CPU fp32 (cache-blocked SGEMM, OpenMP)",
    load_s: load.seconds,
    prepare_text_s: prepare.seconds,
    step_s: step, step_median_s: median(step), step_cpu_s: stepCpu, step_cpu_median_s: median(stepCpu),
    forward_with_text_s: full, forward_with_text_median_s: median(full),
  },
  pytorch: torchResult,
  ratio_step_ours_over_pytorch: torchResult.unavailable ? null : median(step) / torchResult.step_median_s,
  ratio_step_cpu_ours_over_pytorch: torchResult.unavailable ? null : median(stepCpu) / torchResult.step_cpu_median_s,
};
fs.mkdirSync(path.dirname(RESULT), { recursive: true });
fs.writeFileSync(RESULT, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${RESULT}`);
