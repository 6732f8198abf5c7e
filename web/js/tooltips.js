// Hover tooltips on the canvas: a node's description on its title, an input's tooltip on its socket
// or widget, an output's tooltip on its socket. litegraph has none, so this reads the hovered spot
// from the canvas and the schemas.

const LG = window.LiteGraph;

function describeInput(schema, name) {
  for (const section of ["required", "optional"]) {
    const spec = schema?.input?.[section]?.[name];
    if (!spec) continue;
    const [type, opts = {}] = spec;
    const kind = Array.isArray(type) ? "choice" : type;
    const range = opts.min !== undefined || opts.max !== undefined ? ` [${opts.min ?? "…"}, ${opts.max ?? "…"}]` : "";
    const tip = opts.tooltip ? `\n${opts.tooltip}` : "";
    return `${name}: ${kind}${range}${section === "optional" ? " (optional)" : ""}${tip}`;
  }
  return null;
}

/** What the mouse at graph position [x, y] points at, as tooltip text (or null). */
function tooltipAt(graph, x, y) {
  const node = graph.getNodeOnPos(x, y, undefined, 6);
  if (!node || node.flags?.collapsed) return null;
  const schema = node.constructor.schema;
  const lx = x - node.pos[0];
  const ly = y - node.pos[1];
  if (ly < 0) return schema ? `${schema.display_name} (${schema.name})\n${schema.description ?? ""}` : null;
  for (let i = 0; i < (node.inputs?.length ?? 0); i++) {
    const [sx, sy] = node.getConnectionPos(true, i);
    if (Math.hypot(sx - x, sy - y) < 10 || (lx < node.size[0] / 2 && Math.abs(sy - y) < LG.NODE_SLOT_HEIGHT / 2 && lx < 90)) {
      return describeInput(schema, node.inputs[i].name) ?? `${node.inputs[i].name}: ${node.inputs[i].type}`;
    }
  }
  for (let i = 0; i < (node.outputs?.length ?? 0); i++) {
    const [sx, sy] = node.getConnectionPos(false, i);
    if (Math.hypot(sx - x, sy - y) < 10 || (lx > node.size[0] - 90 && Math.abs(sy - y) < LG.NODE_SLOT_HEIGHT / 2)) {
      const out = node.outputs[i];
      const tip = schema?.output_tooltips?.[i];
      return `${out.name}: ${out.type}${tip ? `\n${tip}` : ""}`;
    }
  }
  for (const w of node.widgets ?? []) {
    if (w.last_y === undefined) continue;
    const h = w.computeSize ? w.computeSize(node.size[0])[1] : LG.NODE_WIDGET_HEIGHT;
    if (ly >= w.last_y && ly <= w.last_y + h) {
      if (w.inputName) return describeInput(schema, w.inputName);
      return w.tooltip ?? null;
    }
  }
  return null;
}

/** Shows tooltips for `canvas` (an LGraphCanvas) in the element `box`. */
export function installTooltips(canvas, box) {
  let timer = null;
  let shownFor = null;
  const hide = () => {
    box.hidden = true;
    shownFor = null;
  };
  canvas.canvas.addEventListener("pointermove", (e) => {
    clearTimeout(timer);
    if (e.buttons) return hide();
    const [x, y] = canvas.convertEventToCanvasOffset(e);
    const text = canvas.graph ? tooltipAt(canvas.graph, x, y) : null;
    if (!text) return hide();
    if (text === shownFor) return;
    hide();
    timer = setTimeout(() => {
      box.textContent = text;
      box.style.left = `${Math.min(e.clientX + 14, window.innerWidth - 340)}px`;
      box.style.top = `${e.clientY + 16}px`;
      box.hidden = false;
      shownFor = text;
    }, 450);
  });
  canvas.canvas.addEventListener("pointerleave", () => {
    clearTimeout(timer);
    hide();
  });
  canvas.canvas.addEventListener("pointerdown", () => {
    clearTimeout(timer);
    hide();
  });
}
