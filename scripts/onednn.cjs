// Build-time detection of oneDNN (Debian `libdnnl-dev`) for binding.gyp. With it, the addon gains the
// oneDNN CPU backend (native/ops/onednn: bf16/fp32 convolutions and matmuls); without it the addon builds
// on the portable kernels alone and says so at run time.
//
// usage (from binding.gyp):
//   node scripts/onednn.cjs detect    prints 1 when the oneDNN headers and library are found, else 0
//   node scripts/onednn.cjs sources   the backend's .cpp files when detected (nothing otherwise)
// environment: GLIDE_ONEDNN=0 builds without oneDNN even when it is installed.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const includeDirs = ["/usr/include", "/usr/local/include"];
const libDirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"];

function detected() {
  if (process.env.GLIDE_ONEDNN === "0") return false;
  const header = includeDirs.some((d) => fs.existsSync(path.join(d, "oneapi/dnnl/dnnl.hpp")));
  const library = libDirs.some((d) => fs.existsSync(path.join(d, "libdnnl.so")));
  return header && library;
}

const command = process.argv[2];
if (command === "detect") {
  process.stdout.write(detected() ? "1" : "0");
} else if (command === "sources") {
  if (detected()) {
    const dir = "native/ops/onednn";
    const names = fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith(".cpp")).sort();
    process.stdout.write(names.map((n) => `${dir}/${n}`).join(" "));
  }
} else {
  process.stderr.write("usage: node scripts/onednn.cjs detect|sources\n");
  process.exit(2);
}
