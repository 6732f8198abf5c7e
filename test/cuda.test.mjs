// The CUDA backend against the CPU reference: op by op (opRun on both backends), the seeded noise bit for bit,
// the sampler step, every fixture UNet forward, and whole sampling runs on the GPU loop (CUDA graphs).
// Tolerances: fp32 ≤ 1e-4 relative (forward), bf16/fp16 ≤ 3e-2. Without a GPU these tests skip with the reason
// printed, except the host emulations of the noise and step kernels, which check the CUDA code's arithmetic
// against the CPU reference wherever the CUDA addon is built.
import test from "node:test";
import assert from "node:assert/strict";
import { cudaStatus, createSchedule, loadCudaAddon, loadModel, native, sample } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { fixture, loadRows, loadTensor } from "./helpers/npy.mjs";
import { UNETS, fixtureConfig, unetArgs } from "./helpers/model_fixtures.mjs";
import { manifest, runModel, runOptions } from "./helpers/sampling_runs.mjs";

const loaded = loadCudaAddon();
const addon = loaded.addon;
const noAddon = addon ? undefined : `no CUDA addon: ${loaded.reason}`;
const status = cudaStatus();
const noGpu = noAddon ?? (status.available ? undefined : `no usable CUDA device: ${status.reason}`);
if (noGpu) console.log(`# CUDA device tests skipped: ${noGpu}`);

const PRECISIONS = ["fp32", "bf16", "fp16"];
const rtolOf = (p) => (p === "fp32" ? 1e-4 : 3e-2);

/** Deterministic uniform numbers in [-scale, scale) (mulberry32). */
function randn(seed) {
  let a = seed >>> 0;
  return (n, scale = 1) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
    }
    return out;
  };
}

function tensor(rand, shape, scale = 1, weight = false) {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: rand(n, scale), ...(weight ? { weight: true } : {}) };
}

// --- host emulations (no GPU needed) --------------------------------------------------------------------

test("the CUDA noise kernel's arithmetic reproduces the CPU generator bit for bit (host emulation)", { skip: noAddon }, async () => {
  const cases = [
    [42n, 0n, 0, 4096],
    [(1n << 64n) - 1n, 7n, 3, 517],
    [123456789012345n, (1n << 40n) + 5n, 1001, 64],
    [0n, 1n, (1 << 30) + 2, 33],
  ];
  for (const [seed, stream, first, count] of cases) {
    const cpu = await native.noiseNormal(seed, stream, first, count);
    const emulated = await addon.cudaNoiseNormalEmulated(seed, stream, first, count);
    assert.deepEqual(Buffer.from(emulated.buffer), Buffer.from(cpu.buffer), `seed ${seed} stream ${stream} from ${first}`);
  }
});

/** samplerStep arguments at respaced index t of a 100-step base schedule, for `rows` rows of a 6×6 image. */
function stepArgs(rand, { kind = "ddpm", t = 40, rows = 2, guided = false, inpaint = false, grad = false, eta = 0, noise = true } = {}) {
  const s = createSchedule("squaredcos_cap_v2", 1000, "100");
  const plane = 36;
  const n = rows * 3 * plane;
  return {
    kind, eta, rows, channels: 3, plane,
    x: rand(n, 1.5), modelOut: rand(2 * n, 1), clipDenoised: true,
    ...(guided ? { guidanceScale: 3 } : {}),
    ...(inpaint ? { inpaintImage: rand(n, 1), inpaintMask: Float32Array.from(rand(rows * plane), (v) => (v > 0 ? 1 : 0)) } : {}),
    ...(noise ? { noise: rand(n, 1) } : {}),
    ...(grad ? { grad: rand(n, 0.1) } : {}),
    coef: {
      sqrtRecipAlphasCumprod: s.sqrtRecipAlphasCumprod[t], sqrtRecipm1AlphasCumprod: s.sqrtRecipm1AlphasCumprod[t],
      posteriorMeanCoef1: s.posteriorMeanCoef1[t], posteriorMeanCoef2: s.posteriorMeanCoef2[t],
      posteriorLogVarianceClipped: s.posteriorLogVarianceClipped[t], logBeta: s.logBetas[t],
      alphasCumprod: s.alphasCumprod[t], alphasCumprodPrev: s.alphasCumprodPrev[t], finalStep: t === 0,
    },
  };
}

