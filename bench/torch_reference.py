"""PyTorch reference timings for bench/run.mjs: the same full-size GLIDE networks on the same random
weights (safetensors files written by the bench), run by train/glide_model.py (glide-studio's PyTorch
GLIDE with official module names, checked against the fixtures), in fp32 and in bf16 autocast with
channels-last memory, with the thread count the native runtime uses.

usage: /usr/bin/python3 bench/torch_reference.py SPEC.json
SPEC: {"threads": 2, "jobs": [{"name", "weights", "config", "batch", "timesteps", "tokens", "mask",
       "low_res_size" (upsamplers) , "runs": {"fp32": n, "bf16": n}}]}
Prints one JSON line: {"torch": version, "threads": n, "jobs": {name: {precision: {"wall": [...], "cpu": [...]}}}}.
The text transformer runs once per job outside the timing (as the native sampler computes it once per
sample); each timed step is one UNet call including the attention blocks' encoder_kv projections.
"""

import json
import sys

import torch
import torch.nn.functional as F

from torch_glide import create_model, load_safetensors, timed, unet_step


def run_job(job: dict) -> dict:
    config = job["config"]
    model = create_model(config).eval()
    model.load_state_dict(load_safetensors(job["weights"]), strict=True)
    n, s = job["batch"], config["image_size"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((n, 3, s, s), generator=gen)
    h = x
    if job.get("low_res_size"):
        low = torch.randn((n, 3, job["low_res_size"], job["low_res_size"]), generator=gen).clamp(-1, 1)
        h = torch.cat([x, F.interpolate(low, (s, s), mode="bilinear", align_corners=False)], dim=1)
    t = torch.tensor(job["timesteps"], dtype=torch.int64)
    tokens = torch.tensor(job["tokens"], dtype=torch.int64)
    mask = torch.tensor(job["mask"], dtype=torch.bool)
    result = {}
    with torch.no_grad():
        xf_proj, xf_out = model.get_text_emb(tokens, mask)
        if job["runs"].get("fp32"):
            result["fp32"] = timed(lambda: unet_step(model, h, t, xf_proj, xf_out), job["runs"]["fp32"])
        if job["runs"].get("bf16"):
            model_cl = model.to(memory_format=torch.channels_last)
            h_cl = h.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                result["bf16"] = timed(lambda: unet_step(model_cl, h_cl, t, xf_proj, xf_out), job["runs"]["bf16"])
    return result


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(spec.get("threads", 2)))
    jobs = {job["name"]: run_job(job) for job in spec["jobs"]}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "jobs": jobs}))


if __name__ == "__main__":
    main()
