/** What the sampling nodes share: input specs, text/guidance → sample options, progress previews. */
import { sample, spaceTimesteps, type GradientGuidance, type SampleOptions, type TokenBatch } from "../diffusion/index.js";
import type { InputSpec, NodeContext, ValidationIssue, ValidateArgs } from "../graph/types.js";
import { modelToImage, modelToRgb8, type ImageTensor } from "../image/tensor.js";
import type { Conditioning, GlideModelValue, GuidanceValue } from "./types.js";

/** Largest seed a workflow can hold exactly (JSON numbers are doubles). */
export const MAX_JSON_SEED = Number.MAX_SAFE_INTEGER;

/** Input specs used by several sampling nodes. */
export const SPECS = {
  respacing: (def: string): InputSpec => [
    "STRING",
    {
      default: def,
      tooltip:
        'Timestep respacing: a step count ("100"), section counts ("10,5,3"), "fast27", or "ddimN". Fewer steps are faster and rougher.',
    },
  ],
  sampler: (def: "ddpm" | "ddim"): InputSpec => [
    ["ddpm", "ddim"],
    { default: def, tooltip: "ddpm: ancestral sampling with the learned variance; ddim: deterministic when eta = 0" },
  ],
  eta: ["FLOAT", { default: 0, min: 0, max: 1, step: 0.01, tooltip: "DDIM noise (0 = deterministic); ddim only" }] as InputSpec,
  seed: [
    "INT",
    { default: 0, min: 0, max: MAX_JSON_SEED, control_after_generate: true, tooltip: "Same seed, same image, on every machine" },
  ] as InputSpec,
  temperature: (def: number): InputSpec => [
    "FLOAT",
    { default: def, min: 0, max: 2, step: 0.001, tooltip: "Scales the initial noise (GLIDE's upsampler uses 0.997)" },
  ],
} as const;

/** Checks that exactly one of `guidance` / `conditioning` is connected. */
export function oneOfGuidanceOrConditioning({ linked }: ValidateArgs): ValidationIssue[] {
  const g = linked.has("guidance");
  const c = linked.has("conditioning");
  if (g === c) {
    return [
      {
        type: g ? "conflicting_inputs" : "required_input_missing",
        message: g
          ? "connect either guidance or conditioning, not both"
          : "connect guidance (classifier-free) or conditioning (unguided)",
        input_name: "guidance",
      },
    ];
  }
  return [];
}

/**
 * Checks the `respacing` string before anything runs (against the 1000 diffusion steps of every released
 * GLIDE model), so a typo is a validation error rather than a failure minutes into a workflow.
 */
export function checkRespacing({ literals }: ValidateArgs): ValidationIssue[] {
  const value = literals.respacing;
  if (typeof value !== "string") return [];
  let count: number;
  try {
    count = spaceTimesteps(1000, value).length;
  } catch (err) {
    return [{ type: "invalid_input_value", message: (err as Error).message, input_name: "respacing", received_value: value }];
  }
  if (count < 2) {
    return [{ type: "value_smaller_than_min", message: `respacing "${value}" gives ${count} step(s); sampling needs at least 2`, input_name: "respacing", received_value: value }];
  }
  return [];
}

/** Runs several validators, collecting every issue. */
export function allOf(...checks: ((args: ValidateArgs) => ValidationIssue[])[]): (args: ValidateArgs) => ValidationIssue[] {
  return (args) => checks.flatMap((check) => check(args));
}

/** Throws unless the model is one of `kinds`, telling the user which node fits the model they have. */
export function requireKind(model: GlideModelValue, kinds: string[], node: string): void {
  if (kinds.includes(model.kind)) return;
  const fit: Record<string, string> = { base: "Sample", upsample: "Upsample", "base-inpaint": "Inpaint", "upsample-inpaint": "Inpaint" };
  throw new Error(
    `${node} needs a ${kinds.join(" or ")} model, but ${model.path ?? "the model"} is a ${model.kind} model${fit[model.kind] ? ` (use ${fit[model.kind]})` : ""}`,
  );
}

/** `batch` rows of the conditioning's tokens, re-tokenised when it was encoded for another model. */
export function tokenRows(cond: Conditioning, model: GlideModelValue, batch: number): TokenBatch {
  const one = cond.model === model ? cond.tokens : model.tokenize([cond.text]);
  return { tokens: new Array(batch).fill(one.tokens[0]), mask: new Array(batch).fill(one.mask[0]) };
}

function sumGradients(terms: GradientGuidance[]): GradientGuidance {
  if (terms.length === 1) return terms[0];
  return {
    async gradient(x: ImageTensor, timesteps: number[]): Promise<ImageTensor> {
      const parts = await Promise.all(terms.map((t) => t.gradient(x, timesteps)));
      const data = new Float32Array(parts[0].data.length);
      for (const p of parts) for (let i = 0; i < data.length; i++) data[i] += p.data[i];
      return { shape: [...parts[0].shape], data };
    },
  };
}

/** The text and guidance part of the sample options, from a GUIDANCE or a CONDITIONING input. */
export async function textOptions(
  model: GlideModelValue,
  batch: number,
  input: { guidance?: GuidanceValue; conditioning?: Conditioning },
): Promise<Pick<SampleOptions, "prompts" | "guidanceScale" | "negativePrompt" | "gradientGuidance">> {
  const g = input.guidance;
  if (!g) return { prompts: tokenRows(input.conditioning!, model, batch) };
  const guided = g.cfgScale !== undefined;
  const rows = guided ? 2 * batch : batch;
  const gradients = g.gradients?.length
    ? sumGradients(await Promise.all(g.gradients.map((t) => t.create({ model, batch, rows, imageSize: model.config.image_size }))))
    : undefined;
  return {
    prompts: tokenRows(g.positive, model, batch),
    ...(guided ? { guidanceScale: g.cfgScale } : {}),
    ...(guided && g.negative ? { negativePrompt: tokenRows(g.negative, model, batch) } : {}),
    ...(gradients ? { gradientGuidance: gradients } : {}),
  };
}

/**
 * Runs `sample` for a node: progress events with an x₀ preview of the first image at every step,
 * cancellation through the run's signal. Returns the samples as an IMAGE [B, S, S, 3].
 */
export async function sampleForNode(model: GlideModelValue, options: SampleOptions, ctx: NodeContext): Promise<ImageTensor> {
  const result = await sample(model, {
    ...options,
    signal: ctx.signal,
    onStep: ({ step, total, pred }) => {
      ctx.progress(step, total, modelToRgb8(pred, 0));
      return !ctx.signal.aborted;
    },
  });
  return modelToImage(result.samples);
}