const STEP_CASES = [
  ["ddpm", {}],
  ["ddpm guided + inpaint", { guided: true, inpaint: true }],
  ["ddpm final step without noise", { t: 0, noise: false }],
  ["ddpm with gradient guidance", { grad: true }],
  ["ddim η=0 with gradient guidance", { kind: "ddim", noise: false, grad: true }],
  ["ddim η=0.5 guided", { kind: "ddim", eta: 0.5, guided: true }],
];

test("the CUDA sampler-step kernel's arithmetic matches the CPU step (host emulation)", { skip: noAddon }, async () => {
  const rand = randn(11);
  for (const [label, opts] of STEP_CASES) {
    const args = stepArgs(rand, opts);
    const cpu = await native.samplerStep(args);
    const emulated = await addon.cudaSamplerStepEmulated(args);
    assertClose({ shape: [args.x.length], data: emulated.x }, { shape: [args.x.length], data: cpu.x }, { rtol: 1e-6, label: `${label} x` });
    assertClose({ shape: [args.x.length], data: emulated.pred }, { shape: [args.x.length], data: cpu.pred }, { rtol: 1e-6, label: `${label} pred` });
  }
});

// --- op by op on the GPU ------------------------------------------------------------------------------

/** [label, op, inputs(rand), params] — shapes cover the vector/scalar loaders, both GEMM tile sizes, every
 *  attention engine (head dims padded to 32/64/128 and the wide-head float32 fallback) and broadcast path. */
