// The CUDA build: where nvcc exists, `npm install` (scripts/build-cuda.cjs) must have produced the CUDA addon,
// and it must load and expose its entry points — a broken CUDA build fails here even on machines without a
// GPU (CI compiles it). Skipped, with the reason printed, where no CUDA build is expected.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CUDA_ADDON_FILE, cudaStatus, loadCudaAddon } from "glide-studio";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** nvcc on PATH or under CUDA_HOME / CUDA_PATH / /usr/local/cuda (the build script's search). */
function findNvcc() {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "nvcc");
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH, "/usr/local/cuda"]) {
    if (home && fs.existsSync(path.join(home, "bin", "nvcc"))) return path.join(home, "bin", "nvcc");
  }
  return null;
}

const nvcc = findNvcc();
const statusFile = path.join(root, "build-cuda", "status.json");
const status = fs.existsSync(statusFile) ? JSON.parse(fs.readFileSync(statusFile, "utf8")) : null;
const reason = process.env.GLIDE_SKIP_CUDA === "1"
  ? "GLIDE_SKIP_CUDA=1"
  : !nvcc
    ? "nvcc not found: no CUDA build is expected here"
    : status && !status.expected
      ? `the last install expected no CUDA build: ${status.reason}`
      : undefined;

test("where nvcc exists, the CUDA addon was built and loads", { skip: reason }, (t) => {
  const log = path.join(root, "build-cuda", "build.log");
  assert.ok(status, `nvcc is at ${nvcc} but the CUDA build never ran: run \`npm run build:cuda\``);
  assert.ok(status.ok, `the CUDA build failed: ${status.reason} (${fs.existsSync(log) ? log : "no log"})`);
  assert.ok(fs.existsSync(path.join(root, CUDA_ADDON_FILE)), `${CUDA_ADDON_FILE} is missing: run \`npm run build:cuda\``);
  const loaded = loadCudaAddon();
  assert.ok(loaded.addon, `the CUDA addon does not load: ${loaded.reason}`);
  for (const fn of ["cudaDeviceInfo", "cudaModelLoad", "opRun", "cudaNoiseNormal", "deviceSamplerCreate", "modelForward"]) {
    assert.equal(typeof loaded.addon[fn], "function", `the CUDA addon lacks ${fn}`);
  }
  t.diagnostic(`built for sm_${status.arch} in ${status.seconds} s`);
});

test("the CUDA addon reports a usable device or why there is none, without throwing", { skip: reason }, (t) => {
  const loaded = loadCudaAddon();
  assert.ok(loaded.addon, loaded.reason);
  const info = loaded.addon.cudaDeviceInfo();
  assert.equal(typeof info.available, "boolean");
  assert.match(info.runtimeVersion, /^\d+\.\d+$/);
  if (info.available) {
    assert.ok(info.name.length > 0 && info.multiprocessors > 0 && info.totalMemory > 0, JSON.stringify(info));
    t.diagnostic(`${info.name} (sm_${info.computeCapability.replace(".", "")}, ${info.multiprocessors} SMs, driver ${info.driverVersion})`);
  } else {
    assert.ok(info.reason.length > 0, "an unavailable device must say why");
    t.diagnostic(`no usable GPU: ${info.reason}`);
  }
  const status = cudaStatus();
  assert.equal(status.available, info.available);
});
