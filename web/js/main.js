// The editor application: builds node types from /object_info, runs the litegraph canvas, queues
// the graph, and shows what the server reports (progress, previews, images, errors).

import { Api, ApiError } from "./api.js";
import { registerNodeTypes, resetRunState, schemaInputs } from "./node-types.js";
import { applyAfterRun, setComboValues } from "./widgets.js";
import { serializeWorkflow, checkWorkflow, workflowFromFile, WorkflowLoadError } from "./workflow.js";
import { openMaskEditor } from "./mask-editor.js";
import { installTooltips } from "./tooltips.js";
import { linkColor } from "./colors.js";

const LG = window.LiteGraph;
const STORAGE_KEY = "glide.workflow";
const NAME_KEY = "glide.workflowName";
// The text2im pipeline opens first: OpenAI's models when base.pt is in the models folder, else the
// bundled demo family, so a fresh install shows a graph that runs.
const DEFAULT_WORKFLOW = "text2im.json";
const DEMO_WORKFLOW = "demo/text2im.json";

const $ = (id) => document.getElementById(id);

class EditorApp {
  constructor() {
    this.api = new Api();
    this.objectInfo = {};
    this.graph = null;
    this.canvas = null;
    this.workflowName = "";
    this.lastProgressNode = null;
    this.previewUrl = null;
    /** prompt_id → "queued" | "running" | "success" | "error" | "interrupted" (read by tests too). */
    this.runs = new Map();
    this.runStarted = 0;
  }

  async start() {
    this.graph = new window.LGraph();
    this.canvas = new window.LGraphCanvas($("graph-canvas"), this.graph);
    this.configureCanvas();
    await this.loadNodeTypes();
    this.wireToolbar();
    this.wireSocket();
    this.wireFiles();
    installTooltips(this.canvas, $("tooltip"));
    this.api.connect();
    await this.restoreWorkflow();
    setInterval(() => this.autosave(), 1000);
    window.addEventListener("beforeunload", () => this.autosave());
    document.body.dataset.ready = "true";
  }

  configureCanvas() {
    // litegraph 0.7 reads an unset DEFAULT_GROUP_FONT_SIZE when drawing group titles (so they vanish).
    LG.DEFAULT_GROUP_FONT_SIZE ??= LG.DEFAULT_GROUP_FONT;
    const c = this.canvas;
    c.render_canvas_border = false;
    c.show_info = false;
    c.allow_searchbox = true;
    c.default_connection_color_byType = {};
    c.default_connection_color_byTypeOff = {};
    const resize = () => c.resize($("canvas-host").clientWidth, $("canvas-host").clientHeight);
    window.addEventListener("resize", resize);
    resize();
  }

  /** Registers node classes from /object_info and colours their link types. */
  async loadNodeTypes() {
    this.objectInfo = await this.api.objectInfo();
    registerNodeTypes(this.objectInfo, this.nodeHooks());
    const types = new Set();
    for (const s of Object.values(this.objectInfo)) {
      s.output.forEach((t) => types.add(t));
      for (const { spec } of schemaInputs(s)) if (typeof spec[0] === "string") types.add(spec[0]);
    }
    for (const t of types) {
      const color = linkColor(t);
      window.LGraphCanvas.link_type_colors[t] = color;
      this.canvas.default_connection_color_byType[t] = color;
      this.canvas.default_connection_color_byTypeOff[t] = color;
    }
  }

  /** Services the generated node classes call. */
  nodeHooks() {
    return {
      editText: (widget, node) => setTimeout(() => this.editText(widget, node), 0),
      uploadImage: (node, name) => this.pickAndUpload(node, name),
      paintMask: (node, name) => this.paintMask(node, name).catch((e) => this.showErrors("Mask painter", [{ message: e.message }])),
      carriesMask: (node) => {
        const out = node.constructor.schema?.output ?? [];
        return out.includes("IMAGE") && out.includes("MASK");
      },
      onChoice: (node, name) => {
        if (this.imageInputOf(node) === name) this.showInputImage(node);
      },
      onNodeConfigured: (node) => {
        if (this.imageInputOf(node)) this.showInputImage(node);
      },
    };
  }

  // ---------- workflows ----------