const OP_CASES = [
  ["linear, odd sizes", "linear", (r) => [tensor(r, [3, 37]), tensor(r, [29, 37], 0.2, true), tensor(r, [29], 0.1, true)]],
  ["linear, 16-byte rows", "linear", (r) => [tensor(r, [2, 128, 64]), tensor(r, [192, 64], 0.15, true), tensor(r, [192], 0.1, true)]],
  ["linear without bias", "linear", (r) => [tensor(r, [5, 40]), tensor(r, [8, 40], 0.2, true)]],
  ["conv2d 3×3 pad 1", "conv2d", (r) => [tensor(r, [2, 5, 9, 11]), tensor(r, [7, 5, 3, 3], 0.2, true), tensor(r, [7], 0.1, true)], { stride: 1, pad: 1 }],
  ["conv2d 3×3 stride 2", "conv2d", (r) => [tensor(r, [1, 16, 16, 16]), tensor(r, [32, 16, 3, 3], 0.1, true), tensor(r, [32], 0.1, true)], { stride: 2, pad: 1 }],
  ["conv2d 1×1", "conv2d", (r) => [tensor(r, [2, 24, 8, 8]), tensor(r, [40, 24, 1, 1], 0.2, true), tensor(r, [40], 0.1, true)], { stride: 1, pad: 0 }],
  ["conv2d 4×4 patches", "conv2d", (r) => [tensor(r, [1, 3, 16, 16]), tensor(r, [8, 3, 4, 4], 0.2, true)], { stride: 4, pad: 0 }],
  ["conv2d, large tiles", "conv2d", (r) => [tensor(r, [4, 32, 64, 64]), tensor(r, [256, 32, 3, 3], 0.06, true), tensor(r, [256], 0.1, true)], { stride: 1, pad: 1 }],
  ["group_norm + scale-shift + SiLU", "group_norm", (r) => [tensor(r, [2, 64, 7, 9], 2), tensor(r, [64], 1, true), tensor(r, [64], 0.1, true), tensor(r, [2, 128], 0.5)], { groups: 32, eps: 1e-5, silu: true }],
  ["group_norm, chunked statistics", "group_norm", (r) => [tensor(r, [1, 64, 128, 130]), tensor(r, [64], 1, true), tensor(r, [64], 0.1, true)], { groups: 32, eps: 1e-5 }],
  ["layer_norm", "layer_norm", (r) => [tensor(r, [3, 5, 40], 3), tensor(r, [40], 1, true), tensor(r, [40], 0.1, true)], { eps: 1e-5 }],
  ["layer_norm, 512 wide", "layer_norm", (r) => [tensor(r, [4, 512]), tensor(r, [512], 1, true), tensor(r, [512], 0.1, true)], { eps: 1e-5 }],
  ["attention channels-first, text keys", "attention", (r) => [tensor(r, [2, 3 * 2 * 64, 100]), tensor(r, [2, 2 * 2 * 64, 37])], { heads: 2, layout: "channels_first" }],
  ["attention d=16, 128 text keys", "attention", (r) => [tensor(r, [2, 3 * 16, 64], 2), tensor(r, [2, 2 * 16, 128], 2)], { heads: 1, layout: "channels_first" }],
  ["attention tokens-first d=4", "attention", (r) => [tensor(r, [2, 50, 3 * 2 * 4], 2)], { heads: 2, layout: "tokens_first" }],
  ["attention d=80", "attention", (r) => [tensor(r, [1, 3 * 80, 70])], { heads: 1, layout: "channels_first" }],
  ["attention d=160 (float32 engine)", "attention", (r) => [tensor(r, [1, 3 * 160, 40])], { heads: 1, layout: "channels_first" }],
  ["self_attention causal", "self_attention", (r) => [tensor(r, [2, 33, 64]), tensor(r, [2, 33, 64]), tensor(r, [2, 33, 64])], { heads: 4, causal: true }],
  ["self_attention", "self_attention", (r) => [tensor(r, [1, 77, 64]), tensor(r, [1, 77, 64]), tensor(r, [1, 77, 64])], { heads: 2, causal: false }],
  ["silu", "silu", (r) => [tensor(r, [1000], 6)]],
  ["gelu", "gelu", (r) => [tensor(r, [1000], 6)]],
  ["add", "add", (r) => [tensor(r, [2, 8, 5, 5]), tensor(r, [2, 8, 5, 5])]],
  ["add [N,C,1,1]", "add", (r) => [tensor(r, [2, 8, 5, 5]), tensor(r, [2, 8, 1, 1])]],
  ["mul, general broadcast", "mul", (r) => [tensor(r, [2, 3, 4]), tensor(r, [1, 3, 1])]],
  ["concat axis 1", "concat", (r) => [tensor(r, [2, 3, 4, 4]), tensor(r, [2, 5, 4, 4])], { axis: 1 }],
  ["concat axis 0", "concat", (r) => [tensor(r, [1, 3, 4]), tensor(r, [2, 3, 4])], { axis: 0 }],
  ["transpose_last2", "transpose_last2", (r) => [tensor(r, [3, 37, 45])]],
  ["select", "select", (r) => [tensor(r, [2, 7, 5])], { axis: 1, index: -1 }],
  ["upsample_nearest2x", "upsample_nearest2x", (r) => [tensor(r, [2, 3, 5, 7])]],
  ["avg_pool2x2", "avg_pool2x2", (r) => [tensor(r, [2, 3, 8, 7])]],
  ["resize_bilinear up", "resize_bilinear", (r) => [tensor(r, [2, 3, 16, 16])], { h: 64, w: 64 }],
  ["resize_bilinear mixed", "resize_bilinear", (r) => [tensor(r, [1, 2, 5, 7])], { h: 9, w: 4 }],
  ["timestep_embedding", "timestep_embedding", () => [], { timesteps: [0, 250, 600, 999], dim: 192 }],
  ["timestep_embedding, odd dim", "timestep_embedding", () => [], { timesteps: [3, 998], dim: 33 }],
  ["token_embedding with padding", "token_embedding", (r) => [tensor(r, [50, 12], 0.1, true), tensor(r, [6, 12], 0.1, true), tensor(r, [6, 12], 0.1, true)],
    { tokens: [1, 4, 49, 0, 7, 7, 3, 3, 3, 3, 3, 3], mask: [1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0], batch: 2 }],
];

