/**
 * The WebSocket endpoint `/ws?clientId=…`: JSON messages `{type, data}` and binary preview frames.
 * Messages about a prompt go to the client that queued it when that client is connected (as
 * node-graph clients expect), otherwise to every client; `status` goes to everyone.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import { WebSocketServer, WebSocket } from "ws";
import { checkHostAndOrigin, checkToken, type GuardConfig } from "./security.js";

/** Options of {@link WsHub}. */
export interface WsHubOptions {
  guard: GuardConfig;
  /** Called for each new connection with its client id (to greet it with the queue status). */
  onConnect?: (clientId: string) => void;
  /** Largest message accepted from a client (clients only ever send small control messages). */
  maxPayload?: number;
}

/** The set of connected WebSocket clients. */
export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<string, Set<WebSocket>>();

  constructor(private readonly opts: WsHubOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 64 * 1024 });
  }

  /** Handles HTTP upgrades of `server` on the path `/ws` (after the Host, Origin and token checks). */
  attach(server: Server): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname !== "/ws") return refuse(socket, 404, "not found");
      const verdict = checkHostAndOrigin(req, this.opts.guard) ?? checkToken(req, this.opts.guard);
      if (verdict) return refuse(socket, verdict.status, verdict.message);
      const requested = url.searchParams.get("clientId");
      const clientId = requested && /^[\w-]{1,128}$/.test(requested) ? requested : randomUUID().replace(/-/g, "");
      this.wss.handleUpgrade(req, socket, head, (ws) => this.register(clientId, ws));
    });
  }

  private register(clientId: string, ws: WebSocket): void {
    let set = this.clients.get(clientId);
    if (!set) this.clients.set(clientId, (set = new Set()));
    set.add(ws);
    ws.on("close", () => {
      set.delete(ws);
      if (set.size === 0 && this.clients.get(clientId) === set) this.clients.delete(clientId);
    });
    ws.on("error", () => ws.terminate());
    this.opts.onConnect?.(clientId);
  }

  /** Number of open connections. */
  connectionCount(): number {
    let n = 0;
    for (const set of this.clients.values()) n += set.size;
    return n;
  }

  /** Sends `{type, data}` to `clientId` if connected, else to everyone. */
  send(type: string, data: Record<string, unknown>, clientId?: string): void {
    this.deliver(JSON.stringify({ type, data }), clientId);
  }

  /** Sends `{type, data}` to every client. */
  broadcast(type: string, data: Record<string, unknown>): void {
    this.deliver(JSON.stringify({ type, data }), undefined);
  }

  /** Sends a binary frame to `clientId` if connected, else to everyone. */
  sendBinary(frame: Buffer, clientId?: string): void {
    this.deliver(frame, clientId);
  }

  private deliver(payload: string | Buffer, clientId: string | undefined): void {
    const target = clientId ? this.clients.get(clientId) : undefined;
    const sockets = target && target.size > 0 ? target : [...this.clients.values()].flatMap((s) => [...s]);
    for (const ws of sockets) {
      // A client that cannot keep up with previews is skipped rather than buffered without bound.
      if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 8 * 1024 * 1024) ws.send(payload);
    }
  }

  /** Closes every connection. */
  close(): void {
    for (const set of this.clients.values()) for (const ws of set) ws.terminate();
    this.clients.clear();
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const reason = status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : status === 404 ? "Not Found" : "Bad Request";
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}
