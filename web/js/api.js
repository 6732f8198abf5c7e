// The server API as the editor uses it: JSON routes, uploads, and the WebSocket event stream
// (re-dispatched as DOM events named after the message type; binary preview frames as "preview").

/** Binary frame event type and image formats (see src/server/preview.ts). */
const PREVIEW_IMAGE_EVENT = 1;
const PREVIEW_MIME = { 1: "image/jpeg", 2: "image/png" };

/** A failed request: `status`, and the server's JSON error body in `body` when there is one. */
export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export class Api extends EventTarget {
  constructor() {
    super();
    // One id per browser tab, kept across reloads so a reconnecting tab gets its own progress.
    // (crypto.randomUUID exists only in secure contexts; a LAN address over http is not one.)
    const fresh = () => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
    this.clientId = sessionStorage.getItem("glide.clientId") ?? fresh();
    sessionStorage.setItem("glide.clientId", this.clientId);
    this.socket = null;
    this.connected = false;
  }

  async request(path, { method = "GET", json, body } = {}) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (body !== undefined) {
      init.body = body;
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const message = data?.error?.message ?? `${method} ${path} failed: HTTP ${res.status}`;
      throw new ApiError(message, res.status, data);
    }
    return data;
  }

  objectInfo() {
    return this.request("/object_info");
  }

  workflows() {
    return this.request("/workflows");
  }

  /** Checkpoint names LoadCheckpoint offers (the models folder's and the bundled demo models). */
  checkpoints() {
    return this.request("/models/checkpoints");
  }

  workflow(name) {
    return this.request(`/workflows/${encodeURIComponent(name)}`);
  }

  /** Queues an editor workflow; rejects with ApiError (body = validation report) when invalid. */
  queuePrompt(workflow) {
    return this.request("/prompt", { method: "POST", json: { prompt: workflow, client_id: this.clientId } });
  }

  interrupt() {
    return this.request("/interrupt", { method: "POST", json: {} });
  }

  queue() {
    return this.request("/queue");
  }

  /** Uploads an image file into the input folder; resolves {name, subfolder, type}. */
  uploadImage(file, { overwrite = false } = {}) {
    const form = new FormData();
    form.append("image", file, file.name);
    form.append("type", "input");
    form.append("overwrite", String(overwrite));
    return this.request("/upload/image", { method: "POST", body: form });
  }

  /** Uploads a painted mask (PNG blob whose alpha is the mask) for the input image `ref`. */
  uploadMask(blob, name, ref, subfolder = "") {
    const form = new FormData();
    form.append("image", blob, name);
    form.append("subfolder", subfolder);
    form.append("original_ref", JSON.stringify(ref));
    form.append("overwrite", "true");
    return this.request("/upload/mask", { method: "POST", body: form });
  }

  /** URL of an image served by /view. */
  viewUrl({ filename, subfolder = "", type = "output" }, bust = true) {
    const q = new URLSearchParams({ filename, subfolder, type });
    if (bust) q.set("t", String(Date.now()));
    return `/view?${q}`;
  }

  /** Opens the WebSocket and keeps it open (reconnects with back-off). */
  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws?clientId=${this.clientId}`);
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    ws.addEventListener("open", () => {
      this.connected = true;
      this.dispatchEvent(new CustomEvent("connection", { detail: true }));
    });
    ws.addEventListener("close", () => {
      const was = this.connected;
      this.connected = false;
      if (was) this.dispatchEvent(new CustomEvent("connection", { detail: false }));
      setTimeout(() => this.connect(), 1000);
    });
    ws.addEventListener("message", (ev) => {
      if (ev.data instanceof ArrayBuffer) {
        const view = new DataView(ev.data);
        if (ev.data.byteLength < 8 || view.getUint32(0) !== PREVIEW_IMAGE_EVENT) return;
        const mime = PREVIEW_MIME[view.getUint32(4)] ?? "image/jpeg";
        this.dispatchEvent(new CustomEvent("preview", { detail: new Blob([ev.data.slice(8)], { type: mime }) }));
        return;
      }
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent(msg.type, { detail: msg.data }));
    });
  }
}