for (const precision of PRECISIONS) {
  test(`every backend op on CUDA ${precision} matches the CPU reference (rel ≤ ${rtolOf(precision)})`, { skip: noGpu }, async (t) => {
    const rand = randn(5);
    let worst = 0;
    for (const [label, op, inputs, params = {}] of OP_CASES) {
      const ins = inputs(rand);
      const ref = await addon.opRun("cpu", "fp32", op, ins, params);
      const got = await addon.opRun("cuda", precision, op, ins, params);
      const { rel } = assertClose(got, ref, { rtol: rtolOf(precision), label: `${op} (${label}, ${precision})` });
      worst = Math.max(worst, rel);
    }
    t.diagnostic(`${OP_CASES.length} ops, worst relative error ${worst.toExponential(2)}`);
  });
}

test("CUDA errors become JS errors and the process keeps its GPU: out of memory", { skip: noGpu }, async () => {
  // 2^40 floats (4 TiB) of timestep embedding: the device allocation fails before anything is read back.
  await assert.rejects(addon.opRun("cuda", "fp32", "timestep_embedding", [], { timesteps: [1], dim: 2 ** 40 }), /CUDA out of memory/);
  const after = await addon.opRun("cuda", "fp32", "silu", [{ shape: [2], data: new Float32Array([1, -1]) }], {});
  assert.ok(Math.abs(after.data[0] - 0.7310586) < 1e-6, "the device still works after the failure");
});

test("seeded noise generated on the GPU equals the CPU generator bit for bit", { skip: noGpu }, async () => {
  for (const [seed, stream, first, count] of [[42n, 0n, 0, 1 << 16], [(1n << 64n) - 1n, 9n, 5, 1001], [7n, 1n << 33n, 123457, 4096]]) {
    const cpu = await native.noiseNormal(seed, stream, first, count);
    const gpu = await addon.cudaNoiseNormal(seed, stream, first, count);
    assert.deepEqual(Buffer.from(gpu.buffer), Buffer.from(cpu.buffer), `seed ${seed} stream ${stream} from ${first}`);
  }
});

test("the sampler step on the GPU matches the CPU step", { skip: noGpu }, async () => {
  const rand = randn(12);
  for (const [label, opts] of STEP_CASES) {
    const args = stepArgs(rand, opts);
    const cpu = await native.samplerStep(args);
    const gpu = await addon.cudaSamplerStep(args);
    assertClose({ shape: [args.x.length], data: gpu.x }, { shape: [args.x.length], data: cpu.x }, { rtol: 1e-6, label: `${label} x` });
    assertClose({ shape: [args.x.length], data: gpu.pred }, { shape: [args.x.length], data: cpu.pred }, { rtol: 1e-6, label: `${label} pred` });
  }
});

// --- the fixture models ---------------------------------------------------------------------------------

function loadCuda(name, precision, configName = name) {
  return loadModel(fixture(`checkpoints/${name}.pt`), { config: fixtureConfig(configName), device: "cuda", precision });
}

for (const precision of PRECISIONS) {
  test(`every fixture UNet forward and text encoder on CUDA ${precision} matches the reference`, { skip: noGpu }, async (t) => {
    for (const { name } of UNETS) {
      const model = await loadCuda(name, precision);
      try {
        assert.equal(model.device, "cuda");
        assert.equal(model.precision, precision);
        const out = await model.forward(unetArgs(name));
        const { rel } = assertClose(out, loadTensor(`unet/${name}_out`), { rtol: rtolOf(precision), label: `${name} out (${precision})` });
        const { xfProj, xfOut } = await model.encodeText({ tokens: loadRows(`text_emb/${name}_tokens`), mask: loadRows(`text_emb/${name}_mask`) });
        assertClose(xfProj, loadTensor(`text_emb/${name}_xf_proj`), { rtol: rtolOf(precision), label: `${name} xf_proj (${precision})` });
        assertClose(xfOut, loadTensor(`text_emb/${name}_xf_out`), { rtol: rtolOf(precision), label: `${name} xf_out (${precision})` });
        t.diagnostic(`${name}: forward rel ${rel.toExponential(2)}`);
      } finally {
        model.dispose();
      }
    }
  });
}

