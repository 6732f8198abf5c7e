/** `glide-studio models list|info|download`: the checkpoints in the models folder. */
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { readCheckpointIndex } from "../../checkpoint/read-index.js";
import { resolveGlideConfig } from "../../checkpoint/glide-resolve.js";
import { listFolderFiles } from "../../graph/inputs.js";
import { CHECKPOINT_FILES } from "../../nodes/files.js";
import { defaultModelsDir, type CliCommand } from "../command.js";
import { downloadFile } from "../download.js";
import { formatBytes, ProgressBar } from "../progress.js";

/** Where OpenAI publishes the released GLIDE checkpoints (glide_text2im/download.py). */
export const OFFICIAL_BASE_URL = "https://openaipublic.blob.core.windows.net/diffusion/dec-2021";

/** Downloadable models by name → their files under the base URL. */
export const MODEL_CATALOG: Record<string, { files: string[]; description: string }> = {
  base: { files: ["base.pt"], description: "text-to-image 64×64 (385M parameters)" },
  upsample: { files: ["upsample.pt"], description: "upsampler 64→256 (398M)" },
  "base-inpaint": { files: ["base_inpaint.pt"], description: "inpainting 64×64" },
  "upsample-inpaint": { files: ["upsample_inpaint.pt"], description: "inpainting upsampler 64→256" },
  clip: { files: ["clip_image_enc.pt", "clip_text_enc.pt"], description: "noised CLIP image + text encoders (CLIP guidance)" },
};

const help = `Usage: glide-studio models <list|info|download> [options]

  models list                      the checkpoints in the models folder, with their detected kind
  models info <name|file>          a checkpoint's resolved config and tensor summary
  models download <name>…          fetch OpenAI's released checkpoints into the models folder:
                                   ${Object.keys(MODEL_CATALOG).join(", ")}
                                   Interrupted downloads resume; each file is checked against the
                                   size and MD5 the server reports (and --sha256 when given).

Options:
  --models-dir D     the models folder (default ./models, or $GLIDE_STUDIO_MODELS)
  --base-url U       download from U/<file> instead of ${OFFICIAL_BASE_URL}
                     (also $GLIDE_STUDIO_DOWNLOAD_URL; --url is an alias)
  --sha256 HEX       expected SHA-256 of the file (one model with one file)
  --force            download again even when the file exists
  -h, --help         show this help`;

interface ModelsArgs {
  sub: string;
  names: string[];
  models: string;
  baseUrl: string;
  sha256?: string;
  force: boolean;
}

function parse(argv: string[]): ModelsArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      "models-dir": { type: "string" },
      "base-url": { type: "string" },
      url: { type: "string" },
      sha256: { type: "string" },
      force: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...names] = positionals;
  if (!sub) throw new Error("missing subcommand: list, info or download");
  if (values.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.sha256)) throw new Error("--sha256 must be 64 hex digits");
  return {
    sub,
    names,
    models: path.resolve(values["models-dir"] ?? defaultModelsDir()),
    baseUrl: (values["base-url"] ?? values.url ?? process.env.GLIDE_STUDIO_DOWNLOAD_URL ?? OFFICIAL_BASE_URL).replace(/\/+$/, ""),
    sha256: values.sha256,
    force: values.force === true,
  };
}

/** The kind and image size of a checkpoint, or why it is not a GLIDE UNet. */
async function describe(file: string): Promise<string> {
  try {
    const index = await readCheckpointIndex(file);
    try {
      const { kind, config } = await resolveGlideConfig(index);
      return `${kind}, ${config.image_size}px`;
    } catch (err) {
      if (index.tensors.has("blocks.input.w_voc")) return "CLIP text encoder";
      if (index.tensors.has("blocks.input.patch_proj")) return "CLIP image encoder";
      const why = (err as Error).message.split("\n")[0].replace(`${file}: `, "");
      return `not usable as a GLIDE UNet: ${why.length > 110 ? `${why.slice(0, 110)}…` : why}`;
    }
  } catch (err) {
    return `unreadable: ${(err as Error).message.split("\n")[0]}`;
  }
}

async function printCheckpoints(folder: string, files: string[]): Promise<void> {
  for (const f of files) {
    const size = (await fs.stat(path.join(folder, f))).size;
    console.log(`  ${f.padEnd(28)} ${formatBytes(size).padStart(10)}  ${await describe(path.join(folder, f))}`);
  }
}

