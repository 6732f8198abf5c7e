/** Read-only information routes: `/object_info`, `/system_stats`, `/models`. */
import os from "node:os";
import { promises as fs } from "node:fs";
import path from "node:path";
import { Router } from "express";
import { objectInfo, nodeSchema } from "../../graph/schema.js";
import { listChoiceFiles, resolveChoiceFile } from "../../graph/inputs.js";
import { CHECKPOINT_FILES } from "../../nodes/files.js";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http-error.js";

/** The routes. */
export function infoRoutes(ctx: ServerContext): Router {
  const r = Router();

  // The node schema; file choice lists (checkpoints, input images) are read at each request.
  r.get("/object_info", (_req, res) => {
    res.json(objectInfo(ctx.registry, ctx.paths));
  });

  r.get("/object_info/:nodeClass", (req, res) => {
    const def = ctx.registry.get(req.params.nodeClass);
    if (!def) throw new HttpError(404, `unknown node type "${req.params.nodeClass}"`, "unknown_node_type");
    res.json({ [def.name]: nodeSchema(def, ctx.paths) });
  });

  r.get("/system_stats", (_req, res) => {
    const mem = process.memoryUsage();
    res.json({
      system: {
        os: process.platform,
        arch: process.arch,
        node_version: process.version,
        glide_studio_version: ctx.version,
        ram_total: os.totalmem(),
        ram_free: os.freemem(),
        process_rss: mem.rss,
        uptime_s: Math.round(process.uptime()),
      },
      devices: [{ name: "cpu", type: "cpu", index: 0, cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown" }],
      queue: { running: ctx.worker.runningPromptId(), pending: ctx.store.pending().length },
    });
  });

  // Checkpoints in the models folder and the bundled demo models, with sizes (what LoadCheckpoint offers).
  r.get("/models", async (_req, res) => {
    const names = listChoiceFiles(CHECKPOINT_FILES, ctx.paths);
    const checkpoints = await Promise.all(
      names.map(async (name) => {
        const st = await fs.stat(resolveChoiceFile(CHECKPOINT_FILES, ctx.paths, name));
        return { name, bytes: st.size, modified: st.mtime.toISOString() };
      }),
    );
    res.json({ folder: path.resolve(ctx.paths.models), checkpoints });
  });

  // ComfyUI-compatible folder listing: `/models/checkpoints` → file names.
  r.get("/models/:folder", (req, res) => {
    if (req.params.folder !== "checkpoints") throw new HttpError(404, `unknown model folder "${req.params.folder}" (known: checkpoints)`, "not_found");
    res.json(listChoiceFiles(CHECKPOINT_FILES, ctx.paths));
  });

  return r;
}
