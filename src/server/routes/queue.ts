/** Queue, history and interrupt routes, in the shapes node-graph clients use. */
import { Router } from "express";
import type { ServerContext } from "../context.js";
import type { QueueItem } from "../store.js";
import { HttpError } from "../http-error.js";

function queueTuple(item: QueueItem): unknown[] {
  return [item.number, item.prompt_id, item.prompt, item.extra_data, item.outputs_to_execute];
}

function idList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new HttpError(400, `${what} must be a list of prompt ids`);
  return value as string[];
}

/** The routes. */
export function queueRoutes(ctx: ServerContext): Router {
  const r = Router();

  r.get("/queue", (_req, res) => {
    const running = ctx.store.running();
    res.json({ queue_running: running ? [queueTuple(running)] : [], queue_pending: ctx.store.pending().map(queueTuple) });
  });

  // `{clear: true}` empties the pending queue; `{delete: [ids]}` removes pending prompts.
  r.post("/queue", (req, res) => {
    const body = (req.body ?? {}) as { clear?: unknown; delete?: unknown };
    if (body.clear === undefined && body.delete === undefined) throw new HttpError(400, "expected {clear: true} or {delete: [prompt ids]}");
    let removed = 0;
    if (body.clear === true) {
      removed += ctx.store.pending().length;
      ctx.store.clearPending();
    }
    if (body.delete !== undefined) removed += ctx.store.deletePending(idList(body.delete, "delete"));
    ctx.worker.broadcastStatus();
    res.json({ removed });
  });

  // Stops the running prompt within one sampling step; `{prompt_id}` only stops that prompt.
  r.post("/interrupt", (req, res) => {
    const promptId = (req.body ?? {}).prompt_id;
    if (promptId !== undefined && typeof promptId !== "string") throw new HttpError(400, "prompt_id must be a string");
    res.json({ interrupted: ctx.worker.interrupt(promptId) });
  });

  r.get("/history", (req, res) => {
    const raw = req.query.max_items;
    let max: number | undefined;
    if (raw !== undefined) {
      max = Number(raw);
      if (!Number.isInteger(max) || max < 0) throw new HttpError(400, `max_items must be a non-negative integer, got ${JSON.stringify(raw)}`);
    }
    res.json(ctx.store.history(max));
  });

  r.get("/history/:id", (req, res) => {
    const entry = ctx.store.historyEntry(req.params.id);
    res.json(entry ? { [req.params.id]: entry } : {});
  });

  // `{clear: true}` or `{delete: [ids]}`.
  r.post("/history", (req, res) => {
    const body = (req.body ?? {}) as { clear?: unknown; delete?: unknown };
    if (body.clear === undefined && body.delete === undefined) throw new HttpError(400, "expected {clear: true} or {delete: [prompt ids]}");
    if (body.clear === true) ctx.store.clearHistory();
    if (body.delete !== undefined) ctx.store.deleteHistory(idList(body.delete, "delete"));
    res.json({ ok: true });
  });

  return r;
}
