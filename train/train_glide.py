"""Train one model of the demo GLIDE family on the procedural dataset (train/dataset.py).

    /usr/bin/python3 train/train_glide.py --model base --minutes 30
    /usr/bin/python3 train/train_glide.py --model base-inpaint --init models/demo/base.pt --minutes 20

Losses as the released GLIDE models: ε-prediction with learned-range variance, hybrid loss
(L_simple + 0.001·L_vlb, stop-gradient on the mean for L_vlb), 20% caption dropout (empty caption =
all padding, mask false) for classifier-free guidance. Inpainting models see [x, image·mask, mask]
with random masks (1 = known). Writes `<out>/<name>.pt` in the official format (torch.save of the
state_dict, fp16 split as convert_to_fp16) from the EMA weights, plus `<out>/<name>.json` with the
options shapes cannot tell. Training state for resuming goes to train/runs/<name>/.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from copy import deepcopy
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
from bpe import PAD_ID, tokenizer  # noqa: E402
from diffusion import Diffusion, guided  # noqa: E402
from glide_model import GlideOptions, create_model, fp16_state_dict  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# num_channels is 64, not 32: GroupNorm has 32 groups, and with one channel per group the norm before the
# output conv removes every channel's spatial mean, so the model could not predict the mean of ε and the
# sampled images' overall colour drifted with the noise (measured: no correlation at any t).
_BASE = dict(image_size=32, num_channels=64, num_res_blocks=1, channel_mult="1,2,2", num_heads=1,
             num_head_channels=32, attention_resolutions="16,8", text_ctx=128, xf_width=64, xf_layers=2,
             xf_heads=4, xf_final_ln=True, xf_padding=True, diffusion_steps=1000,
             noise_schedule="squaredcos_cap_v2", use_scale_shift_norm=True, resblock_updown=True)
_UP = dict(image_size=128, num_channels=64, num_res_blocks=1, channel_mult="1,1,2,2,2", num_heads=1,
           num_head_channels=32, attention_resolutions="8", text_ctx=128, xf_width=32, xf_layers=1,
           xf_heads=2, xf_final_ln=True, xf_padding=True, diffusion_steps=1000, noise_schedule="linear",
           use_scale_shift_norm=True, resblock_updown=True, super_res=True)

# The miniature family. Official option names; image_size/attention_resolutions in pixels.
CONFIGS = {
    "base": dict(_BASE),
    "base-inpaint": dict(_BASE, inpaint=True),
    "upsample": dict(_UP),
    "upsample-inpaint": dict(_UP, inpaint=True),
}
LOW_RES = 32  # the upsamplers' input size (the base model's output)
CAPTION_DROPOUT = 0.2
PREVIEW_CAPTIONS = [
    "a red circle", "a large blue square in the top left on a white background",
    "a small green triangle in the bottom right on a black background", "a yellow circle in the center",
    "a purple square on a gray background", "an orange triangle in the top right",
    "a red circle left of a blue square", "a green square above a yellow triangle on a black background",
]


def tokens_for(captions: list[str], text_ctx: int) -> tuple[torch.Tensor, torch.Tensor]:
    toks, masks = [], []
    for c in captions:
        t, m = tokenizer().padded_tokens_and_mask(tokenizer().encode(c) if c else [], text_ctx)
        toks.append(t)
        masks.append(m)
    return torch.tensor(toks), torch.tensor(masks)


def random_mask(rng: np.random.Generator, sc: dataset.Scene, size: int) -> np.ndarray:
    """[size, size] float32, 1 = known. GLIDE erased random regions; we erase a random rectangle
    (40%), the box around one object (40%, so the caption must supply it), or keep only a rectangle (20%)."""
    m = np.ones((size, size), np.float32)
    r = rng.random()
    if r < 0.4 or (r < 0.8 and not sc.objects):
        w, h = (int(size * rng.uniform(0.25, 0.75)) for _ in range(2))
        x, y = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        m[y:y + h, x:x + w] = 0
    elif r < 0.8:
        o = sc.objects[int(rng.integers(len(sc.objects)))]
        half = o.side / 2 + rng.uniform(0.03, 0.12)
        x0, x1 = int(max(0, (o.cx - half) * size)), int(min(size, math.ceil((o.cx + half) * size)))
        y0, y1 = int(max(0, (o.cy - half) * size)), int(min(size, math.ceil((o.cy + half) * size)))
        m[y0:y1, x0:x1] = 0
    else:
        w, h = (int(size * rng.uniform(0.3, 0.7)) for _ in range(2))
        x, y = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        m[:] = 0
        m[y:y + h, x:x + w] = 1
    return m


class Batches:
    """Deterministic batches: example i of the run is scene(seed, i) with its own caption/mask rng."""

    def __init__(self, opts: GlideOptions, seed: int, batch: int, crop: int):
        self.opts, self.seed, self.batch, self.crop = opts, seed, batch, crop

    def get(self, step: int) -> tuple[torch.Tensor, dict]:
        o = self.opts
        xs, caps, lows, imgs, masks = [], [], [], [], []
        for j in range(self.batch):
            index = step * self.batch + j
            sc = dataset.scene(self.seed, index)
            rng = np.random.default_rng([self.seed, index, 1])
            caps.append("" if rng.random() < CAPTION_DROPOUT else dataset.caption(sc, rng))
            img = dataset.render(sc, o.image_size)
            mask = random_mask(rng, sc, o.image_size) if o.inpaint else None
            if o.super_res:
                factor = o.image_size // LOW_RES
                low = dataset.downsample(img, factor)
                if self.crop and self.crop < o.image_size:
                    # Train the convolutional upsampler on aligned crops: 4x less work per example.
                    cells = (o.image_size - self.crop) // factor
                    cx, cy = (int(rng.integers(0, cells + 1)) * factor for _ in range(2))
                    img = img[cy:cy + self.crop, cx:cx + self.crop]
                    low = low[cy // factor:(cy + self.crop) // factor, cx // factor:(cx + self.crop) // factor]
                    if mask is not None:
                        mask = mask[cy:cy + self.crop, cx:cx + self.crop]
                lows.append(dataset.to_model(low))
            xs.append(dataset.to_model(img))
            if mask is not None:
                masks.append(mask[None])
        x0 = torch.from_numpy(np.stack(xs))
        tokens, tmask = tokens_for(caps, o.text_ctx)
        kwargs = {"tokens": tokens, "mask": tmask}
        if lows:
            kwargs["low_res"] = torch.from_numpy(np.stack(lows))
        if masks:
            kwargs["inpaint_image"] = x0
            kwargs["inpaint_mask"] = torch.from_numpy(np.stack(masks))
        return x0, kwargs


def save_release(model, opts: GlideOptions, out_dir: Path, name: str, meta: dict) -> Path:
    """`<name>.pt` (official format, fp16 split) + `<name>.json` (options only: the runtime rejects
    unknown keys) + this model's entry in `training.json`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.pt"
    torch.save(fp16_state_dict(model), path)
    side = opts.sidecar()
    side.pop("dropout", None)
    (out_dir / f"{name}.json").write_text(json.dumps(side, indent=1) + "\n")
    record_training(out_dir, name, meta)
    return path


