"""Reference outputs of the shipped demo models, computed by our PyTorch implementation, for the
runtime's test (test/demo-models.test.mjs): one UNet forward per model and the noised CLIP's text
and image embeddings, on fixed inputs.

    /usr/bin/python3 train/make_demo_reference.py      # writes test/fixtures/demo/*.npy
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clip_model import NoisedClip  # noqa: E402
from glide_model import create_model  # noqa: E402
from train_clip import clip_tokens  # noqa: E402
from train_glide import tokens_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "models" / "demo"
OUT = ROOT / "test" / "fixtures" / "demo"
CAPTIONS = ["a red circle left of a blue square on a white background", ""]


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(2024)
    for name in ("base", "upsample", "base-inpaint", "upsample-inpaint"):
        opts = json.loads((DEMO / f"{name}.json").read_text())
        model = create_model(opts).eval()
        model.load_state_dict({k: v.float() for k, v in torch.load(DEMO / f"{name}.pt", map_location="cpu").items()})
        s = opts["image_size"]
        x = torch.randn(2, 3, s, s, generator=g)
        t = torch.tensor([30, 700])
        tokens, mask = tokens_for(CAPTIONS, opts["text_ctx"])
        kw = {}
        if opts.get("super_res"):
            kw["low_res"] = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
        if opts.get("inpaint"):
            kw["inpaint_image"] = torch.rand(2, 3, s, s, generator=g) * 2 - 1
            m = torch.ones(2, 1, s, s)
            m[:, :, s // 4: s // 2, s // 4: 3 * s // 4] = 0
            kw["inpaint_mask"] = m
        with torch.no_grad():
            out = model(x, t, tokens=tokens, mask=mask, **kw)
        p = name.replace("-", "_")
        np.save(OUT / f"{p}_x.npy", x.numpy())
        np.save(OUT / f"{p}_out.npy", out.numpy())
        for k, v in kw.items():
            np.save(OUT / f"{p}_{k}.npy", v.numpy())
        np.save(OUT / f"{p}_tokens.npy", tokens.numpy())
        print(f"{name}: out {tuple(out.shape)}, |out| mean {out.abs().mean():.4f}")
    cfg = json.loads((DEMO / "clip_image_enc.json").read_text())
    clip = NoisedClip(cfg).eval()
    clip.image_encoder.load_state_dict(torch.load(DEMO / "clip_image_enc.pt"))
    clip.text_encoder.load_state_dict(torch.load(DEMO / "clip_text_enc.pt"))
    ctoks, lens = clip_tokens(CAPTIONS[:1] + ["a small green triangle in the top right"])
    x = torch.rand(2, 3, cfg["image_size"], cfg["image_size"], generator=g) * 2 - 1
    t = torch.tensor([10, 500])
    with torch.no_grad():
        np.save(OUT / "clip_text_embeddings.npy", clip.text_embeddings(ctoks, lens).numpy())
        np.save(OUT / "clip_image_embeddings.npy", clip.image_embeddings(x, t).numpy())
    np.save(OUT / "clip_x.npy", x.numpy())
    (OUT / "README.md").write_text(
        "Reference outputs of the shipped demo models (models/demo), computed by train/glide_model.py and\n"
        "train/clip_model.py with `/usr/bin/python3 train/make_demo_reference.py`. Inputs: `<model>_x` at\n"
        "timesteps [30, 700], captions " + json.dumps(CAPTIONS) + " (`<model>_tokens`, GPT-2 BPE),\n"
        "`<model>_low_res` / `<model>_inpaint_image` / `<model>_inpaint_mask` where the model takes them;\n"
        "CLIP: captions [" + json.dumps(CAPTIONS[0]) + ", \"a small green triangle in the top right\"], `clip_x` at\n"
        "timesteps [10, 500]. Regenerate whenever the weights change.\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
