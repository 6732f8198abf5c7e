/** `glide-studio serve`: the HTTP/WebSocket server and the web editor. */
import path from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../../server/index.js";
import { builtinRegistry } from "../../nodes/index.js";
import { defaultModelsDir, type CliCommand } from "../command.js";

const help = `Usage: glide-studio serve [--port 8188] [--listen [ADDR]] [--token T] [folders…]

Starts the server and the web editor (open the printed URL in a browser). The queue and the history
are kept in the data folder and survive a restart.

Options:
  --port N            port (default 8188; 0 picks a free one)
  --listen [ADDR]     address to listen on (default 127.0.0.1, this machine only); --listen alone
                      means 0.0.0.0 (every interface). Off loopback an access token is required.
  --token T           access token (generated and printed when listening off loopback without one)
  --allow-host NAME   also accept this Host name (e.g. behind a reverse proxy); repeatable
  --models-dir D      checkpoints and their <name>.json configs (default ./models, or $GLIDE_STUDIO_MODELS)
  --output-dir D      saved images (default ./output)
  --input-dir D       uploaded images and masks (default ./input)
  --data-dir D        queue, history and previews (default ./.glide-studio)
  --workflows-dir D   workflows offered in the editor's menu (default: the shipped workflows/)
  --max-upload-mb N   largest upload accepted (default 20)
  -q, --quiet         do not log each prompt
  -h, --help          show this help`;

/** The options `serve` understands, parsed. */
interface ServeArgs {
  port: number;
  listen: string;
  token?: string;
  allowHosts: string[];
  paths: { models: string; output: string; input: string; temp: string; data: string; workflows?: string };
  maxUploadMb: number;
  quiet: boolean;
}

/** `--listen` without a value means every interface, as node-graph users expect. */
function normaliseListen(argv: string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === "--listen" && (i + 1 >= out.length || out[i + 1].startsWith("-"))) out.splice(i + 1, 0, "0.0.0.0");
  }
  return out;
}

function parse(argv: string[]): ServeArgs {
  const { values, positionals } = parseArgs({
    args: normaliseListen(argv),
    options: {
      port: { type: "string" },
      listen: { type: "string" },
      token: { type: "string" },
      "allow-host": { type: "string", multiple: true },
      "models-dir": { type: "string" },
      "output-dir": { type: "string" },
      "input-dir": { type: "string" },
      "data-dir": { type: "string" },
      "workflows-dir": { type: "string" },
      "max-upload-mb": { type: "string" },
      quiet: { type: "boolean", short: "q" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}"`);
  const port = values.port === undefined ? 8188 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
  const maxUploadMb = values["max-upload-mb"] === undefined ? 20 : Number(values["max-upload-mb"]);
  if (!(maxUploadMb > 0)) throw new Error(`--max-upload-mb must be a positive number, got "${values["max-upload-mb"]}"`);
  if (values.token !== undefined && values.token.length < 8) throw new Error("--token must be at least 8 characters long");
  const data = path.resolve(values["data-dir"] ?? ".glide-studio");
  return {
    port,
    listen: values.listen ?? "127.0.0.1",
    token: values.token,
    allowHosts: values["allow-host"] ?? [],
    paths: {
      models: path.resolve(values["models-dir"] ?? defaultModelsDir()),
      output: path.resolve(values["output-dir"] ?? "output"),
      input: path.resolve(values["input-dir"] ?? "input"),
      temp: path.join(data, "temp"),
      data,
      ...(values["workflows-dir"] ? { workflows: path.resolve(values["workflows-dir"]) } : {}),
    },
    maxUploadMb,
    quiet: values.quiet === true,
  };
}

/** The `serve` CLI command (wired into the CLI's command table). */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "start the server and the web editor",
  help,
  /** Runs until SIGINT/SIGTERM; resolves to the process exit code. */
  async run(argv: string[]): Promise<number> {
    if (argv.includes("-h") || argv.includes("--help")) {
      console.log(help);
      return 0;
    }
    let args: ServeArgs;
    try {
      args = parse(argv);
    } catch (err) {
      console.error(`glide-studio serve: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    const stamp = () => new Date().toISOString().slice(11, 19);
    const server = await startServer({
      listen: args.listen,
      port: args.port,
      token: args.token,
      allowedHosts: args.allowHosts,
      paths: args.paths,
      registry: builtinRegistry(),
      limits: { maxUploadBytes: Math.round(args.maxUploadMb * 1024 * 1024) },
      log: args.quiet ? undefined : (line) => console.log(`[${stamp()}] ${line}`),
    }).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? `port ${args.port} is already in use (try --port)` : err.message;
      console.error(`glide-studio serve: cannot start: ${why}`);
      return null;
    });
    if (!server) return 1;
    console.log(`glide-studio ${server.listen === "127.0.0.1" ? "" : `(listening on ${server.listen}) `}serving the editor at ${server.url}/`);
    console.log(`  models: ${args.paths.models}\n  output: ${args.paths.output}\n  data:   ${args.paths.data}`);
    if (server.token) {
      if (server.tokenGenerated) console.log(`  access token (generated): ${server.token}`);
      console.log(`  open: ${server.url}/?token=${encodeURIComponent(server.token)}`);
    }
    const pending = server.store.remaining();
    if (pending > 0) console.log(`  resuming ${pending} queued prompt(s)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    console.log("glide-studio serve: stopping (pending prompts stay queued)");
    await server.close();
    return 0;
  },
};
