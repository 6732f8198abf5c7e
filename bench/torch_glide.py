"""What the PyTorch reference timings (bench/torch_reference.py, bench/torch_base_forward.py,
bench/torch_cuda_reference.py) share: the bench's random-weight safetensors read into a state dict, the
UNet step with the text embedding computed beforehand, and CPU wall/CPU-second timing. The model itself is
train/glide_model.py (glide-studio's PyTorch GLIDE with official module names, checked against the fixtures).
"""

import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from glide_model import create_model, timestep_embedding  # noqa: E402,F401  (create_model re-exported)


def load_safetensors(path: str) -> dict:
    """float32 safetensors -> state dict backed by the memory-mapped file (load_state_dict copies it into
    the parameters, so the full-size weights are never held twice)."""
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
    """Text2ImUNet.unet_forward with the text embedding computed beforehand (once per sample, as the
    official sampler and ours do). xf_proj goes back to float32 under autocast, as in unet_forward."""
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
    """Wall and process-CPU (all threads) seconds of `runs` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"wall": wall, "cpu": cpu}
