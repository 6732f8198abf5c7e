/**
 * Progress display for long CLI work: a redrawn bar on a terminal, a few plain lines otherwise (logs,
 * CI), so piping the output never fills it with carriage returns.
 */

/** Where progress goes: a stream that may be a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Formats seconds as `1m05s` / `4.2s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, "0")}s`;
}

/** Formats a byte count as `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** One progress bar (or its plain-line equivalent). */
export class ProgressBar {
  private readonly started = Date.now();
  private lastPlain = -1;
  private drawn = false;

  /**
   * @param stream where to draw (stderr)
   * @param label text before the bar
   * @param format how to show value/max (steps or bytes)
   */
  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly format: (value: number, max: number) => string = (v, m) => `${v}/${m}`,
  ) {}

  /** Shows `value` of `max`; `startValue` is where this session began (resumed downloads). */
  update(value: number, max: number, startValue = 0): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? (value - startValue) / elapsed : 0;
    const eta = rate > 0 && max > 0 ? (max - value) / rate : NaN;
    const tail = `${this.format(value, max)}${max > 0 && value < max && Number.isFinite(eta) ? ` eta ${formatDuration(eta)}` : ""} ${formatDuration(elapsed)}`;
    if (this.stream.isTTY) {
      const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - tail.length - 6));
      const filled = max > 0 ? Math.round((width * Math.min(value, max)) / max) : 0;
      this.stream.write(`\r\x1b[2K${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${tail}`);
      this.drawn = true;
      return;
    }
    // Plain output: about ten lines per bar.
    const decile = max > 0 ? Math.floor((10 * value) / max) : 0;
    if (decile !== this.lastPlain || value === max) {
      if (value === max && this.lastPlain === 10) return;
      this.lastPlain = value === max ? 10 : decile;
      this.stream.write(`${this.label} ${tail}\n`);
    }
  }

  /** Ends the bar (a newline after a terminal bar). */
  done(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