test("the fp16 checkpoint and every per-block intermediate on CUDA fp32 match the reference", { skip: noGpu }, async () => {
  const fp16 = await loadCuda("base_fp16", "fp32", "base");
  try {
    assertClose(await fp16.forward(unetArgs("base")), loadTensor("unet/base_fp16_out"), { label: "base_fp16 out (cuda fp32)" });
  } finally {
    fp16.dispose();
  }
  const base = await loadCuda("base", "fp32");
  try {
    const traced = await base.forwardTrace(unetArgs("base", 0, 1));
    for (const name of ["timestep_embedding", "time_embed", "emb", "input_blocks.0", "middle_block", "out"]) {
      assertClose(traced[name], loadTensor(`trace/base_${name}`), { label: `trace ${name} (cuda fp32)` });
    }
  } finally {
    base.dispose();
  }
});

// --- whole sampling runs on the GPU loop ------------------------------------------------------------------

const RUNS = ["t2i_cfg_10", "ddim", "upsample", "inpaint_base"];

test("recorded sampling runs on the CUDA loop (fp32, CUDA graphs) match the reference samples (≤ 1e-3)", { skip: noGpu }, async (t) => {
  for (const run of RUNS) {
    const name = runModel(run);
    const model = await loadModel(fixture(`checkpoints/${name}.pt`), { config: manifest.configs[name], device: "cuda", precision: "fp32" });
    try {
      const { samples } = await sample(model, runOptions(run));
      const { rel } = assertClose(samples, loadTensor(`sampling/${run}/samples`), { rtol: 1e-3, label: `${run} samples (cuda)` });
      t.diagnostic(`${run}: rel ${rel.toExponential(2)}`);
    } finally {
      model.dispose();
    }
  }
});

test("the CUDA loop: graph replay equals eager steps bit for bit, and matches the host loop", { skip: noGpu }, async () => {
  const model = await loadModel(fixture("checkpoints/base.pt"), { config: fixtureConfig("base"), device: "cuda", precision: "fp32" });
  const opts = { prompts: ["a corgi", "a red cube"], guidanceScale: 3, respacing: "12", noise: { seed: 1234 } };
  const withEnv = async (env) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return (await sample(model, opts)).samples;
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
  };
  try {
    const graphed = await withEnv({});
    const eager = await withEnv({ GLIDE_CUDA_GRAPHS: "0" });
    assert.deepEqual(Buffer.from(graphed.data.buffer), Buffer.from(eager.data.buffer), "graph replay differs from eager steps");
    const host = await withEnv({ GLIDE_CUDA_SAMPLER: "host" });
    assertClose(graphed, host, { rtol: 1e-4, label: "device loop vs host loop" });
  } finally {
    model.dispose();
  }
});

test("the CUDA loop in bf16 stays close to the fp32 reference run", { skip: noGpu }, async (t) => {
  const run = "t2i_cfg_10";
  const name = runModel(run);
  const model = await loadModel(fixture(`checkpoints/${name}.pt`), { config: manifest.configs[name], device: "cuda", precision: "bf16" });
  try {
    const { samples } = await sample(model, runOptions(run));
    const { rel } = assertClose(samples, loadTensor(`sampling/${run}/samples`), { rtol: 1e-1, label: `${run} samples (cuda bf16)` });
    t.diagnostic(`${run} bf16: rel ${rel.toExponential(2)}`);
  } finally {
    model.dispose();
  }
});
