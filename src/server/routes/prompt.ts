/**
 * `POST /prompt`: queue a prompt given in the API format or as an editor workflow (converted by the
 * same converter the CLI uses), after validating the whole graph. `GET /prompt`: queue size.
 */
import { randomUUID } from "node:crypto";
import { Router } from "express";
import { editorToApi, isEditorWorkflow } from "../../graph/convert.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../../graph/json-depth.js";
import type { ApiPrompt } from "../../graph/types.js";
import type { ServerContext } from "../context.js";
import { errorBody } from "../http-error.js";

/** The body of `POST /prompt`. */
export interface PromptRequest {
  /** API prompt, or an editor workflow. */
  prompt?: unknown;
  /** The editor workflow, embedded into saved PNGs (taken from `prompt` when that is a workflow). */
  workflow?: unknown;
  client_id?: string;
  extra_data?: Record<string, unknown>;
  /** Queue in front of the pending prompts. */
  front?: boolean;
}

/** The routes. */
export function promptRoutes(ctx: ServerContext): Router {
  const r = Router();

  r.get("/prompt", (_req, res) => {
    res.json({ exec_info: { queue_remaining: ctx.store.remaining() } });
  });

  r.post("/prompt", (req, res) => {
    const body = (req.body ?? {}) as PromptRequest;
    if (body === null || typeof body !== "object" || body.prompt === undefined) {
      res.status(400).json({ ...errorBody("no_prompt", "the request has no 'prompt' (an API prompt or an editor workflow)"), node_errors: {} });
      return;
    }
    // Everything queued is saved as JSON with the queue and history: a value nested thousands of levels
    // deep would make every later save overflow the stack (and the queue stop persisting).
    if (nestedDeeperThan(body)) {
      res.status(400).json({ ...errorBody("invalid_prompt", `the request nests values more than ${MAX_JSON_DEPTH} levels deep`), node_errors: {} });
      return;
    }
    const extra: Record<string, unknown> = body.extra_data && typeof body.extra_data === "object" ? { ...body.extra_data } : {};
    if (typeof body.client_id === "string") extra.client_id = body.client_id;
    const pnginfo: Record<string, unknown> = extra.extra_pnginfo && typeof extra.extra_pnginfo === "object" ? { ...(extra.extra_pnginfo as object) } : {};

    let prompt: ApiPrompt;
    if (isEditorWorkflow(body.prompt)) {
      try {
        prompt = editorToApi(body.prompt, ctx.registry);
      } catch (err) {
        res.status(400).json({ ...errorBody("invalid_workflow", `the workflow cannot be converted: ${(err as Error).message}`), node_errors: {} });
        return;
      }
      pnginfo.workflow ??= body.prompt;
    } else {
      prompt = body.prompt as ApiPrompt;
    }
    if (body.workflow !== undefined) pnginfo.workflow = body.workflow;
    if (Object.keys(pnginfo).length > 0) extra.extra_pnginfo = pnginfo;

    const check = ctx.executor.validate(prompt);
    if (!check.ok) {
      res.status(400).json({
        error: check.error ?? { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation", details: "" },
        node_errors: check.node_errors,
      });
      return;
    }
    const item = ctx.store.enqueue({ prompt_id: randomUUID(), prompt, extra_data: extra, outputs_to_execute: check.outputs }, body.front === true);
    ctx.worker.broadcastStatus();
    ctx.worker.kick();
    res.json({ prompt_id: item.prompt_id, number: item.number, node_errors: {} });
  });

  return r;
}
