// litegraph node classes generated from /object_info. Each class extends LGraphNode (no prototype
// patching): sockets for link inputs, widgets for literal inputs, outputs; it saves its widget values
// by input name and draws its run state (progress bar, live preview, result images, errors).

import { addInputWidget } from "./widgets.js";
import { categoryColors, linkColor } from "./colors.js";

const LG = window.LiteGraph;
const WIDGET_TYPES = new Set(["INT", "FLOAT", "STRING", "BOOLEAN"]);

/** Whether an input spec is a widget (a literal value) rather than a socket. */
export function isWidgetSpec([type, opts = {}]) {
  if (opts.forceInput) return false;
  return Array.isArray(type) || WIDGET_TYPES.has(type);
}

/** Inputs of a schema in declaration order: [{name, spec, required}]. */
export function schemaInputs(schema) {
  const out = [];
  for (const section of ["required", "optional"]) {
    const specs = schema.input?.[section] ?? {};
    const order = schema.input_order?.[section] ?? Object.keys(specs);
    for (const name of order) if (specs[name]) out.push({ name, spec: specs[name], required: section === "required" });
  }
  return out;
}

let checker = null;
/** A checkerboard pattern shown under images, so transparent (masked) pixels are visible. */
function checkerPattern(ctx) {
  if (!checker) {
    const c = document.createElement("canvas");
    c.width = c.height = 16;
    const g = c.getContext("2d");
    g.fillStyle = "#3a3d44";
    g.fillRect(0, 0, 16, 16);
    g.fillStyle = "#2c2f35";
    g.fillRect(0, 0, 8, 8);
    g.fillRect(8, 8, 8, 8);
    checker = c;
  }
  return ctx.createPattern(checker, "repeat");
}

/** Colours a slot by its type and labels optional inputs. */
function styleSlot(slot, optional) {
  slot.color_on = slot.color_off = linkColor(slot.type);
  if (optional) slot.label = `${slot.name} (optional)`;
}

/** Fresh per-node run state (not saved). */
function freshState() {
  return { running: false, progress: null, preview: null, images: [], errors: [], cached: false };
}

/**
 * Registers one litegraph node class per schema entry. `hooks` are the app's services (text editor,
 * uploads, mask painter, image loading) the widgets and drawings use.
 */
