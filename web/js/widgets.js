// Widgets for the literal inputs of a node schema: numbers (INT/FLOAT with min/max/step), text
// (one line, or multi-line edited in an overlay text box), toggles, choice lists; plus the seed
// "after run" control and the image upload / mask painter buttons.

const LG = window.LiteGraph;

/** Decimal places implied by a step (0.01 → 2). */
function decimalsOf(step) {
  if (!step || Number.isInteger(step)) return 0;
  const s = String(step);
  return s.includes("e-") ? Number(s.split("e-")[1]) : (s.split(".")[1] ?? "").length;
}

function clamp(v, min, max) {
  if (min !== undefined && v < min) return min;
  if (max !== undefined && v > max) return max;
  return v;
}

/** A number widget; litegraph moves by a tenth of `step` per pixel/click, so it gets 10× the step. */
function numberWidget(node, name, type, opts) {
  const isInt = type === "INT";
  const step = opts.step ?? (isInt ? 1 : 0.01);
  const precision = isInt ? 0 : Math.max(decimalsOf(step), 1);
  const value = opts.default ?? (opts.min ?? 0);
  const w = node.addWidget("number", name, value, function (v) {
    let x = Number(v);
    if (!Number.isFinite(x)) x = value;
    x = isInt ? Math.round(x / step) * step : Number((Math.round(x / step) * step).toFixed(precision + 2));
    this.value = clamp(x, opts.min, opts.max);
  }, { min: opts.min, max: opts.max, step: step * 10, precision });
  return w;
}

/**
 * A multi-line text widget: draws the wrapped text in a box; a click opens a text box over it.
 * `onEdit(widget, node)` opens the editor (owned by the app, which knows the canvas transform).
 */
function multilineWidget(node, name, value, onEdit) {
  const lines = 4;
  const w = {
    type: "glide_multiline",
    name,
    value: value ?? "",
    options: { multiline: true },
    computeSize(width) {
      return [width, lines * 16 + 12];
    },
    draw(ctx, _node, width, y) {
      const h = this.computeSize(width)[1];
      const margin = 15;
      ctx.fillStyle = LG.WIDGET_BGCOLOR;
      ctx.strokeStyle = LG.WIDGET_OUTLINE_COLOR;
      ctx.beginPath();
      ctx.roundRect(margin, y, width - margin * 2, h, 6);
      ctx.fill();
      ctx.stroke();
      ctx.save();
      ctx.beginPath();
      ctx.rect(margin, y, width - margin * 2, h);
      ctx.clip();
      ctx.font = "12px system-ui, sans-serif";
      const text = String(this.value);
      ctx.fillStyle = text ? LG.WIDGET_TEXT_COLOR : LG.WIDGET_SECONDARY_TEXT_COLOR;
      const wrapped = wrapText(ctx, text || this.name, width - margin * 2 - 12);
      wrapped.slice(0, lines).forEach((line, i) => ctx.fillText(line, margin + 6, y + 16 + i * 16));
      ctx.restore();
    },
    mouse(event, _pos, n) {
      if (event.type === `${LG.pointerevents_method}down`) onEdit(this, n);
      return true;
    },
  };
  node.addCustomWidget(w);
  return w;
}

function wrapText(ctx, text, maxWidth) {
  const out = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/(\s+)/)) {
      const candidate = line + word;
      if (ctx.measureText(candidate).width > maxWidth && line) {
        out.push(line.trimEnd());
        line = word.trimStart();
      } else {
        line = candidate;
      }
    }
    out.push(line);
  }
  return out;
}

/** Values of the seed "after run" control. */
export const AFTER_RUN = ["fixed", "increment", "randomize"];

/**
 * Adds the widget for the literal input `name` with schema spec `[type, opts]`. Returns the widget,
 * tagged with `inputName` (so it is saved by name). `hooks` gives the app's editors and uploads.
 */
export function addInputWidget(node, name, spec, hooks) {
  const [type, opts = {}] = spec;
  let w;
  if (Array.isArray(type)) {
    const values = [...type];
    const initial = opts.default !== undefined && values.includes(opts.default) ? opts.default : values[0] ?? "";
    w = node.addWidget("combo", name, initial, (v) => hooks.onChoice?.(node, name, v), { values });
  } else if (type === "INT" || type === "FLOAT") {
    w = numberWidget(node, name, type, opts);
  } else if (type === "BOOLEAN") {
    w = node.addWidget("toggle", name, opts.default ?? false, () => {}, { on: opts.label_on ?? "true", off: opts.label_off ?? "false" });
  } else if (opts.multiline) {
    w = multilineWidget(node, name, opts.default ?? "", hooks.editText);
  } else {
    w = node.addWidget("text", name, opts.default ?? "", () => {}, {});
  }
  w.inputName = name;
  w.tooltip = opts.tooltip;

  if (opts.control_after_generate) {
    const c = node.addWidget("combo", "after run", "randomize", () => {}, { values: AFTER_RUN });
    c.controls = name;
    c.tooltip = `what happens to ${name} after each queued run: keep it (fixed), add one (increment), or pick a new random value (randomize)`;
  }
  if (opts.image_upload) {
    const b = node.addWidget("button", "upload image…", null, () => hooks.uploadImage(node, name));
    b.tooltip = "upload a PNG or JPEG into the input folder and select it";
    // The painter stores the mask as the picture's alpha: offered where the node outputs the
    // picture together with the MASK read from that alpha (LoadImage).
    if (hooks.carriesMask(node)) {
      const m = node.addWidget("button", "paint mask…", null, () => hooks.paintMask(node, name));
      m.tooltip = "paint the region to regenerate (inpainting); it is stored as the image's alpha, which this node outputs as its MASK";
    }
  }
  return w;
}

/** Applies the "after run" controls of `node` (called after each successful queueing). */
export function applyAfterRun(node) {
  for (const c of node.widgets ?? []) {
    if (!c.controls || c.value === "fixed") continue;
    const target = node.widgets.find((w) => w.inputName === c.controls);
    if (!target) continue;
    const { min = 0, max = 2 ** 32 - 1 } = target.options;
    if (c.value === "increment") {
      target.value = target.value + 1 > max ? min : target.value + 1;
    } else {
      // Uniform over [min, max]; crypto for a full 32-bit range without Math.random's bias concerns.
      const span = Math.min(max - min, 2 ** 32 - 1);
      const r = crypto.getRandomValues(new Uint32Array(1))[0] % (span + 1);
      target.value = min + r;
    }
  }
}

/** Keeps `value` selectable in a combo whose list is refreshed (e.g. a file removed meanwhile). */
export function setComboValues(widget, values) {
  widget.options.values = [...values];
}

export { clamp, decimalsOf };