def record_training(out_dir: Path, name: str, meta: dict) -> None:
    """Merge one model's training record into `<out>/training.json`."""
    log = out_dir / "training.json"
    runs = json.loads(log.read_text()) if log.exists() else {}
    runs[name] = meta
    log.write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")


@torch.no_grad()
def preview(model, opts: GlideOptions, path: Path, steps: int = 50, scale: float = 3.0, seed: int = 0) -> None:
    """Sample PREVIEW_CAPTIONS with classifier-free guidance and save a PNG strip (base models only)."""
    from PIL import Image

    n = len(PREVIEW_CAPTIONS)
    diff = Diffusion.create(opts.noise_schedule, opts.diffusion_steps, steps)
    tokens, mask = tokens_for(PREVIEW_CAPTIONS + [""] * n, opts.text_ctx)
    cond = {"tokens": tokens, "mask": mask}
    s = opts.image_size
    if opts.inpaint:  # nothing known: plain generation through the inpainting inputs
        cond["inpaint_image"] = torch.zeros(2 * n, 3, s, s)
        cond["inpaint_mask"] = torch.zeros(2 * n, 1, s, s)
    x = diff.sample(guided(model, scale, **cond), (2 * n, 3, s, s), torch.Generator().manual_seed(seed))[:n]
    img = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    Image.fromarray(np.concatenate(list(img), axis=1)).resize((n * 64, 64), Image.NEAREST).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=list(CONFIGS), required=True)
    ap.add_argument("--minutes", type=float, default=25.0, help="wall-clock training budget")
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--crop", type=int, default=32, help="upsampler training crop (0 = full image)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                    help="bf16 autocast for the forward pass (--no-bf16 for float32)")
    ap.add_argument("--init", help="initialise from a checkpoint (e.g. the non-inpaint model); "
                                   "extra input-conv channels start at zero")
    ap.add_argument("--resume", action="store_true", help="continue from train/runs/<model>/state.pt")
    ap.add_argument("--out", default=str(ROOT / "models" / "demo"))
    ap.add_argument("--bench", type=int, default=0, help="time this many steps and exit")
    ap.add_argument("--export", action="store_true",
                    help="only write the release files (and preview) from train/runs/<model>/state.pt")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--save-every", type=float, default=5.0, help="minutes between training-state saves")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    opts = GlideOptions.from_dict(CONFIGS[args.model])
    model = create_model(opts)
    if args.init:
        init_from(model, Path(args.init))
    ema = deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    optim = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    diff = Diffusion.create(opts.noise_schedule, opts.diffusion_steps)
    batches = Batches(opts, args.seed, args.batch, args.crop)
    run_dir = ROOT / "train" / "runs" / args.model
    run_dir.mkdir(parents=True, exist_ok=True)
    step, elapsed_before, history, phases = 0, 0.0, [], []
    if args.resume or args.export:
        state = torch.load(run_dir / "state.pt")
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optim.load_state_dict(state["optim"])
        step, elapsed_before, history = state["step"], state["elapsed"], state["history"]
        phases = state.get("phases") or [{"from_step": 0, "to_step": step, "note": "settings of this run's first invocation"}]
    # This invocation's settings; a resumed run with other settings (e.g. full-size upsampler
    # fine-tuning) appends a phase, so training.json tells the whole story.
    phase = {"from_step": step, "batch": args.batch, "lr": args.lr, "ema": args.ema, "seed": args.seed,
             "bf16": args.bf16, "threads": args.threads, "init": Path(args.init).name if args.init else None,
             "crop": args.crop if opts.super_res else None}
    if args.export:
        export(ema, opts, args, run_dir, step, elapsed_before, history, phases)
        return
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model}: {n_params / 1e6:.2f} M parameters, batch {args.batch}, {json.dumps(CONFIGS[args.model])}",
          flush=True)

    gen = torch.Generator().manual_seed(args.seed * 1000 + step)
    t_start = time.time()
    last_save = t_start

    def save_state(elapsed: float) -> None:
        done = phases + [{**phase, "to_step": step, "minutes": round((elapsed - elapsed_before) / 60, 1)}]
        tmp = run_dir / "state.pt.tmp"
        torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "optim": optim.state_dict(), "step": step,
                    "elapsed": elapsed, "history": history, "phases": done}, tmp)
        tmp.replace(run_dir / "state.pt")  # atomic: a killed run leaves the previous state intact

    acc = {"loss": 0.0, "mse": 0.0, "vb": 0.0, "n": 0}
    while step < args.max_steps:
        elapsed = elapsed_before + time.time() - t_start
        if elapsed > args.minutes * 60 or (args.bench and step >= args.bench):
            break
        x0, kwargs = batches.get(step)
        t = torch.randint(0, diff.num_timesteps, (len(x0),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        # Short linear warm-up keeps the first Adam steps from blowing up the zero-initialised heads.
        for g in optim.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / 200)
        # bf16 autocast runs convolutions/matmuls on the CPU's AMX units (~3x faster here); weights,
        # norms, softmax and the loss stay float32.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            losses = diff.training_losses(model, x0, t, noise, kwargs)
        loss = losses["loss"].mean()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        step += 1
        for k in ("loss", "mse", "vb"):
            acc[k] += float(losses[k].mean())
        acc["n"] += 1
        if step % args.log_every == 0 or args.bench:
            now = elapsed_before + time.time() - t_start
            row = {"step": step, "minutes": round(now / 60, 2), **{k: round(acc[k] / acc["n"], 5) for k in ("loss", "mse", "vb")}}
            history.append(row)
            print(json.dumps(row), flush=True)
            acc = {"loss": 0.0, "mse": 0.0, "vb": 0.0, "n": 0}
        if not args.bench and time.time() - last_save > args.save_every * 60:
            save_state(elapsed_before + time.time() - t_start)
            last_save = time.time()
    elapsed = elapsed_before + time.time() - t_start
    print(f"{step} steps in {elapsed / 60:.1f} min ({elapsed / max(step, 1):.3f} s/step)", flush=True)
    if args.bench:
        return
    save_state(elapsed)
    export(ema, opts, args, run_dir, step, elapsed, history, torch.load(run_dir / "state.pt")["phases"])


def export(ema, opts: GlideOptions, args, run_dir: Path, step: int, elapsed: float, history: list,
           phases: list) -> None:
    meta = {"steps": step, "minutes": round(elapsed / 60, 1), "phases": phases,
            "loss_curve": history[:: max(1, len(history) // 12)] + history[-1:]}
    path = save_release(ema, opts, Path(args.out), args.model, meta)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    if not opts.super_res:
        preview(ema, opts, run_dir / "preview.png")
        print(f"preview {run_dir / 'preview.png'}", flush=True)


def init_from(model, path: Path) -> None:
    """Copy every same-named tensor; a wider input conv (inpaint) keeps the source's first channels
    and zeroes the rest, so the new model starts out as the source model ignoring the extra inputs."""
    src = torch.load(path, map_location="cpu")
    own = model.state_dict()
    for k, v in src.items():
        v = v.float()
        if k not in own:
            continue
        if own[k].shape == v.shape:
            own[k] = v
        elif k == "input_blocks.0.0.weight" and own[k].shape[1] > v.shape[1]:
            w = torch.zeros_like(own[k])
            if v.shape[1] == 6 and w.shape[1] == 10:  # super-res: [x, low_res] -> [x, img*m, m, low_res]
                w[:, :3], w[:, 7:] = v[:, :3], v[:, 3:]
            else:
                w[:, : v.shape[1]] = v
            own[k] = w
        else:
            raise ValueError(f"{path}: tensor {k} has shape {tuple(v.shape)}, model needs {tuple(own[k].shape)}")
    model.load_state_dict(own)


if __name__ == "__main__":
    main()
