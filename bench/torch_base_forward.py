"""PyTorch reference timing for bench/base_forward.mjs: the same full-size GLIDE base step on the same
random weights (a safetensors file), run by train/glide_model.py (glide-studio's own PyTorch GLIDE).

usage: /usr/bin/python3 bench/torch_base_forward.py WEIGHTS.safetensors CONFIG.json INPUTS.json
Prints one JSON line: torch version, threads, seconds per full forward / text encoder / UNet step.
"""

import json
import os
import statistics
import sys

import torch

from torch_glide import create_model, load_safetensors, timed, unet_step


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
        step = timed(lambda: unet_step(model, x, t, xf_proj, xf_out), runs)
        step, step_cpu = step["wall"], step["cpu"]
        text = timed(lambda: model.get_text_emb(tokens, mask), runs)["wall"]
        full = timed(lambda: model(x, t, tokens=tokens, mask=mask), runs)["wall"]
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