  async restoreWorkflow() {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved) {
      try {
        this.loadWorkflow(checkWorkflow(JSON.parse(saved), "the last session's workflow"), localStorage.getItem(NAME_KEY) ?? "");
        return;
      } catch (err) {
        console.warn("could not restore the last workflow:", err);
      }
    }
    const checkpoints = await this.api.checkpoints().catch(() => []);
    const first = !checkpoints.includes("base.pt") && checkpoints.includes("demo/base.pt") ? DEMO_WORKFLOW : DEFAULT_WORKFLOW;
    await this.openShipped(first).catch(() => {});
  }

  async openShipped(name) {
    const data = await this.api.workflow(name);
    this.loadWorkflow(checkWorkflow(data, name), name);
  }

  /** Replaces the graph with `data` (an editor workflow). */
  loadWorkflow(data, name) {
    this.clearErrors();
    const copy = structuredClone(data);
    this.graph.configure(copy);
    const missing = this.graph._nodes.filter((n) => n.has_errors).map((n) => `node ${n.id}: unknown type "${n.last_serialization?.type ?? n.type}"`);
    for (const n of this.graph._nodes) if (!n.glide) n.glide = { running: false, progress: null, preview: null, images: [], errors: [], cached: false };
    this.workflowName = name ?? "";
    $("workflow-name").textContent = this.workflowName;
    const ds = data.extra?.ds;
    if (ds && Array.isArray(ds.offset) && typeof ds.scale === "number") {
      this.canvas.ds.offset = [...ds.offset];
      this.canvas.ds.scale = ds.scale;
    } else {
      this.fitView();
    }
    this.canvas.setDirty(true, true);
    if (missing.length) this.showErrors("Some nodes are not available on this server", missing.map((m) => ({ message: m })));
    this.autosave();
  }

  /** The current graph as an editor workflow (with the view position). */
  currentWorkflow() {
    const wf = serializeWorkflow(this.graph);
    wf.extra = { ...(wf.extra ?? {}), ds: { scale: this.canvas.ds.scale, offset: [...this.canvas.ds.offset] } };
    return wf;
  }

  autosave() {
    if (!this.graph) return;
    const text = JSON.stringify(this.currentWorkflow());
    if (text !== this.lastSaved) {
      localStorage.setItem(STORAGE_KEY, text);
      localStorage.setItem(NAME_KEY, this.workflowName);
      this.lastSaved = text;
    }
  }

  fitView() {
    const nodes = this.graph._nodes;
    const c = this.canvas;
    if (!nodes.length) return;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const n of nodes) {
      x0 = Math.min(x0, n.pos[0]);
      y0 = Math.min(y0, n.pos[1] - LG.NODE_TITLE_HEIGHT);
      x1 = Math.max(x1, n.pos[0] + n.size[0]);
      y1 = Math.max(y1, n.pos[1] + n.size[1]);
    }
    const cw = c.canvas.width;
    const ch = c.canvas.height;
    const scale = Math.min(cw / (x1 - x0 + 80), ch / (y1 - y0 + 80), 1.1);
    c.ds.scale = scale;
    c.ds.offset = [(cw / scale - (x1 - x0)) / 2 - x0, (ch / scale - (y1 - y0)) / 2 - y0];
  }

  download() {
    const wf = this.currentWorkflow();
    const name = (this.workflowName || "workflow.json").replace(/(\.json)?$/, ".json");
    const url = URL.createObjectURL(new Blob([JSON.stringify(wf, null, 2)], { type: "application/json" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async loadFile(file) {
    try {
      this.loadWorkflow(await workflowFromFile(file), file.name.replace(/\.png$/i, ".json"));
      this.toast(`loaded ${file.name}`);
    } catch (err) {
      this.showErrors(err instanceof WorkflowLoadError ? "Cannot load this file" : "Load failed", [{ message: err.message }]);
    }
  }

  // ---------- queue and run state ----------

  async queue() {
    document.activeElement?.blur?.(); // commits an open text box
    this.clearErrors();
    const wf = this.currentWorkflow();
    try {
      const res = await this.api.queuePrompt(wf);
      this.runs.set(res.prompt_id, "queued");
      for (const n of this.graph._nodes) applyAfterRun(n);
      this.canvas.setDirty(true, false);
      this.setStatus(`queued #${res.number}`);
    } catch (err) {
      if (err instanceof ApiError && err.body?.error) this.showValidation(err.body);
      else this.showErrors("Cannot queue", [{ message: err.message }]);
    }
  }

  node(id) {
    return id === null || id === undefined ? null : this.graph.getNodeById(Number(id));
  }

  wireSocket() {
    const on = (type, fn) => this.api.addEventListener(type, (e) => fn(e.detail));
    on("connection", (up) => $("connection").classList.toggle("on", up));
    on("status", (d) => {
      const n = d?.status?.exec_info?.queue_remaining ?? 0;
      $("queue-size").textContent = `queue ${n}`;
      $("queue-size").classList.toggle("busy", n > 0);
    });
    on("execution_start", (d) => {
      this.runs.set(d.prompt_id, "running");
      this.runStarted = performance.now();
      this.clearErrors();
      for (const n of this.graph._nodes) if (n.glide) resetRunState(n);
      this.setStatus("running");
      this.canvas.setDirty(true, false);
    });
    on("execution_cached", (d) => {
      for (const id of d.nodes ?? []) {
        const n = this.node(id);
        if (n?.glide) n.glide.cached = true;
      }
    });
    on("executing", (d) => {
      for (const n of this.graph._nodes) {
        if (n.glide?.running) {
          n.glide.running = false;
          n.glide.progress = null;
        }
      }
      const n = this.node(d.node);
      if (n?.glide) {
        n.glide.running = true;
        this.setStatus(`running ${n.title}`);
      }
      this.canvas.setDirty(true, false);
    });
    on("progress", (d) => {
      const n = this.node(d.node);
      this.lastProgressNode = n;
      if (n?.glide) {
        n.glide.progress = { value: d.value, max: d.max };
        this.setStatus(`running ${n.title} ${d.value}/${d.max}`);
      }
      this.canvas.setDirty(true, false);
    });
    on("preview", (blob) => {
      const n = this.lastProgressNode;
      if (!n?.glide) return;
      const url = URL.createObjectURL(blob);
      const img = new Image();
      img.onload = () => {
        if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
        this.previewUrl = url;
        n.glide.preview = img;
        this.ensureImageRoom(n);
        this.canvas.setDirty(true, false);
      };
      img.src = url;
    });
    on("executed", (d) => {
      const n = this.node(d.node);
      const refs = d.output?.images ?? [];
      if (!n?.glide || !refs.length) return;
      n.glide.images = refs.map((ref) => this.loadImage(this.api.viewUrl(ref), n));
      n.glide.preview = null;
      n.glide.outputRefs = refs;
      this.ensureImageRoom(n);
    });
    on("execution_success", (d) => {
      this.runs.set(d.prompt_id, "success");
      this.setStatus(`done in ${((performance.now() - this.runStarted) / 1000).toFixed(1)} s`);
    });
    on("execution_interrupted", (d) => {
      this.runs.set(d.prompt_id, "interrupted");
      this.setStatus("interrupted");
      for (const n of this.graph._nodes) if (n.glide) n.glide.running = false;
      this.canvas.setDirty(true, false);
    });
    on("execution_error", (d) => {
      this.runs.set(d.prompt_id, "error");
      this.setStatus("error");
      const where = d.node_id ? { nodeId: d.node_id } : {};
      this.showErrors(`${d.node_type ?? "The prompt"} failed`, [{ ...where, message: d.exception_message ?? d.message, details: d.exception_type }]);
      for (const n of this.graph._nodes) if (n.glide) n.glide.running = false;
    });
  }

  setStatus(text) {
    $("run-status").textContent = text;
  }

  // ---------- images ----------

  loadImage(url, node) {
    const img = new Image();
    img.onload = () => {
      if (node) this.ensureImageRoom(node);
      this.canvas.setDirty(true, false);
    };
    img.src = url;
    return img;
  }

  /** Grows a node so its image area is usable. */
  ensureImageRoom(node) {
    const top = node.contentTop();
    if (node.size[1] < top + 150) node.setSize([Math.max(node.size[0], 280), top + 260]);
  }

  /** The name of the node's input that has an upload button (LoadImage), if any. */
  imageInputOf(node) {
    const schema = node.constructor.schema;
    if (!schema) return null;
    return schemaInputs(schema).find(({ spec }) => spec[1]?.image_upload)?.name ?? null;
  }

  refOf(value) {
    const parts = String(value).split("/");
    return { filename: parts.pop(), subfolder: parts.join("/"), type: "input" };
  }

  showInputImage(node) {
    const name = this.imageInputOf(node);
    const w = node.widgets?.find((x) => x.inputName === name);
    if (!w || !w.value) {
      node.glide.images = [];
      return;
    }
    node.glide.images = [this.loadImage(this.api.viewUrl(this.refOf(w.value)), node)];
  }

  pickAndUpload(node, name) {
    const input = $("image-input");
    input.value = "";
    input.onchange = async () => {
      const file = input.files?.[0];
      if (file) await this.uploadInto(node, name, file);
    };
    input.click();
  }

  async uploadInto(node, name, file) {
    try {
      const res = await this.api.uploadImage(file);
      this.selectFile(node, name, res.subfolder ? `${res.subfolder}/${res.name}` : res.name);
      this.toast(`uploaded ${res.name}`);
    } catch (err) {
      this.showErrors("Upload failed", [{ nodeId: node.id, input: name, message: err.message }]);
    }
  }

  selectFile(node, name, value) {
    const w = node.widgets.find((x) => x.inputName === name);
    if (!w.options.values.includes(value)) setComboValues(w, [...w.options.values, value].sort());
    w.value = value;
    this.showInputImage(node);
    this.canvas.setDirty(true, false);
  }

  async paintMask(node, name) {
    const w = node.widgets.find((x) => x.inputName === name);
    if (!w?.value) throw new Error("choose or upload an image first");
    const ref = this.refOf(w.value);
    const blob = await openMaskEditor({ imageUrl: this.api.viewUrl(ref), title: `Mask for ${ref.filename}` });
    if (!blob) return;
    const stem = ref.filename.replace(/\.[^.]*$/, "").replace(/-mask$/, "");
    const res = await this.api.uploadMask(blob, `${stem}-mask.png`, ref, ref.subfolder);
    this.selectFile(node, name, res.subfolder ? `${res.subfolder}/${res.name}` : res.name);
    this.toast(`mask saved as ${res.name}`);
  }

  // ---------- text editing ----------

  editText(widget, node) {
    const c = this.canvas;
    const scale = c.ds.scale;
    const h = widget.computeSize(node.size[0])[1];
    const [x, y] = c.convertOffsetToCanvas([node.pos[0] + 15, node.pos[1] + widget.last_y]);
    const rect = c.canvas.getBoundingClientRect();
    const ta = Object.assign(document.createElement("textarea"), { className: "text-editor", value: widget.value, spellcheck: false });
    Object.assign(ta.style, {
      left: `${rect.left + x}px`,
      top: `${rect.top + y}px`,
      width: `${Math.max((node.size[0] - 30) * scale, 220)}px`,
      height: `${Math.max(h * scale, 110)}px`,
    });
    let cancelled = false;
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        cancelled = true;
        ta.blur();
      }
      e.stopPropagation(); // keys typed here are text, not canvas shortcuts
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        ta.blur();
        this.queue();
      }
    });
    ta.addEventListener("blur", () => {
      if (!cancelled && ta.value !== widget.value) {
        widget.value = ta.value;
        this.graph._version++;
      }
      ta.remove();
      c.setDirty(true, false);
    });
    document.body.append(ta);
    ta.focus();
  }

  // ---------- errors ----------

  clearErrors() {
    $("error-panel").hidden = true;
    for (const n of this.graph?._nodes ?? []) if (n.glide) n.glide.errors = [];
    this.canvas?.setDirty(true, false);
  }

  /** Shows `items` ({nodeId?, input?, message, details?}) in the panel and on their nodes. */
  showErrors(title, items) {
    $("error-title").textContent = title;
    const list = $("error-list");
    list.replaceChildren();
    for (const item of items) {
      const node = this.node(item.nodeId);
      const li = document.createElement("li");
      if (node) {
        const where = document.createElement("span");
        where.className = "where";
        where.textContent = `${node.title} #${node.id}${item.input ? ` · ${item.input}` : ""}: `;
        li.append(where);
        node.glide ??= { running: false, progress: null, preview: null, images: [], errors: [], cached: false };
        node.glide.errors.push({ input: item.input, message: item.message });
        li.onclick = () => {
          this.canvas.centerOnNode(node);
          this.canvas.selectNode(node);
          this.canvas.setDirty(true, true);
        };
      }
      li.append(document.createTextNode(item.message));
      if (item.details) {
        const d = document.createElement("span");
        d.className = "details";
        d.textContent = item.details;
        li.append(d);
      }
      list.append(li);
    }
    $("error-panel").hidden = false;
    this.canvas.setDirty(true, false);
  }

  /** Shows a validation report from POST /prompt. */
  showValidation(body) {
    const items = [];
    for (const [id, ne] of Object.entries(body.node_errors ?? {})) {
      for (const e of ne.errors ?? []) items.push({ nodeId: id, input: e.extra_info?.input_name, message: e.message, details: e.details });
    }
    if (!items.length) items.push({ message: body.error.message, details: body.error.details });
    this.showErrors(body.error.message || "The graph is not valid", items);
  }

  toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (t.hidden = true), 2500);
  }

  // ---------- toolbar, keys, files ----------

  wireToolbar() {
    $("btn-queue").onclick = () => this.queue();
    $("btn-interrupt").onclick = () => this.api.interrupt().catch((e) => this.toast(e.message));
    $("btn-save").onclick = () => this.download();
    $("btn-load").onclick = () => {
      $("file-input").value = "";
      $("file-input").click();
    };
    $("file-input").onchange = () => {
      const f = $("file-input").files?.[0];
      if (f) this.loadFile(f);
    };
    $("btn-refresh").onclick = () => this.refresh();
    $("error-close").onclick = () => this.clearErrors();
    const list = $("workflow-list");
    $("btn-workflows").onclick = async (e) => {
      e.stopPropagation();
      if (!list.hidden) return (list.hidden = true);
      list.replaceChildren();
      let names = [];
      try {
        names = await this.api.workflows();
      } catch (err) {
        this.toast(err.message);
      }
      for (const name of names) {
        const li = document.createElement("li");
        li.textContent = name.replace(/\.json$/, "");
        li.dataset.name = name;
        li.onclick = () => {
          list.hidden = true;
          this.openShipped(name).catch((err) => this.showErrors(`Cannot open ${name}`, [{ message: err.message }]));
        };
        list.append(li);
      }
      if (!names.length) list.append(Object.assign(document.createElement("li"), { className: "empty", textContent: "no workflows" }));
      list.hidden = false;
    };
    document.addEventListener("click", () => (list.hidden = true));
    window.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        this.queue();
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        this.download();
      }
    });
  }

  /** Reloads node types and file lists (new checkpoints, uploads) without touching the graph. */
  async refresh() {
    await this.loadNodeTypes();
    for (const n of this.graph._nodes) {
      const schema = this.objectInfo[n.type];
      if (!schema) continue;
      for (const { name, spec } of schemaInputs(schema)) {
        const w = n.widgets?.find((x) => x.inputName === name);
        if (w && Array.isArray(spec[0])) setComboValues(w, spec[0]);
      }
    }
    this.canvas.setDirty(true, true);
    this.toast("node types and file lists refreshed");
  }

  wireFiles() {
    document.addEventListener("dragover", (e) => e.preventDefault());
    document.addEventListener(
      "drop",
      (e) => {
        e.preventDefault();
        e.stopPropagation(); // litegraph would try to make nodes from the file
        const file = e.dataTransfer?.files?.[0];
        if (!file) return;
        // An image dropped on a LoadImage node is uploaded into it; anything else is a workflow.
        const [x, y] = this.canvas.convertEventToCanvasOffset(e);
        const node = this.graph.getNodeOnPos(x, y);
        const input = node && this.imageInputOf(node);
        if (input && /^image\/(png|jpeg)$/.test(file.type)) {
          this.uploadInto(node, input, file);
          return;
        }
        this.loadFile(file);
      },
      true,
    );
  }
}

const app = new EditorApp();
window.glideApp = app;
app.start().catch((err) => {
  console.error(err);
  document.body.dataset.ready = "error";
  app.showErrors?.("The editor could not start", [{ message: err.message }]);
});
