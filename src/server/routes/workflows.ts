/**
 * The editor's workflow menu: `GET /workflows` lists the workflow files (the folder's own, then one
 * sub-folder level as `<folder>/<file>`, e.g. `demo/text2im.json`); `GET /workflows/<name>` serves one
 * (the name URL-encoded).
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { Router } from "express";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http-error.js";
import { resolveExistingInside, UnsafePathError } from "../safe-path.js";

const PART = "[\\w][\\w .()-]*";
const FOLDER = new RegExp(`^${PART}$`);
const FILE = new RegExp(`^${PART}\\.json$`);
const NAME = new RegExp(`^(?:${PART}/)?${PART}\\.json$`);

/** Workflow files of the folder, then those of its sub-folders as `<folder>/<file>`. */
async function listWorkflows(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true });
  const own = entries.filter((e) => e.isFile() && FILE.test(e.name)).map((e) => e.name).sort();
  const nested: string[] = [];
  for (const dir of entries.filter((e) => e.isDirectory() && FOLDER.test(e.name))) {
    const files = await fs.readdir(path.join(root, dir.name), { withFileTypes: true });
    nested.push(...files.filter((f) => f.isFile() && FILE.test(f.name)).map((f) => `${dir.name}/${f.name}`));
  }
  return [...own, ...nested.sort()];
}

/** The routes. */
export function workflowRoutes(ctx: ServerContext): Router {
  const r = Router();

  r.get("/workflows", async (_req, res) => {
    let names: string[] = [];
    try {
      names = await listWorkflows(ctx.paths.workflows);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    res.json(names);
  });

  r.get("/workflows/:name", async (req, res) => {
    const name = req.params.name;
    if (!NAME.test(name)) throw new HttpError(400, `workflow names end in .json and use plain characters, got "${name}"`, "bad_path");
    const slash = name.indexOf("/");
    let file: string;
    try {
      file = await resolveExistingInside(ctx.paths.workflows, slash < 0 ? "" : name.slice(0, slash), name.slice(slash + 1));
    } catch (err) {
      if (err instanceof UnsafePathError) throw new HttpError(400, err.message, "bad_path");
      throw new HttpError(404, `no workflow named "${name}"`, "not_found");
    }
    const text = await fs.readFile(file, "utf8");
    try {
      res.json(JSON.parse(text));
    } catch (err) {
      throw new HttpError(500, `workflow "${name}" is not valid JSON: ${(err as Error).message}`, "bad_workflow");
    }
  });

  return r;
}