async function list(args: ModelsArgs): Promise<number> {
  const files = listFolderFiles(args.models, CHECKPOINT_FILES.extensions);
  console.log(`models folder: ${args.models}`);
  if (!files.length) console.log("  (no checkpoints; `glide-studio models download base` fetches one)");
  await printCheckpoints(args.models, files);
  const bundledDir = CHECKPOINT_FILES.bundled;
  const bundled = bundledDir && path.resolve(bundledDir) !== path.resolve(args.models) ? listFolderFiles(bundledDir, CHECKPOINT_FILES.extensions).filter((f) => !files.includes(f)) : [];
  if (bundledDir && bundled.length) {
    console.log(`bundled with glide-studio (${bundledDir}):`);
    await printCheckpoints(bundledDir, bundled);
  }
  const missing = Object.entries(MODEL_CATALOG).filter(([, m]) => m.files.some((f) => !files.includes(f)));
  if (missing.length) {
    console.log("downloadable:");
    for (const [name, m] of missing) console.log(`  ${name.padEnd(18)} ${m.description}`);
  }
  return 0;
}

function resolveFile(models: string, ref: string): string {
  const catalog = MODEL_CATALOG[ref];
  if (catalog && catalog.files.length === 1) return path.join(models, catalog.files[0]);
  return path.isAbsolute(ref) || ref.includes("/") || ref.includes(path.sep) ? path.resolve(ref) : path.join(models, ref);
}

async function info(args: ModelsArgs): Promise<number> {
  if (args.names.length !== 1) throw new Error("models info takes one model name or file");
  const file = resolveFile(args.models, args.names[0]);
  try {
    await fs.access(file);
  } catch {
    throw new Error(`${file} does not exist (models folder: ${args.models})`);
  }
  const index = await readCheckpointIndex(file);
  let params = 0;
  const dtypes: Record<string, number> = {};
  for (const t of index.tensors.values()) {
    params += t.shape.reduce((a, b) => a * b, 1);
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  }
  const out: Record<string, unknown> = {
    file,
    format: index.format,
    bytes: (await fs.stat(file)).size,
    tensors: index.tensors.size,
    parameters: params,
    dtypes,
  };
  try {
    const { kind, config } = await resolveGlideConfig(index);
    Object.assign(out, { kind, config });
  } catch (err) {
    out.glide = `not a GLIDE UNet: ${(err as Error).message.split("\n")[0]}`;
  }
  console.log(JSON.stringify(out, null, 2));
  return 0;
}

async function download(args: ModelsArgs): Promise<number> {
  if (!args.names.length) throw new Error(`name the models to download: ${Object.keys(MODEL_CATALOG).join(", ")}`);
  const unknown = args.names.filter((n) => !MODEL_CATALOG[n]);
  if (unknown.length) throw new Error(`unknown model "${unknown[0]}"; downloadable: ${Object.keys(MODEL_CATALOG).join(", ")}`);
  const files = args.names.flatMap((n) => MODEL_CATALOG[n].files);
  if (args.sha256 && files.length !== 1) throw new Error("--sha256 applies to a single file");
  let failed = 0;
  for (const file of files) {
    const dest = path.join(args.models, file);
    if (!args.force && (await fs.stat(dest).catch(() => null))) {
      console.log(`${dest}: already present (--force downloads it again)`);
      continue;
    }
    const url = `${args.baseUrl}/${file}`;
    const bar = new ProgressBar(process.stderr, file, (v, m) => (m ? `${formatBytes(v)}/${formatBytes(m)}` : formatBytes(v)));
    try {
      const r = await downloadFile({
        url,
        dest,
        sha256: args.sha256,
        onProgress: (received, total, from) => bar.update(received, total ?? 0, from),
      });
      bar.done();
      const index = await readCheckpointIndex(dest).catch((err: Error) => {
        throw new Error(`${dest} downloaded but is not a readable checkpoint: ${err.message}`);
      });
      console.log(
        `${dest}: ${formatBytes(r.bytes)}${r.resumedFrom ? ` (resumed at ${formatBytes(r.resumedFrom)})` : ""}, ${index.tensors.size} tensors, verified: ${r.verified.join(", ") || "nothing the server offered"}; sha256 ${r.sha256}`,
      );
    } catch (err) {
      bar.done();
      console.error(`glide-studio models download: ${(err as Error).message}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/** The `models` CLI command. */
export const modelsCommand: CliCommand = {
  name: "models",
  summary: "list, inspect and download checkpoints",
  help,
  async run(argv) {
    if (argv.includes("-h") || argv.includes("--help")) {
      console.log(help);
      return 0;
    }
    let args: ModelsArgs;
    try {
      args = parse(argv);
    } catch (err) {
      console.error(`glide-studio models: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    switch (args.sub) {
      case "list":
        return list(args);
      case "info":
        return info(args);
      case "download":
        return download(args);
      default:
        console.error(`glide-studio models: unknown subcommand "${args.sub}"\n\n${help}`);
        return 2;
    }
  },
};
