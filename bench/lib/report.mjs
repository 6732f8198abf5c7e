// The bench's markdown report: one table per measure with the issue's targets, stating each as met or
// not on the measured wall-clock medians, plus the machine and load notes.
const TARGETS = [
  { key: "pipeline_bf16", label: "full pipeline, base 100 + upsampler 27 steps, bf16", target: 45, unit: "s" },
  { key: "base_step_bf16", label: "base step, batch 2 (guided), bf16", target: 0.3, unit: "s" },
  { key: "upsample_step_bf16", label: "upsampler step, batch 1, bf16", target: 0.7, unit: "s" },
  { key: "base_step_fp32", label: "base step, batch 2 (guided), fp32", target: 2.0, unit: "s" },
  { key: "peak_rss_gb", label: "peak resident memory, full pipeline (bf16)", target: 6, unit: "GB" },
];

const fmt = (v, digits = 2) => (v === undefined || v === null ? "—" : Number(v).toFixed(digits));

/** Target rows {label, target, measured, estimate, met} from a bench result. */
export function targetRows(r) {
  const bf16 = r.ours.bf16;
  const fp32 = r.ours.fp32;
  const values = {
    pipeline_bf16: bf16?.pipeline && { wall: bf16.pipeline.wallMedian, cpu: bf16.pipeline.cpuMedian },
    base_step_bf16: bf16 && { wall: bf16.baseStep.wallMedian, cpu: bf16.baseStep.cpuMedian },
    upsample_step_bf16: bf16 && { wall: bf16.upsampleStep.wallMedian, cpu: bf16.upsampleStep.cpuMedian },
    base_step_fp32: fp32 && { wall: fp32.baseStep.wallMedian, cpu: fp32.baseStep.cpuMedian },
    peak_rss_gb: bf16?.pipeline && { wall: bf16.pipeline.peakRssBytes / 1e9 },
  };
  // A smoke run with fewer sampling steps says nothing about the pipeline targets.
  const official = r.pipelineSteps.join(",") === "100,27";
  return TARGETS.map((t) => {
    const v = values[t.key];
    const estimate = v?.cpu !== undefined ? v.cpu / r.machine.threads : undefined;
    const judged = v && (official || (t.key !== "pipeline_bf16" && t.key !== "peak_rss_gb"));
    return { ...t, measured: v?.wall, estimate, met: judged ? v.wall <= t.target : null };
  });
}

/** Markdown of a bench result. */
export function markdown(r) {
  const lines = [];
  lines.push(`# glide-studio CPU benchmark — ${r.date}`, "");
  lines.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.threads} threads, oneDNN ${r.machine.runtime.onednnVersion ?? "absent"} (${r.machine.runtime.isa ?? "portable kernels"}, AMX ${r.machine.runtime.amx ? "yes" : "no"}), ${r.machine.memoryGiB} GiB.`);
  lines.push(`Load average (1/5/15 min) at start ${r.machine.loadavg.start.join(" / ")}, at end ${r.machine.loadavg.end.join(" / ")}: ${r.machine.note}`, "");
  lines.push("## Targets", "");
  lines.push("| measure | target | measured (wall, median) | CPU-time / threads | met |", "|---|---|---|---|---|");
  for (const t of targetRows(r)) {
    const verdict = t.met === null ? (t.measured === undefined ? "not measured" : "not judged (smoke run)") : t.met ? "**met**" : "not met";
    lines.push(`| ${t.label} | ≤ ${t.target} ${t.unit} | ${fmt(t.measured)} ${t.unit} | ${t.estimate === undefined ? "—" : `${fmt(t.estimate)} ${t.unit}`} | ${verdict} |`);
  }
  lines.push("", "CPU-time / threads is the process CPU time of the measure divided by the thread count: a lower bound of the wall time with the cores to ourselves (threads sleep while waiting).", "");
  lines.push("## All measures (seconds, median wall; CPU seconds in brackets)", "");
  const precs = Object.keys(r.ours);
  const torch = r.pytorch?.jobs;
  lines.push(`| measure | ${precs.map((p) => `ours ${p}`).join(" | ")} | PyTorch fp32 | PyTorch bf16 | ours/PyTorch (same precision) |`);
  lines.push(`|---|${precs.map(() => "---").join("|")}|---|---|---|`);
  const cell = (m) => (m ? `${fmt(m.wallMedian)} (${fmt(m.cpuMedian)})` : "—");
  const pt = (job, p) => torch?.[job]?.[p] && { wallMedian: torch[job][p].wallMedian, cpuMedian: torch[job][p].cpuMedian };
  const ratio = (job, key) =>
    precs
      .map((p) => (r.ours[p]?.[key] && pt(job, p) ? `${p} ${fmt(r.ours[p][key].wallMedian / pt(job, p).wallMedian)}× (CPU ${fmt(r.ours[p][key].cpuMedian / pt(job, p).cpuMedian)}×)` : null))
      .filter(Boolean)
      .join("; ") || "—";
  lines.push(`| base step, batch 2 | ${precs.map((p) => cell(r.ours[p].baseStep)).join(" | ")} | ${cell(pt("base", "fp32"))} | ${cell(pt("base", "bf16"))} | ${ratio("base", "baseStep")} |`);
  lines.push(`| upsampler step, batch 1 | ${precs.map((p) => cell(r.ours[p].upsampleStep)).join(" | ")} | ${cell(pt("upsample", "fp32"))} | ${cell(pt("upsample", "bf16"))} | ${ratio("upsample", "upsampleStep")} |`);
  lines.push(`| text + encoder_kv, once per sample (base, batch 2) | ${precs.map((p) => cell(r.ours[p].prepareText)).join(" | ")} | | | |`);
  lines.push(`| full pipeline ${r.pipelineSteps.join(" + ")} steps | ${precs.map((p) => (r.ours[p].pipeline ? cell(r.ours[p].pipeline) : `${fmt(r.ours[p].pipelineDerived)} (derived)`)).join(" | ")} | ${torch ? fmt(r.pytorch.pipelineDerived?.fp32) + " (derived)" : "—"} | ${torch ? fmt(r.pytorch.pipelineDerived?.bf16) + " (derived)" : "—"} | |`);
  lines.push(`| model load (base + upsampler) | ${precs.map((p) => fmt(r.ours[p].loadSeconds)).join(" | ")} | | | |`);
  lines.push(`| peak RSS during load + pipeline | ${precs.map((p) => (r.ours[p].pipeline ? `${fmt(r.ours[p].pipeline.peakRssBytes / 1e9)} GB` : "—")).join(" | ")} | | | |`);
  lines.push("", "Derived pipelines = 100 × base step + 27 × upsampler step (+ the text preparation for ours), stated where a whole run was not timed.");
  if (!torch) lines.push("", `PyTorch: ${r.pytorch?.unavailable ?? "not run"}.`);
  else lines.push("", `PyTorch ${r.pytorch.torch} (Debian python3-torch), ${r.pytorch.threads} threads, train/glide_model.py on the same weights; bf16 = autocast with channels-last memory.`);
  return `${lines.join("\n")}\n`;
}
