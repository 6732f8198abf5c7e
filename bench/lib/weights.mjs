// Random full-size weights with the fixtures' scales (norm gains ≈ 1, biases 0.05, embedding tables 0.1,
// other weights uniform with std 1/√fan_in), generated deterministically and cached as safetensors
// under bench/tmp/ (the native loader reads weights from a file by offset).
import fs from "node:fs";
import path from "node:path";
import { expectedGlideTensors, writeSafetensors } from "glide-studio";

const NORM_GAIN = /(norm|ln_\d|final_ln|in_layers\.0|out_layers\.0|out\.0)\.weight$/;

function randomTensor(name, shape, state) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const gain = shape.length === 1 && NORM_GAIN.test(name);
  const std = name.includes("embedding") ? 0.1 : shape.length === 1 ? (gain ? 0.1 : 0.05) : 1 / Math.sqrt(n / shape[0]);
  const a = std * Math.sqrt(3); // uniform on [−a, a] has this std
  let s = state.seed;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = ((s >>> 0) / 4294967296) * 2 * a - a + (gain ? 1 : 0);
  }
  state.seed = s;
  return new Uint8Array(data.buffer);
}

/** Path of a cached random checkpoint for `config` (written on first use, ~1.5 GB). */
export async function randomCheckpoint(dir, name, config, seed) {
  const file = path.join(dir, `${name}.safetensors`);
  const stamp = path.join(dir, `${name}.stamp`);
  const want = JSON.stringify({ config, seed });
  if (fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === want) return file;
  fs.mkdirSync(dir, { recursive: true });
  const state = { seed: seed | 0 };
  const tensors = [...expectedGlideTensors(config)].map(([tensor, shape]) => ({
    name: tensor, shape, dtype: "float32", data: async () => randomTensor(tensor, shape, state),
  }));
  const started = performance.now();
  await writeSafetensors(file, tensors);
  fs.writeFileSync(stamp, want);
  console.log(`wrote ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** Number of parameters of a config. */
export function parameterCount(config) {
  return [...expectedGlideTensors(config).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
}
