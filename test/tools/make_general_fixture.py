"""Writes test/fixtures/general/: a GLIDE-style UNet of an architecture the official fixtures do not
cover, its official-format checkpoint, inputs and reference outputs.

The reference is train/glide_model.py (glide-studio's own PyTorch GLIDE, written independently of the
native code and checked against the official fixtures by train/check_against_fixtures.py). Run with
Debian's python3-torch:  /usr/bin/python3 test/tools/make_general_fixture.py

Architecture: a super-resolution UNet with heads from num_heads (num_head_channels = -1) and a
different num_heads_upsample, resblock_updown = false (Downsample/Upsample convs),
use_scale_shift_norm = false, channel_mult 1,2,3, two res blocks per level, attention at the full and
the quarter resolution, and a 3-layer text transformer without final LayerNorm or padding embedding;
the low-res input (12×12) is resized by a non-integer factor to 32×32. Matrices and tables are stored
as bfloat16 (1-D parameters stay float32), so the checkpoint is small and the loader's bfloat16 path is
exercised; the reference runs in float32 on the same rounded weights.
"""

import json
import math
import os
import sys

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
from glide_model import create_model  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "general")

CONFIG = {
    "image_size": 32,
    "num_channels": 32,
    "num_res_blocks": 2,
    "channel_mult": "1,2,3",
    "num_heads": 4,
    "num_head_channels": -1,
    "num_heads_upsample": 2,
    "attention_resolutions": "32,8",
    "text_ctx": 24,
    "xf_width": 12,
    "xf_layers": 3,
    "xf_heads": 3,
    "xf_final_ln": False,
    "xf_padding": False,
    "use_scale_shift_norm": False,
    "resblock_updown": False,
    "inpaint": False,
    "super_res": True,
}


def randomise(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Every parameter random (the constructors zero the residual outputs), as the official fixtures do."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embedding" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.ndim == 1 and ("norm" in name or "ln" in name or name.startswith("out.0")) and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.ndim == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p.numel() // p.shape[0]
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))


def main() -> None:
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    model = create_model(CONFIG).eval()
    randomise(model, gen)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim >= 2:
                p.copy_(p.to(torch.bfloat16).float())
    state = model.state_dict()
    for key, value in state.items():
        if value.ndim >= 2:
            state[key] = value.to(torch.bfloat16)
    torch.save(state, os.path.join(OUT, "general.pt"))

    n, ctx = 2, CONFIG["text_ctx"]
    x = torch.randn((n, 3, 32, 32), generator=gen)
    low_res = torch.rand((n, 3, 12, 12), generator=gen) * 2 - 1
    timesteps = torch.tensor([37, 912], dtype=torch.int64)
    tokens = torch.randint(0, 50257, (n, ctx), generator=gen, dtype=torch.int64)
    mask = torch.zeros((n, ctx), dtype=torch.bool)
    mask[0, :9] = True
    with torch.no_grad():
        xf_proj, xf_out = model.get_text_emb(tokens, mask)
        out = model(x, timesteps, tokens=tokens, mask=mask, low_res=low_res)
    arrays = {
        "x": x, "low_res": low_res, "timesteps": timesteps, "tokens": tokens, "mask": mask,
        "xf_proj": xf_proj, "xf_out": xf_out, "out": out,
    }
    for key, value in arrays.items():
        np.save(os.path.join(OUT, f"{key}.npy"), value.numpy())
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=1)
    print("wrote", OUT, "out std", float(out.std()))


if __name__ == "__main__":
    main()
