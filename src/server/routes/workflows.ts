/** The editor's workflow menu: `GET /workflows` lists the workflow files, `GET /workflows/<name>` serves one. */
import { promises as fs } from "node:fs";
import { Router } from "express";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http-error.js";
import { resolveExistingInside, UnsafePathError } from "../safe-path.js";

const NAME = /^[\w][\w .()-]*\.json$/;

/** The routes. */
export function workflowRoutes(ctx: ServerContext): Router {
  const r = Router();

  r.get("/workflows", async (_req, res) => {
    let names: string[] = [];
    try {
      names = (await fs.readdir(ctx.paths.workflows)).filter((n) => NAME.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    res.json(names);
  });

  r.get("/workflows/:name", async (req, res) => {
    const name = req.params.name;
    if (!NAME.test(name)) throw new HttpError(400, `workflow names end in .json and use plain characters, got "${name}"`, "bad_path");
    let file: string;
    try {
      file = await resolveExistingInside(ctx.paths.workflows, "", name);
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
