"""Check train/glide_model.py and train/clip_model.py against the reference fixtures produced by OpenAI's glide-text2im.

Loads every fixture UNet checkpoint (strict: same names, same shapes), runs the recorded inputs and
compares text embeddings, per-block traces and raw outputs. Exits non-zero on any mismatch.

    /usr/bin/python3 train/check_against_fixtures.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from glide_model import create_model, timestep_embedding  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "glide"
TOL = 1e-5  # relative L2, as the fixture README suggests for single forward passes


def npy(rel: str) -> torch.Tensor:
    return torch.from_numpy(np.load(ROOT / rel))


def rel_err(got: torch.Tensor, want: torch.Tensor) -> float:
    got, want = got.double(), want.double()
    return float((got - want).norm() / want.norm().clamp_min(1e-30))


failures: list[str] = []


def report(label: str, got: torch.Tensor, want: torch.Tensor, tol: float = TOL) -> None:
    if tuple(got.shape) != tuple(want.shape):
        failures.append(label)
        print(f"FAIL {label}: shape {tuple(got.shape)} != {tuple(want.shape)}")
        return
    err = rel_err(got, want)
    worst = int((got.double() - want.double()).abs().argmax())
    ok = err <= tol
    if not ok:
        failures.append(label)
    print(f"{'ok  ' if ok else 'FAIL'} {label}: rel L2 {err:.2e} (worst flat index {worst})")


def load(name: str, config: str, ckpt: str):
    configs = json.loads((ROOT / "manifest.json").read_text())["configs"]
    model = create_model(configs[config]).eval()
    state = torch.load(ROOT / "checkpoints" / ckpt, map_location="cpu")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    # Same names in the same order as the official module.
    if list(model.state_dict().keys()) != list(state.keys()):
        failures.append(f"{name} key order")
        print(f"FAIL {name}: state_dict key order differs from the official checkpoint")
    return model


def check_unet(name: str, config: str, ckpt: str, out_file: str | None = None) -> None:
    model = load(name, config, ckpt)
    p = f"unet/{name}_"
    kwargs = {}
    if (ROOT / f"{p}low_res.npy").exists():
        kwargs["low_res"] = npy(f"{p}low_res.npy")
    if (ROOT / f"{p}inpaint_image.npy").exists():
        kwargs["inpaint_image"] = npy(f"{p}inpaint_image.npy")
        kwargs["inpaint_mask"] = npy(f"{p}inpaint_mask.npy")
    with torch.no_grad():
        # text embeddings ('an oil painting of a corgi', '')
        t = f"text_emb/{config}_"
        proj, out = model.get_text_emb(npy(f"{t}tokens.npy"), npy(f"{t}mask.npy"))
        report(f"{name} xf_proj", proj, npy(f"{t}xf_proj.npy"))
        report(f"{name} xf_out", out, npy(f"{t}xf_out.npy"))
        got = model(npy(f"{p}x_t.npy"), npy(f"{p}timesteps.npy"), tokens=npy(f"{p}tokens.npy"),
                    mask=npy(f"{p}mask.npy"), **kwargs)
    report(f"{name} out", got, npy(out_file or f"{p}out.npy"))


def check_trace() -> None:
    """Per-block intermediates of the base model for batch element 0."""
    model = load("base trace", "base", "base.pt")
    x, ts = npy("unet/base_x_t.npy")[:1], npy("unet/base_timesteps.npy")[:1]
    tokens, mask = npy("unet/base_tokens.npy")[:1], npy("unet/base_mask.npy")[:1]
    with torch.no_grad():
        temb = timestep_embedding(ts, model.model_channels)
        report("trace timestep_embedding", temb, npy("trace/base_timestep_embedding.npy"))
        emb = model.time_embed(temb)
        report("trace time_embed", emb, npy("trace/base_time_embed.npy"))
        proj, xf_out = model.get_text_emb(tokens, mask)
        emb = emb + proj
        report("trace emb", emb, npy("trace/base_emb.npy"))
        h, hs = x, []
        for i, block in enumerate(model.input_blocks):
            h = block(h, emb, xf_out)
            hs.append(h)
            report(f"trace input_blocks.{i}", h, npy(f"trace/base_input_blocks.{i}.npy"))
        h = model.middle_block(h, emb, xf_out)
        report("trace middle_block", h, npy("trace/base_middle_block.npy"))
        for i, block in enumerate(model.output_blocks):
            h = block(torch.cat([h, hs.pop()], dim=1), emb, xf_out)
            report(f"trace output_blocks.{i}", h, npy(f"trace/base_output_blocks.{i}.npy"))
        report("trace out", model.out(h), npy("trace/base_out.npy"))


def check_clip() -> None:
    """Noised CLIP encoders (clip_image_enc.pt / clip_text_enc.pt) and the guidance gradient."""
    from clip_bpe import clip_tokenizer
    from clip_model import NoisedClip

    manifest = json.loads((ROOT / "manifest.json").read_text())
    clip = NoisedClip(manifest["configs"]["clip"]).eval()
    for part, ckpt in (("image_encoder", "clip_image_enc.pt"), ("text_encoder", "clip_text_enc.pt")):
        state = torch.load(ROOT / "checkpoints" / ckpt, map_location="cpu")
        module = getattr(clip, part)
        module.load_state_dict(state, strict=True)
        if list(module.state_dict().keys()) != list(state.keys()):
            failures.append(f"{ckpt} key order")
            print(f"FAIL {ckpt}: state_dict key order differs from the official checkpoint")
    tokens, lens = npy("clip/text_tokens.npy"), npy("clip/text_lens.npy")
    with torch.no_grad():
        report("clip text_encoder", clip.text_encoder(tokens, lens), npy("clip/text_encoder_raw.npy"))
        report("clip text_embeddings", clip.text_embeddings(tokens, lens), npy("clip/text_embeddings.npy"))
        x, t = npy("clip/image_x.npy"), npy("clip/image_t.npy")
        report("clip image_encoder", clip.image_encoder((x + 1) * 127.5, t), npy("clip/image_encoder_raw.npy"))
        report("clip image_embeddings", clip.image_embeddings(x, t), npy("clip/image_embeddings.npy"))
        # cond_fn prompts through our CLIP tokenizer, then the guidance gradient.
        ids = [clip_tokenizer().padded_tokens_and_len(clip_tokenizer().encode(p)) for p in manifest["clip"]["cond_fn_prompts"]]
        z = clip.text_embeddings(torch.tensor([i for i, _ in ids]), torch.tensor([n for _, n in ids]))
    grad = clip.cond_grad(npy("clip/cond_fn_x.npy"), npy("clip/cond_fn_t.npy"), z, manifest["clip"]["cond_fn_grad_scale"])
    report("clip cond_fn_grad", grad, npy("clip/cond_fn_grad.npy"), tol=1e-4)


def main() -> int:
    torch.set_num_threads(1)
    from bpe import check_bpe
    from clip_bpe import check_clip_bpe
    print(f"ok   GPT-2 BPE ids of {check_bpe()} ASCII fixture prompts; CLIP BPE ids of {check_clip_bpe()}")
    check_trace()
    check_clip()
    check_unet("base", "base", "base.pt")
    check_unet("upsample", "upsample", "upsample.pt")
    check_unet("base_inpaint", "base_inpaint", "base_inpaint.pt")
    check_unet("upsample_inpaint", "upsample_inpaint", "upsample_inpaint.pt")
    # fp16-rounded weights run in float32 must give the recorded base_fp16 output.
    model = load("base_fp16", "base", "base_fp16.pt")
    with torch.no_grad():
        got = model(npy("unet/base_x_t.npy"), npy("unet/base_timesteps.npy"), tokens=npy("unet/base_tokens.npy"),
                    mask=npy("unet/base_mask.npy"))
    report("base_fp16 out", got, npy("unet/base_fp16_out.npy"))
    # Our fp16 writer must reproduce the official split of dtypes exactly.
    from glide_model import fp16_state_dict
    official = torch.load(ROOT / "checkpoints" / "base_fp16.pt", map_location="cpu")
    ours = fp16_state_dict(model)
    bad = [k for k in official if official[k].dtype != ours[k].dtype]
    if bad:
        failures.append("fp16 dtype split")
        print(f"FAIL fp16_state_dict dtypes differ for {len(bad)} tensors, e.g. {bad[:3]}")
    else:
        print(f"ok   fp16_state_dict: dtypes of all {len(official)} tensors match base_fp16.pt")
    print("FAILED: " + ", ".join(failures) if failures else "all fixture checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
