/** `glide-studio convert in.pt out.safetensors`: rewrite a checkpoint as safetensors, dtypes preserved. */
import path from "node:path";
import { convertCheckpoint } from "../../checkpoint/convert.js";
import { readCheckpointIndex } from "../../checkpoint/read-index.js";
import { resolveGlideConfig } from "../../checkpoint/glide-resolve.js";

const help = `Usage: glide-studio convert <in.pt|in.safetensors> <out.safetensors> [--check]

Rewrites a checkpoint (PyTorch zip from torch.save, or safetensors) as .safetensors, tensor by tensor,
keeping every tensor's name, shape and dtype (float16 weights stay float16).

Options:
  --check   also resolve the GLIDE UNet config of the result and validate every tensor
            (model options the weights cannot tell come from <out>.json / <out stem>.json if present)
  -h, --help  show this help`;

/** The `convert` CLI command (wired into the CLI's command table). */
export const convertCommand = {
  name: "convert",
  summary: "convert a PyTorch checkpoint to .safetensors (dtypes preserved)",
  help,
  /** Runs the command; resolves to the process exit code. */
  async run(argv: string[]): Promise<number> {
    if (argv.includes("-h") || argv.includes("--help")) {
      console.log(help);
      return 0;
    }
    const check = argv.includes("--check");
    const unknown = argv.filter((a) => a.startsWith("-") && a !== "--check");
    const files = argv.filter((a) => !a.startsWith("-"));
    if (unknown.length > 0 || files.length !== 2) {
      console.error(unknown.length > 0 ? `convert: unknown option ${unknown[0]}\n\n${help}` : help);
      return 2;
    }
    const [input, output] = files;
    if (path.resolve(input) === path.resolve(output)) {
      console.error("convert: the output must be a different file from the input");
      return 2;
    }
    try {
      const t0 = performance.now();
      const { tensors } = await convertCheckpoint(input, output);
      console.log(`${output}: wrote ${tensors} tensors in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (check) {
        const { kind, config } = await resolveGlideConfig(await readCheckpointIndex(output));
        console.log(`${output}: GLIDE ${kind} UNet, ${JSON.stringify(config)}`);
      }
      return 0;
    } catch (err) {
      console.error(`convert: ${(err as Error).message}`);
      return 1;
    }
  },
};

export default convertCommand;
