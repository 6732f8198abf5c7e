// Lists the C++ sources of the CPU addon for binding.gyp, so adding an op file needs no build edit.
// Usage (from binding.gyp): node scripts/native-sources.cjs
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const dirs = ["native/core", "native/ops/cpu", "native/models", "native/addon"];
const sources = [];
for (const dir of dirs) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) continue;
  for (const name of fs.readdirSync(abs).sort()) {
    if (name.endsWith(".cpp")) sources.push(`${dir}/${name}`);
  }
}
process.stdout.write(sources.join(" "));
