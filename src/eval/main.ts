#!/usr/bin/env node
/**
 * `npm run eval:demo`: evaluates the bundled demo models (models/demo) with our runtime and writes
 * docs/demo-eval.md. Options: --models DIR, --out FILE, --steps N (base respacing), --singles N, --pairs N,
 * --cfg 1,2,3 --clip 1,3 (scales), --seed N, --precision auto|fp32|bf16, --quick (few cases, 25 steps: a smoke run).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatDemoEvalMarkdown, runDemoEvaluation, type DemoEvalOptions } from "./demo-eval.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function parseArgs(argv: string[]): { opts: DemoEvalOptions; out: string } {
  const opts: DemoEvalOptions = { modelsDir: path.join(ROOT, "models", "demo"), log: (l) => console.error(l) };
  let out = path.join(ROOT, "docs", "demo-eval.md");
  const scales = (v: string) => v.split(",").filter((s) => s.trim() !== "").map(Number);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`eval:demo: ${a} needs a value`);
      return v;
    };
    if (a === "--models") opts.modelsDir = path.resolve(next());
    else if (a === "--out") out = path.resolve(next());
    else if (a === "--steps") opts.respacing = next();
    else if (a === "--singles") opts.singles = Number(next());
    else if (a === "--pairs") opts.pairs = Number(next());
    else if (a === "--cfg") opts.cfgScales = scales(next());
    else if (a === "--clip") opts.clipScales = scales(next());
    else if (a === "--seed") opts.seed = Number(next());
    else if (a === "--precision") {
      const v = next();
      if (v !== "auto" && v !== "fp32" && v !== "bf16") throw new Error(`eval:demo: --precision must be auto, fp32 or bf16, got ${v}`);
      opts.precision = v;
    }
    else if (a === "--quick") Object.assign(opts, { singles: 8, pairs: 4, respacing: "25", cfgScales: [3], clipScales: [3] });
    else throw new Error(`eval:demo: unknown option ${a} (see the header of src/eval/main.ts)`);
  }
  return { opts, out };
}

const { opts, out } = parseArgs(process.argv.slice(2));
const results = await runDemoEvaluation(opts);
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}`;
const command = `npm run eval:demo${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`;
await fs.writeFile(out, formatDemoEvalMarkdown(results, { date: new Date().toISOString().slice(0, 10), command, machine }) + "\n");
console.error(`wrote ${path.relative(process.cwd(), out)}`);
