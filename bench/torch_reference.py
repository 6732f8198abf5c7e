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
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from glide_model import create_model, timestep_embedding  # noqa: E402


def load_safetensors(path: str) -> dict:
    """float32 safetensors -> state dict backed by the memory-mapped file."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = int(np.frombuffer(raw[:8].tobytes(), dtype="<u8")[0])
    header = json.loads(raw[8:8 + n].tobytes())
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[base + a:base + b], dtype="<f4").reshape(info["shape"]))
    return out


def unet_step(model, h, t, xf_proj, xf_out):
    """Text2ImUNet.unet_forward with the text embedding computed beforehand."""
    emb = model.time_embed(timestep_embedding(t, model.model_channels)) + xf_proj.to(torch.float32)
    hs = []
    for module in model.input_blocks:
        h = module(h, emb, xf_out)
        hs.append(h)
    h = model.middle_block(h, emb, xf_out)
    for module in model.output_blocks:
        h = module(torch.cat([h, hs.pop()], dim=1), emb, xf_out)
    return model.out(h)


def timed(fn, runs):
    """Wall and process-CPU seconds of `runs` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"wall": wall, "cpu": cpu}


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
