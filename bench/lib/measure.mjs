// Timing and machine-state helpers: wall and CPU seconds (all threads of this process), the machine's
// load average, and peak resident memory (VmHWM, resettable through /proc/self/clear_refs).
import fs from "node:fs";

/** Runs `fn`, returning its value with wall and process-CPU seconds. */
export async function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const cpu = process.cpuUsage(cpu0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** `runs` timed calls of `fn` after `warmup` untimed ones: {wall[], cpu[], wallMedian, cpuMedian, load}. */
export async function repeat(fn, { runs, warmup = 1 }) {
  for (let i = 0; i < warmup; i++) await fn();
  const wall = [];
  const cpu = [];
  const load = [loadavg()];
  for (let i = 0; i < runs; i++) {
    const r = await timed(fn);
    wall.push(r.wall);
    cpu.push(r.cpu);
  }
  load.push(loadavg());
  return { wall, cpu, wallMedian: median(wall), cpuMedian: median(cpu), loadavg: load };
}

/** The 1-, 5- and 15-minute load averages. */
export function loadavg() {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

/** Resets the peak RSS to the current RSS (Linux: "5" to clear_refs); false where not permitted. */
export function resetPeakRss() {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The CPU model name. */
export function cpuModel() {
  const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
  return line ? line.split(":")[1].trim() : "unknown";
}
