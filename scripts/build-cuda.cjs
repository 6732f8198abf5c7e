// Builds the CUDA addon, build-cuda/Release/glide_native_cuda.node, with cmake-js (CMakeLists.txt).
//
// usage: node scripts/build-cuda.cjs [--optional]
//   --optional  (what `npm install` runs) skip with a printed note when nvcc is not found, and never fail:
//               the CPU addon works without CUDA. Without it (`npm run build:cuda`) a failure exits non-zero.
// environment:
//   GLIDE_CUDA_ARCH   CUDA architectures in CMake syntax (default "90": H100/H200; e.g. "80;90")
//   GLIDE_CUDA_JOBS   parallel compile jobs (default 2)
//   GLIDE_SKIP_CUDA=1 skip the CUDA build
//   CUDA_HOME / CUDA_PATH   where to look for bin/nvcc when it is not on PATH
//
// Writes build-cuda/status.json {expected, ok, reason, arch, seconds}: test/cuda-build.test.mjs fails when a
// CUDA build was expected (nvcc found, not skipped) and did not produce the addon. The full compiler output
// goes to build-cuda/build.log.
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const outDir = path.join(root, "build-cuda");
const logFile = path.join(outDir, "build.log");
const statusFile = path.join(outDir, "status.json");
const optional = process.argv.includes("--optional");

function note(message) {
  process.stderr.write(`glide-studio: ${message}\n`);
}

function writeStatus(status) {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(statusFile, JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2) + "\n");
}

function onPath(name) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function findNvcc() {
  const found = onPath("nvcc");
  if (found) return found;
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH, "/usr/local/cuda"]) {
    if (!home) continue;
    const candidate = path.join(home, "bin", "nvcc");
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function finish(status) {
  writeStatus(status);
  if (status.ok || !status.expected) return 0;
  return optional ? 0 : 1;
}

function main() {
  const arch = process.env.GLIDE_CUDA_ARCH || "90";
  if (process.env.GLIDE_SKIP_CUDA === "1") {
    note("GLIDE_SKIP_CUDA=1: the CUDA addon is not built.");
    return finish({ expected: false, ok: false, reason: "skipped (GLIDE_SKIP_CUDA=1)", arch });
  }
  const nvcc = findNvcc();
  if (!nvcc) {
    if (optional) note("nvcc not found: building the CPU addon only (install the CUDA toolkit and run `npm run build:cuda` for the GPU backend).");
    return finish({ expected: false, ok: false, reason: "nvcc not found", arch });
  }
  let cmakeJs;
  try {
    cmakeJs = require.resolve("cmake-js/bin/cmake-js", { paths: [root] });
  } catch {
    note("nvcc was found but cmake-js is not installed (it is a devDependency): the CUDA addon is not built.");
    return finish({ expected: true, ok: false, reason: "cmake-js is not installed", arch });
  }
  if (!onPath("cmake")) {
    note("nvcc was found but cmake is not on PATH: the CUDA addon is not built.");
    return finish({ expected: true, ok: false, reason: "cmake not found", arch });
  }

  const jobs = String(Number(process.env.GLIDE_CUDA_JOBS) || 2);
  const args = [cmakeJs, "build", "--out", outDir, "--parallel", jobs, `--CDGLIDE_CUDA_ARCH=${arch}`,
    `--CDCMAKE_CUDA_COMPILER=${nvcc}`];
  note(`building the CUDA addon (nvcc ${nvcc}, arch ${arch}, ${jobs} jobs; log: build-cuda/build.log)…`);
  fs.mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const output = `${result.stdout || ""}${result.stderr || ""}${result.error ? String(result.error) : ""}`;
  fs.writeFileSync(logFile, output);
  const addon = path.join(outDir, "Release", "glide_native_cuda.node");
  if (result.status === 0 && fs.existsSync(addon)) {
    note(`CUDA addon built in ${seconds} s: ${path.relative(root, addon)}`);
    return finish({ expected: true, ok: true, reason: "", arch, seconds });
  }
  const tail = output.split("\n").slice(-40).join("\n");
  note(`the CUDA addon failed to build after ${seconds} s${optional ? " (the CPU addon still works)" : ""}; last lines of build-cuda/build.log:\n${tail}`);
  return finish({ expected: true, ok: false, reason: `build failed (exit ${result.status}); see build-cuda/build.log`, arch, seconds });
}

process.exitCode = main();
