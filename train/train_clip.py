"""Train the demo noised CLIP: contrastive (symmetric InfoNCE) between captions and *noised* images
x_t = q_sample(x_0, t) of the base model's diffusion, the image encoder seeing t — as GLIDE's noised
CLIP, so its gradient can guide sampling at every step.

    /usr/bin/python3 train/train_clip.py --minutes 20

Writes `<out>/clip_image_enc.pt` and `<out>/clip_text_enc.pt` (torch.save of each encoder's
state_dict, float32, official names) and sidecars `clip_image_enc.json` / `clip_text_enc.json` with
the official config.yaml keys (plus its record in `<out>/training.json`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
from clip_bpe import clip_tokenizer  # noqa: E402
from clip_model import NoisedClip  # noqa: E402
from diffusion import Diffusion  # noqa: E402
from train_glide import record_training  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Official config.yaml keys. n_vocab is the CLIP tokenizer's vocabulary (49408) instead of the
# official table's 65536 rows: the extra rows are never indexed and would only add megabytes.
CONFIG = {
    "logit_scale": 100.0, "beta_schedule": "squaredcos_cap_v2", "n_timesteps": 1000, "image_size": 32,
    "patch_size": 4, "n_vocab": 49408, "max_text_len": 77, "n_embd": 64, "n_head_state_text": 16,
    "n_head_text": 2, "n_xf_blocks_text": 2, "n_head_state_image": 16, "n_head_image": 4, "n_xf_blocks_image": 4,
}
FULL_CAPTION = 0.7  # share of complete captions; the rest drop optional parts like the UNet data


def clip_tokens(captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [clip_tokenizer().padded_tokens_and_len(clip_tokenizer().encode(c), CONFIG["max_text_len"]) for c in captions]
    return torch.tensor([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])


def batch(seed: int, step: int, size: int):
    imgs, caps = [], []
    for j in range(size):
        index = step * size + j
        sc = dataset.scene(seed, index)
        rng = np.random.default_rng([seed, index, 2])
        caps.append(dataset.caption(sc, None if rng.random() < FULL_CAPTION else rng))
        imgs.append(dataset.to_model(dataset.render(sc, CONFIG["image_size"])))
    return torch.from_numpy(np.stack(imgs)), caps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=1, help="dataset seed (the UNets use 0)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--out", default=str(ROOT / "models" / "demo"))
    ap.add_argument("--log-every", type=int, default=50)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    clip = NoisedClip(CONFIG)
    # Learned temperature as in CLIP, capped at the configured logit scale used at guidance time.
    log_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    params = list(clip.parameters()) + [log_scale]
    optim = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    diff = Diffusion.create(CONFIG["beta_schedule"], CONFIG["n_timesteps"])
    gen = torch.Generator().manual_seed(args.seed)
    print(f"clip: {sum(p.numel() for p in clip.parameters()) / 1e6:.2f} M parameters, batch {args.batch}", flush=True)

    step, t0, history = 0, time.time(), []
    acc = {"loss": 0.0, "acc": 0.0, "acc_lowt": 0.0, "n": 0}
    while step < args.max_steps and time.time() - t0 < args.minutes * 60:
        x0, caps = batch(args.seed, step, args.batch)
        t = torch.randint(0, CONFIG["n_timesteps"], (len(x0),), generator=gen)
        xt = diff.q_sample(x0, t, torch.randn(x0.shape, generator=gen))
        tokens, lens = clip_tokens(caps)
        # bf16 autocast: ~10x faster here (AMX); the logits and loss are computed in float32.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            zi = clip.image_embeddings(xt, t)
            zt = clip.text_embeddings(tokens, lens)
        logits = log_scale.exp().clamp(max=CONFIG["logit_scale"]) * zi.float() @ zt.float().T
        # Identical captions in a batch are true matches: spread the target over all of them.
        same = torch.tensor([[a == b for b in caps] for a in caps], dtype=torch.float32)
        target = same / same.sum(1, keepdim=True)
        loss = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        for g in optim.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / 200)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        step += 1
        with torch.no_grad():
            hit = same[torch.arange(len(caps)), logits.argmax(1)]
            acc["loss"] += float(loss)
            acc["acc"] += float(hit.mean())
            low = t < 300
            acc["acc_lowt"] += float(hit[low].mean()) if low.any() else 0.0
            acc["n"] += 1
        if step % args.log_every == 0:
            row = {"step": step, "minutes": round((time.time() - t0) / 60, 2),
                   "scale": round(float(log_scale.exp()), 1), **{k: round(acc[k] / acc["n"], 4) for k in ("loss", "acc", "acc_lowt")}}
            history.append(row)
            print(json.dumps(row), flush=True)
            acc = {"loss": 0.0, "acc": 0.0, "acc_lowt": 0.0, "n": 0}
    minutes = (time.time() - t0) / 60
    print(f"{step} steps in {minutes:.1f} min", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(clip.image_encoder.state_dict(), out / "clip_image_enc.pt")
    torch.save(clip.text_encoder.state_dict(), out / "clip_text_enc.pt")
    meta = {"steps": step, "batch": args.batch, "lr": args.lr, "seed": args.seed, "minutes": round(minutes, 1), "bf16": args.bf16,
            "learned_logit_scale": round(float(log_scale.exp()), 2),
            "loss_curve": history[:: max(1, len(history) // 12)] + history[-1:]}
    # The runtime finds options in a sidecar next to either encoder; both carry the full config.
    for name in ("clip_image_enc", "clip_text_enc"):
        (out / f"{name}.json").write_text(json.dumps(CONFIG, indent=1) + "\n")
    record_training(out, "clip", meta)
    print(f"wrote {out / 'clip_image_enc.pt'}, {out / 'clip_text_enc.pt'}", flush=True)


if __name__ == "__main__":
    main()
