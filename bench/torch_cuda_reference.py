"""PyTorch eager fp16 reference for bench/cuda.mjs: the same full-size GLIDE networks on the same random
weights, on the same GPU, run by train/glide_model.py (glide-studio's PyTorch GLIDE with official module
names) under torch.autocast(float16) — the way an eager framework runs GLIDE in half precision.

usage: python3 bench/torch_cuda_reference.py SPEC.json
SPEC: {"tokens", "mask" ([cond, uncond] rows), "runs", "pipeline_runs", "base_steps", "upsample_steps",
       "base" / "upsample": {"weights", "config", "schedule": {timestep_map, sqrt_recip_alphas_cumprod, ...}}}
Prints one JSON line: base step (batch 2) and upsampler step (batch 1) medians, and the 100 + 27 pipeline
(CFG scale 3 DDPM base, DDIM upsampler at temperature 0.997), timed with CUDA events after a warm-up.
"""

import json
import statistics
import sys

import torch

from torch_glide import create_model, load_safetensors, unet_step as unet


def build(job, device):
    config = dict(job["config"])
    config["channel_mult"] = ",".join(str(c) for c in config["channel_mult"])
    config["attention_resolutions"] = ",".join(str(r) for r in config["attention_resolutions"])
    model = create_model(config).eval()
    model.load_state_dict(load_safetensors(job["weights"]), strict=True)
    return model.to(device)


def cuda_time(fn, runs):
    """Seconds taken by each of `runs` calls after a warm-up, timed by CUDA events."""
    fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        out.append(start.elapsed_time(end) / 1000)
    return out


def coef(s, t):
    return {k: float(v[t]) for k, v in s.items() if k != "timestep_map"}


def base_loop(model, tokens, mask, s, steps, device, gen):
    """CFG (scale 3) ancestral DDPM on 64×64, batch 1 (2 rows), as the text2im notebook."""
    xf_proj, xf_out = model.get_text_emb(tokens, mask)
    x = torch.randn((2, 3, 64, 64), device=device, generator=gen)
    for j in range(steps):
        t = steps - 1 - j
        k = coef(s, t)
        half = x[:1]
        out = unet(model, torch.cat([half, half]), torch.full((2,), s["timestep_map"][t], device=device), xf_proj, xf_out).float()
        eps, v = out[:, :3], out[:, 3:]
        cond, uncond = eps[:1], eps[1:]
        eps = torch.cat([uncond + 3.0 * (cond - uncond)] * 2)
        x0 = (k["sqrt_recip_alphas_cumprod"] * x - k["sqrt_recipm1_alphas_cumprod"] * eps).clamp(-1, 1)
        mean = k["posterior_mean_coef1"] * x0 + k["posterior_mean_coef2"] * x
        frac = (v + 1) / 2
        log_var = frac * k["log_betas"] + (1 - frac) * k["posterior_log_variance_clipped"]
        noise = torch.randn(x.shape, device=device, generator=gen)
        x = mean + (torch.exp(0.5 * log_var) * noise if t > 0 else 0)
    return x[:1]


def upsample_loop(model, tokens, mask, low_res, s, steps, device, gen):
    """DDIM (η = 0) on 256×256 from the base output, initial noise × 0.997."""
    xf_proj, xf_out = model.get_text_emb(tokens, mask)
    x = torch.randn((1, 3, 256, 256), device=device, generator=gen) * 0.997
    up = torch.nn.functional.interpolate(low_res, (256, 256), mode="bilinear", align_corners=False)
    for j in range(steps):
        t = steps - 1 - j
        k = coef(s, t)
        out = unet(model, torch.cat([x, up], dim=1), torch.full((1,), s["timestep_map"][t], device=device), xf_proj, xf_out).float()
        eps = out[:, :3]
        x0 = (k["sqrt_recip_alphas_cumprod"] * x - k["sqrt_recipm1_alphas_cumprod"] * eps).clamp(-1, 1)
        eps = (k["sqrt_recip_alphas_cumprod"] * x - x0) / k["sqrt_recipm1_alphas_cumprod"]
        x = x0 * k["alphas_cumprod_prev"] ** 0.5 + (1 - k["alphas_cumprod_prev"]) ** 0.5 * eps
    return x


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    device = torch.device("cuda")
    base = build(spec["base"], device)
    up = build(spec["upsample"], device)
    tokens = torch.tensor(spec["tokens"], dtype=torch.int64, device=device)
    mask = torch.tensor(spec["mask"], dtype=torch.bool, device=device)
    gen = torch.Generator(device=device).manual_seed(0)
    runs = spec["runs"]
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
        xf_proj, xf_out = base.get_text_emb(tokens, mask)
        x2 = torch.randn((2, 3, 64, 64), device=device, generator=gen)
        t2 = torch.full((2,), 500, device=device)
        base_step = cuda_time(lambda: unet(base, x2, t2, xf_proj, xf_out), runs)
        up_proj, up_out = up.get_text_emb(tokens[:1], mask[:1])
        x1 = torch.randn((1, 6, 256, 256), device=device, generator=gen)
        t1 = torch.full((1,), 500, device=device)
        up_step = cuda_time(lambda: unet(up, x1, t1, up_proj, up_out), runs)

        def pipeline():
            low = base_loop(base, tokens, mask, spec["base"]["schedule"], spec["base_steps"], device, gen)
            return upsample_loop(up, tokens[:1], mask[:1], low.float(), spec["upsample"]["schedule"],
                                 spec["upsample_steps"], device, gen)

        full = cuda_time(pipeline, spec["pipeline_runs"])
    print(json.dumps({
        "torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(),
        "precision": "fp16 autocast, eager",
        "base_step_s": statistics.median(base_step), "upsample_step_s": statistics.median(up_step),
        "base_step_all_s": base_step, "upsample_step_all_s": up_step,
        "pipeline_s": full, "pipeline_median_s": statistics.median(full),
    }))


if __name__ == "__main__":
    main()
