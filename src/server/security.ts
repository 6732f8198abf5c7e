/**
 * Request guards: the Host check against DNS rebinding, the Origin/Fetch-Metadata check against
 * cross-site requests (forms, fetches and — since browsers apply no CORS to them — WebSockets), and
 * the access token required when the server listens beyond the loopback interface.
 */
import type { IncomingMessage } from "node:http";
import { timingSafeEqual, randomBytes } from "node:crypto";
import net from "node:net";
import os from "node:os";

/** Name of the cookie that carries the access token for the browser editor. */
export const TOKEN_COOKIE = "glide_studio_token";

/** True for loopback addresses and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (net.isIPv6(h)) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}

/** A fresh random access token (URL-safe). */
export function generateToken(): string {
  return randomBytes(24).toString("base64url");
}

/** What the guards need to know about how the server listens. */
export interface GuardConfig {
  /** The address the server is bound to (`127.0.0.1`, `0.0.0.0`, `192.168.1.5`, …). */
  listen: string;
  /** Access token; undefined means no token is required (loopback only). */
  token?: string;
  /** Extra host names accepted in the Host header (e.g. a reverse proxy's name). */
  allowedHosts?: string[];
}

/** Outcome of a guard: null when allowed, else the status and a message for the user. */
export type GuardVerdict = null | { status: number; message: string };

/** Splits a Host header value into host name and port. */
export function parseHostHeader(value: string | undefined): { hostname: string; port: string } | null {
  if (!value) return null;
  try {
    const u = new URL(`http://${value}`);
    if (u.username || u.password || u.pathname !== "/") return null;
    return { hostname: u.hostname.replace(/^\[|\]$/g, "").toLowerCase(), port: u.port };
  } catch {
    return null;
  }
}

/** Host names a browser may legitimately use to reach this server. */
function hostAllowed(hostname: string, cfg: GuardConfig): boolean {
  if (isLoopbackHost(hostname)) return true;
  const listen = cfg.listen.replace(/^\[|\]$/g, "").toLowerCase();
  if (hostname === listen) return true;
  if (cfg.allowedHosts?.some((h) => h.toLowerCase() === hostname)) return true;
  // A loopback-only server is reached by loopback names only: anything else is a rebinding attempt.
  if (isLoopbackHost(listen)) return false;
  // A wildcard bind is reached by any of the machine's IP literals or its own host name; the access
  // token (always required off loopback) protects it from rebinding to other names.
  if (listen === "0.0.0.0" || listen === "::") {
    if (net.isIP(hostname)) return true;
    const own = os.hostname().toLowerCase();
    return hostname === own || hostname === `${own}.local`;
  }
  return false;
}

/**
 * The Host and Origin checks for one request (HTTP or WebSocket upgrade). Cross-site requests are
 * refused whatever their method: an `Origin` must name this very host, and `Sec-Fetch-Site:
 * cross-site` is refused. Requests without an Origin (scripts, curl, same-origin GETs) pass.
 */
export function checkHostAndOrigin(req: IncomingMessage, cfg: GuardConfig): GuardVerdict {
  const host = parseHostHeader(req.headers.host);
  if (!host) return { status: 400, message: "missing or malformed Host header" };
  if (!hostAllowed(host.hostname, cfg)) {
    return {
      status: 403,
      message: `host '${host.hostname}' is not allowed (DNS rebinding protection); use 127.0.0.1 or localhost, or start the server with --allow-host ${host.hostname}`,
    };
  }
  const fetchSite = req.headers["sec-fetch-site"];
  if (fetchSite === "cross-site") return { status: 403, message: "cross-site requests are refused" };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return { status: 403, message: `cross-origin request refused (Origin: ${origin})` };
    }
    const originHost = o.host.toLowerCase();
    if (originHost !== String(req.headers.host).toLowerCase() || (o.protocol !== "http:" && o.protocol !== "https:")) {
      return { status: 403, message: `cross-origin request refused (Origin: ${origin})` };
    }
  }
  return null;
}

/** Compares two tokens in constant time. */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The token a request presents: `Authorization: Bearer <t>`, the editor's cookie, or a `token` query
 * parameter (for WebSocket clients and links).
 */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, "").trim();
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
  if (cookie) return cookie;
  const url = new URL(req.url ?? "/", "http://x");
  return url.searchParams.get("token") ?? undefined;
}

/** The token check: null when no token is configured or the request presents the right one. */
export function checkToken(req: IncomingMessage, cfg: GuardConfig): GuardVerdict {
  if (!cfg.token) return null;
  const t = presentedToken(req);
  if (t && tokensEqual(t, cfg.token)) return null;
  return {
    status: 401,
    message: "this server requires its access token: open the URL the server printed (…/?token=…), or send 'Authorization: Bearer <token>'",
  };
}
