"""PyTorch reference timing for bench/base_forward.mjs: the same full-size GLIDE base step on the same
random weights (a safetensors file), run by train/glide_model.py (glide-studio's own PyTorch GLIDE).

usage: /usr/bin/python3 bench/torch_base_forward.py WEIGHTS.safetensors CONFIG.json INPUTS.json
Prints one JSON line: torch version, threads, seconds per full forward / text encoder / UNet step.
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from glide_model import create_model, timestep_embedding  # noqa: E402


def load_safetensors(path: str) -> dict:
    """float32 safetensors -> state dict (read tensor by tensor from the memory-mapped file)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = int(np.frombuffer(raw[:8].tobytes(), dtype="<u8")[0])
    header = json.loads(raw[8:8 + n].tobytes())
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[base + a:base + b], dtype="<f4").reshape(info["shape"]).copy())
    return out


def unet_step(model, x, t, xf_proj, xf_out):
    """Text2ImUNet.unet_forward with the text embedding computed beforehand (once per sample)."""
    emb = model.time_embed(timestep_embedding(t, model.model_channels)) + xf_proj
    hs = []
    h = x
    for module in model.input_blocks:
        h = module(h, emb, xf_out)
        hs.append(h)
    h = model.middle_block(h, emb, xf_out)
    for module in model.output_blocks:
        h = module(torch.cat([h, hs.pop()], dim=1), emb, xf_out)
    return model.out(h)


def timed(fn, runs):
    """Wall and CPU (all threads) seconds of each run after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    weights, config_path, inputs_path = sys.argv[1:4]
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    config = json.load(open(config_path))
    inputs = json.load(open(inputs_path))
    model = create_model(config).eval()
    model.load_state_dict(load_safetensors(weights), strict=True)
    n, s = inputs["batch"], config["image_size"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((n, 3, s, s), generator=gen)
    t = torch.tensor(inputs["timesteps"], dtype=torch.int64)
    tokens = torch.tensor(inputs["tokens"], dtype=torch.int64)
    mask = torch.tensor(inputs["mask"], dtype=torch.bool)
    runs = inputs["runs"]
    with torch.no_grad():
        xf_proj, xf_out = model.get_text_emb(tokens, mask)
        step, step_cpu = timed(lambda: unet_step(model, x, t, xf_proj, xf_out), runs)
        text, _ = timed(lambda: model.get_text_emb(tokens, mask), runs)
        full, _ = timed(lambda: model(x, t, tokens=tokens, mask=mask), runs)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "step_s": step, "step_cpu_s": step_cpu, "text_s": text, "forward_s": full,
        "step_median_s": statistics.median(step), "step_cpu_median_s": statistics.median(step_cpu),
        "forward_median_s": statistics.median(full),
        "text_median_s": statistics.median(text),
    }))


if __name__ == "__main__":
    main()