export function registerNodeTypes(objectInfo, hooks) {
  for (const schema of Object.values(objectInfo)) {
    const Base = window.LGraphNode;
    class GlideNode extends Base {
      constructor(title) {
        super(title);
        this.glide = freshState();
        this.serialize_widgets = false; // widgets_values are written by name in onSerialize
        const colors = categoryColors(schema.category);
        if (colors) Object.assign(this, colors);
        for (const { name, spec, required } of schemaInputs(schema)) {
          if (isWidgetSpec(spec)) {
            addInputWidget(this, name, spec, hooks);
          } else {
            styleSlot(this.addInput(name, spec[0]), !required);
          }
        }
        schema.output.forEach((type, i) => styleSlot(this.addOutput(schema.output_name?.[i] ?? type, type), false));
        this.size = this.computeSize();
        this.size[0] = Math.max(this.size[0], 280);
      }

      /** The schema this class was generated from. */
      static get schema() {
        return schema;
      }

      onSerialize(o) {
        // Plain arrays and slots without drawing state keep files small and diff-friendly.
        o.pos = [this.pos[0], this.pos[1]];
        o.size = [this.size[0], this.size[1]];
        const ownLabel = (slot) => slot.label && slot.label !== `${slot.name} (optional)`;
        if (this.inputs) o.inputs = this.inputs.map((slot) => ({ name: slot.name, type: slot.type, link: slot.link ?? null, ...(ownLabel(slot) ? { label: slot.label } : {}), ...(slot.widget ? { widget: slot.widget } : {}) }));
        if (this.outputs) o.outputs = this.outputs.map(({ name, type, links, slot_index, label }, i) => ({ name, type, links: links ?? null, slot_index: slot_index ?? i, ...(label ? { label } : {}) }));
        const colors = categoryColors(schema.category);
        if (colors && o.color === colors.color) delete o.color;
        if (colors && o.bgcolor === colors.bgcolor) delete o.bgcolor;
        const values = {};
        for (const w of this.widgets ?? []) if (w.inputName) values[w.inputName] = w.value;
        o.widgets_values = values;
        const afterRun = {};
        for (const w of this.widgets ?? []) if (w.controls) afterRun[w.controls] = w.value;
        if (Object.keys(afterRun).length) o.properties = { ...(o.properties ?? {}), after_run: afterRun };
      }

      /** Slots come from the file as saved (they hold the link ids), not merged by position. */
      configure(info) {
        if (Array.isArray(info.inputs)) this.inputs = [];
        if (Array.isArray(info.outputs)) this.outputs = [];
        super.configure(info);
      }

      onConfigure(info) {
        const values = info.widgets_values;
        if (values && typeof values === "object" && !Array.isArray(values)) {
          for (const w of this.widgets ?? []) {
            if (w.inputName && Object.hasOwn(values, w.inputName)) w.value = values[w.inputName];
          }
        }
        const afterRun = info.properties?.after_run ?? {};
        for (const w of this.widgets ?? []) if (w.controls && afterRun[w.controls]) w.value = afterRun[w.controls];
        delete this.widgets_values;
        // Inputs the schema gained since the file was saved get their socket (old files keep loading).
        this.inputs ??= [];
        for (const { name, spec, required } of schemaInputs(schema)) {
          if (isWidgetSpec(spec)) continue;
          const slot = this.inputs.find((x) => x.name === name) ?? this.addInput(name, spec[0]);
          styleSlot(slot, !required);
        }
        for (const slot of this.outputs ?? []) styleSlot(slot, false);
        hooks.onNodeConfigured?.(this);
      }

      /** Height where the free drawing area (images) starts: below sockets and widgets. */
      contentTop() {
        let y = Math.max(this.inputs?.length ?? 0, this.outputs?.length ?? 0, 1) * LG.NODE_SLOT_HEIGHT + 6;
        for (const w of this.widgets ?? []) y += (w.computeSize ? w.computeSize(this.size[0])[1] : LG.NODE_WIDGET_HEIGHT) + 4;
        return y + 4;
      }

      onDrawForeground(ctx) {
        if (this.flags.collapsed) return;
        const g = this.glide;
        const [w, h] = this.size;
        const titleH = LG.NODE_TITLE_HEIGHT;
        // Images: the live preview while sampling, else the results.
        const img = g.preview ?? g.images[g.images.length - 1];
        if (img && img.complete && img.naturalWidth) {
          const top = this.contentTop();
          const availH = h - top - 6;
          if (availH > 20) {
            const scale = Math.min((w - 12) / img.naturalWidth, availH / img.naturalHeight);
            const dw = img.naturalWidth * scale;
            const dh = img.naturalHeight * scale;
            const x = (w - dw) / 2;
            const y = top + (availH - dh) / 2;
            ctx.fillStyle = checkerPattern(ctx);
            ctx.fillRect(x, y, dw, dh);
            ctx.imageSmoothingEnabled = scale < 1;
            ctx.drawImage(img, x, y, dw, dh);
            if (g.images.length > 1 && !g.preview) {
              ctx.fillStyle = "#aaa";
              ctx.font = "11px system-ui, sans-serif";
              ctx.textAlign = "right";
              ctx.fillText(`${g.images.length} images`, w - 8, h - 6);
              ctx.textAlign = "left";
            }
          }
        }
        if (g.progress) {
          const frac = Math.max(0, Math.min(1, g.progress.value / g.progress.max));
          ctx.fillStyle = "rgba(63,181,107,0.9)";
          ctx.fillRect(0, -2, w * frac, 4);
          ctx.fillStyle = "#cfe9d6";
          ctx.font = "11px system-ui, sans-serif";
          ctx.textAlign = "right";
          ctx.fillText(`${g.progress.value}/${g.progress.max}`, w - 8, -titleH / 2 + 4);
          ctx.textAlign = "left";
        }
        if (g.running || g.errors.length) {
          ctx.strokeStyle = g.errors.length ? "#e5484d" : "#3fb56b";
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.roundRect(-3, -titleH - 3, w + 6, h + titleH + 6, 10);
          ctx.stroke();
        }
        // Mark the inputs/widgets at fault.
        for (const err of g.errors) {
          if (!err.input) continue;
          const widget = (this.widgets ?? []).find((x) => x.inputName === err.input);
          ctx.strokeStyle = "#e5484d";
          ctx.lineWidth = 2;
          if (widget && widget.last_y !== undefined) {
            const wh = widget.computeSize ? widget.computeSize(w)[1] : LG.NODE_WIDGET_HEIGHT;
            ctx.beginPath();
            ctx.roundRect(12, widget.last_y - 2, w - 24, wh + 4, 8);
            ctx.stroke();
          } else {
            const slot = (this.inputs ?? []).findIndex((s) => s.name === err.input);
            if (slot >= 0) {
              const y = (slot + 0.7) * LG.NODE_SLOT_HEIGHT - 4;
              ctx.beginPath();
              ctx.arc(10, y - 3, 8, 0, Math.PI * 2);
              ctx.stroke();
            }
          }
        }
      }

      onWidgetChanged(name, value) {
        hooks.onWidgetChanged?.(this, name, value);
      }

      getExtraMenuOptions(_canvas, options) {
        if (this.glide.images.length) {
          const img = this.glide.images[this.glide.images.length - 1];
          options.unshift({ content: "Open image", callback: () => window.open(img.src, "_blank") }, null);
        }
      }
    }
    GlideNode.title = schema.display_name || schema.name;
    GlideNode.desc = schema.description;
    LG.registerNodeType(schema.name, GlideNode);
    // The add-node menu groups by `category` (set after registering, which derives it from the name).
    GlideNode.category = schema.category || "other";
  }
}

/** Resets the run state of every node (before a new run). */
export function resetRunState(node, { keepImages = true } = {}) {
  const images = keepImages ? node.glide?.images ?? [] : [];
  node.glide = { ...freshState(), images };
}
