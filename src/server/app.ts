/**
 * The express application: request guards (Host/Origin, access token), security headers, the API
 * routes, the web editor and the litegraph library it runs on (served from the installed package, so
 * the user never runs a build step).
 */
import path from "node:path";
import { createRequire } from "node:module";
import express, { type NextFunction, type Request, type Response } from "express";
import type { ServerContext } from "./context.js";
import { checkHostAndOrigin, checkToken, tokensEqual, TOKEN_COOKIE, type GuardConfig } from "./security.js";
import { HttpError, errorBody } from "./http-error.js";
import { infoRoutes } from "./routes/info.js";
import { promptRoutes } from "./routes/prompt.js";
import { queueRoutes } from "./routes/queue.js";
import { fileRoutes } from "./routes/files.js";
import { workflowRoutes } from "./routes/workflows.js";

/** Folder of the installed litegraph.js package. */
function litegraphDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("litegraph.js/package.json"));
}

const CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** Builds the application for `ctx`, guarded by `guard`; `webDir` holds the editor. */
export function createApp(ctx: ServerContext, guard: GuardConfig, webDir: string): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", "strong");

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Content-Security-Policy", CSP);
    const verdict = checkHostAndOrigin(req, guard);
    if (verdict) {
      res.status(verdict.status).json(errorBody("forbidden", verdict.message));
      return;
    }
    if (guard.token) {
      // A page opened through the printed link (…/?token=…) gets the token as a strict cookie, so
      // the editor, its images and its WebSocket authenticate without the token in the address.
      const q = typeof req.query.token === "string" ? req.query.token : undefined;
      const isPage = req.method === "GET" && (req.path === "/" || req.path === "/index.html");
      if (q && isPage && tokensEqual(q, guard.token)) {
        res.cookie(TOKEN_COOKIE, q, { httpOnly: true, sameSite: "strict", path: "/" });
        const url = new URL(req.originalUrl, "http://x");
        url.searchParams.delete("token");
        res.redirect(303, url.pathname + url.search);
        return;
      }
      const denied = checkToken(req, guard);
      if (denied) {
        if (isPage) {
          res.status(401).type("text/plain").send(`${denied.message}\n`);
        } else {
          res.status(401).json(errorBody("unauthorized", denied.message));
        }
        return;
      }
    }
    next();
  });

  app.use(express.json({ limit: "8mb" }));

  for (const routes of [infoRoutes, promptRoutes, queueRoutes, fileRoutes, workflowRoutes]) {
    const router = routes(ctx);
    app.use(router);
    app.use("/api", router); // the same API under /api/, as newer node-graph front ends call it
  }

  const lg = litegraphDir();
  app.use("/lib/litegraph", express.static(path.join(lg, "build"), { index: false }));
  app.use("/lib/litegraph/css", express.static(path.join(lg, "css"), { index: false }));
  app.use(express.static(webDir, { index: "index.html" }));

  app.use((req: Request, res: Response) => {
    res.status(404).json(errorBody("not_found", `no route ${req.method} ${req.path}`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json(errorBody(err.type, err.message, err.details));
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === "entity.parse.failed") {
      res.status(400).json(errorBody("bad_json", `the request body is not valid JSON: ${e.message}`));
      return;
    }
    if (e?.type === "entity.too.large") {
      res.status(413).json(errorBody("too_large", "the request body is too large"));
      return;
    }
    ctx.log(`error in ${req.method} ${req.path}: ${(err as Error)?.stack ?? String(err)}`);
    res.status(500).json(errorBody("server_error", (err as Error)?.message ?? String(err)));
  });

  return app;
}
