"""Quick PyTorch-side check of a trained base model: sample held-out captions with classifier-free
guidance and score them with the procedural checker. For training decisions only; the reported
evaluation is `npm run eval:demo`, which runs our own runtime.

    /usr/bin/python3 train/sample_check.py models/demo/base.pt --n 24 --scales 0,3 --steps 25
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import checker  # noqa: E402
import dataset  # noqa: E402
from diffusion import Diffusion, guided  # noqa: E402
from glide_model import create_model  # noqa: E402
from train_glide import tokens_for  # noqa: E402


def load_release(path: Path):
    opts = json.loads(path.with_suffix(".json").read_text())
    model = create_model(opts).eval()
    model.load_state_dict({k: v.float() for k, v in torch.load(path, map_location="cpu").items()})
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--n", type=int, default=24, help="held-out single-object captions")
    ap.add_argument("--pairs", type=int, default=0, help="held-out two-object captions")
    ap.add_argument("--scales", default="0,3")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--grid", help="save the samples of the last scale as a PNG strip")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_release(Path(args.checkpoint))
    o = model.opts
    cases = dataset.heldout_captions()
    cases = [c for c in cases if c["kind"] == "single"][: args.n] + [c for c in cases if c["kind"] == "pair"][: args.pairs]
    diff = Diffusion.create(o.noise_schedule, o.diffusion_steps, args.steps)
    n = len(cases)
    tokens, mask = tokens_for([c["caption"] for c in cases] + [""] * n, o.text_ctx)
    for scale in (float(s) for s in args.scales.split(",")):
        t0 = time.time()
        if scale == 0:  # unguided: conditional model alone
            def fn(x, t):
                return model(x, t, tokens=tokens[:n], mask=mask[:n])
            x = diff.sample(fn, (n, 3, o.image_size, o.image_size), torch.Generator().manual_seed(args.seed))
        else:
            x = diff.sample(guided(model, scale, tokens=tokens, mask=mask), (2 * n, 3, o.image_size, o.image_size),
                            torch.Generator().manual_seed(args.seed))[:n]
        imgs = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
        totals: dict[str, int] = {}
        for img, case in zip(imgs, cases):
            for k, v in checker.score(img, case).items():
                totals[k] = totals.get(k, 0) + int(v)
        print(f"scale {scale}: " + ", ".join(f"{k} {v / n:.0%}" for k, v in totals.items())
              + f"  ({time.time() - t0:.0f} s)", flush=True)
        if args.grid:
            Image.fromarray(np.concatenate(list(imgs), axis=1)).resize((n * 64, 64), Image.NEAREST).save(args.grid)


if __name__ == "__main__":
    main()
