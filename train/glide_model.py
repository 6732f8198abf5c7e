"""GLIDE text-conditional UNets (base, upsample, and their inpainting variants) in PyTorch.

Written for glide-studio from the architecture description in test/fixtures/glide/README.md. Every
module is registered under the same attribute path as OpenAI's glide-text2im, so
`model.state_dict()` has exactly the official tensor names and order, and the official checkpoints
load with `load_state_dict(strict=True)`. This module is both our training model (train_glide.py)
and the PyTorch reference for benchmarks, so it has no training-only behaviour beyond dropout.

Shapes: N batch, C channels, S image side, L = text_ctx, W = xf_width.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

# GPT-2 BPE vocabulary size; the last id (50256, <|endoftext|>) pads captions.
N_VOCAB = 50257


@dataclass
class GlideOptions:
    """The official `model_and_diffusion_defaults()` option names, already parsed.

    `attention_resolutions` holds image resolutions (e.g. 16, 8) as in the official options,
    not downsampling factors.
    """

    image_size: int = 64
    num_channels: int = 192
    num_res_blocks: int = 3
    channel_mult: tuple = ()
    num_heads: int = 1
    num_head_channels: int = 64
    num_heads_upsample: int = -1
    attention_resolutions: tuple = (32, 16, 8)
    dropout: float = 0.0
    text_ctx: int = 128
    xf_width: int = 512
    xf_layers: int = 16
    xf_heads: int = 8
    xf_final_ln: bool = True
    xf_padding: bool = True
    diffusion_steps: int = 1000
    noise_schedule: str = "squaredcos_cap_v2"
    use_scale_shift_norm: bool = True
    resblock_updown: bool = True
    inpaint: bool = False
    super_res: bool = False

    @staticmethod
    def from_dict(d: dict) -> "GlideOptions":
        """Build from an official kwargs dict (strings like "1,2,2" / "16,8" accepted)."""
        known = {f for f in GlideOptions.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        for key in ("channel_mult", "attention_resolutions"):
            v = kw.get(key)
            if isinstance(v, str):
                kw[key] = tuple(int(s) for s in v.split(",") if s.strip())
            elif v is not None:
                kw[key] = tuple(int(s) for s in v)
        return GlideOptions(**kw)

    def resolved_channel_mult(self) -> tuple:
        """Official defaults per image size when channel_mult is empty."""
        if self.channel_mult:
            return tuple(self.channel_mult)
        defaults = {256: (1, 1, 2, 2, 4, 4), 128: (1, 1, 2, 3, 4), 64: (1, 2, 3, 4)}
        if self.image_size not in defaults:
            raise ValueError(f"no default channel_mult for image_size {self.image_size}")
        return defaults[self.image_size]

    def sidecar(self) -> dict:
        """The JSON sidecar written next to a checkpoint: official names, strings as the CLI takes them."""
        d = asdict(self)
        d["channel_mult"] = ",".join(str(m) for m in self.resolved_channel_mult())
        d["attention_resolutions"] = ",".join(str(r) for r in self.attention_resolutions)
        return d


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (original-scale) timesteps: [N] -> [N, dim] as [cos | sin]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = timesteps[:, None].float() * freqs[None].to(timesteps.device)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class GroupNorm32(nn.GroupNorm):
    """GroupNorm with 32 groups computed in float32 (the official models run it in fp32 under fp16)."""

    def __init__(self, channels: int):
        super().__init__(32, channels, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.float()).to(x.dtype)


class LayerNorm(nn.LayerNorm):
    """LayerNorm computed in float32."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.float()).to(x.dtype)


# ---------------------------------------------------------------------------------------------
# Text transformer (names: transformer.resblocks.<i>.{attn.c_qkv, attn.c_proj, ln_1, mlp.c_fc,
# mlp.c_proj, ln_2})
# ---------------------------------------------------------------------------------------------


class XfAttention(nn.Module):
    """Non-causal, unmasked self-attention with a fused qkv projection."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.c_qkv = nn.Linear(width, width * 3)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [N, L, W]; c_qkv output is split per head into [q | k | v] chunks of width W/heads.
        n, length, _ = x.shape
        qkv = self.c_qkv(x).view(n, length, self.heads, -1)
        ch = qkv.shape[-1] // 3
        q, k, v = qkv.split(ch, dim=-1)  # each [N, L, H, ch]
        # Scaling q and k by ch^-1/4 each (instead of the product by ch^-1/2) matches the fp16-safe
        # official order of operations.
        scale = ch ** -0.25
        w = torch.einsum("nthc,nshc->nhts", q * scale, k * scale)
        w = torch.softmax(w.float(), dim=-1).to(w.dtype)
        out = torch.einsum("nhts,nshc->nthc", w, v).reshape(n, length, -1)
        return self.c_proj(out)


class XfMlp(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.c_fc = nn.Linear(width, width * 4)
        self.c_proj = nn.Linear(width * 4, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))  # exact (erf) GELU


class XfBlock(nn.Module):
    """Pre-LN transformer block. Registration order (attn, ln_1, mlp, ln_2) fixes state-dict order."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.attn = XfAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = XfMlp(width)
        self.ln_2 = LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.resblocks = nn.ModuleList([XfBlock(width, heads) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x)
        return x


# ---------------------------------------------------------------------------------------------
# UNet blocks
# ---------------------------------------------------------------------------------------------


class ResBlock(nn.Module):
    """Residual block with timestep conditioning; optional 2x down (avg-pool) or up (nearest) resampling.

    Official layout: in_layers = [GroupNorm, SiLU, conv3x3], emb_layers = [SiLU, Linear],
    out_layers = [GroupNorm, SiLU, Dropout, conv3x3]; with use_scale_shift_norm the embedding gives
    (scale, shift) applied as norm(h) * (1 + scale) + shift before out_layers[1:].
    """

    def __init__(self, channels: int, emb_channels: int, dropout: float, out_channels: int,
                 use_scale_shift_norm: bool, up: bool = False, down: bool = False):
        super().__init__()
        self.use_scale_shift_norm = use_scale_shift_norm
        self.up, self.down = up, down
        self.in_layers = nn.Sequential(GroupNorm32(channels), nn.SiLU(),
                                       nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels))
        self.out_layers = nn.Sequential(GroupNorm32(out_channels), nn.SiLU(), nn.Dropout(p=dropout),
                                        nn.Conv2d(out_channels, out_channels, 3, padding=1))
        if out_channels == channels:
            self.skip_connection = nn.Identity()
        else:
            self.skip_connection = nn.Conv2d(channels, out_channels, 1)

    def _resample(self, x: torch.Tensor) -> torch.Tensor:
        if self.up:
            return F.interpolate(x, scale_factor=2, mode="nearest")
        if self.down:
            return F.avg_pool2d(x, kernel_size=2, stride=2)
        return x

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        # x: [N, C, S, S], emb: [N, 4*num_channels] -> [N, C_out, S', S']
        if self.up or self.down:
            # Resampling sits between the norm/activation and the convolution, on both paths.
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.in_layers[2](self._resample(h))
            x = self._resample(x)
        else:
            h = self.in_layers(x)
        emb_out = self.emb_layers(emb).to(h.dtype)[:, :, None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            for layer in self.out_layers[1:]:
                h = layer(h)
        else:
            h = self.out_layers(h + emb_out)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Spatial self-attention whose keys/values are prefixed with projected text tokens (encoder_kv)."""

    def __init__(self, channels: int, num_heads: int, num_head_channels: int, encoder_channels: Optional[int]):
        super().__init__()
        if num_head_channels == -1:
            self.num_heads = num_heads
        else:
            if channels % num_head_channels:
                raise ValueError(f"attention channels {channels} not divisible by num_head_channels {num_head_channels}")
            self.num_heads = channels // num_head_channels
        self.norm = GroupNorm32(channels)
        self.qkv = nn.Conv1d(channels, channels * 3, 1)
        if encoder_channels is not None:
            self.encoder_kv = nn.Conv1d(encoder_channels, channels * 2, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor, encoder_out: Optional[torch.Tensor] = None) -> torch.Tensor:
        # x: [N, C, H, W]; encoder_out: [N, W_xf, L] (channel-first text features)
        n, c, hgt, wid = x.shape
        qkv = self.qkv(self.norm(x).reshape(n, c, -1))  # [N, 3C, T]
        heads = self.num_heads
        ch = c // heads
        # Channels are grouped per head as [q | k | v] (each ch wide), not as [all q | all k | all v].
        q, k, v = qkv.reshape(n * heads, 3 * ch, -1).split(ch, dim=1)  # [N*H, ch, T]
        if encoder_out is not None:
            ekv = self.encoder_kv(encoder_out)  # [N, 2C, L]
            ek, ev = ekv.reshape(n * heads, 2 * ch, -1).split(ch, dim=1)
            # Text keys/values come first: [text (L) | pixels (T)].
            k = torch.cat([ek, k], dim=-1)
            v = torch.cat([ev, v], dim=-1)
        scale = ch ** -0.25
        w = torch.einsum("bct,bcs->bts", q * scale, k * scale)  # [N*H, T, L+T]
        w = torch.softmax(w.float(), dim=-1).to(w.dtype)
        a = torch.einsum("bts,bcs->bct", w, v).reshape(n, c, -1)
        return x + self.proj_out(a).reshape(n, c, hgt, wid)


class Downsample(nn.Module):
    """Strided 3x3 conv downsampling (only when resblock_updown is False)."""

    def __init__(self, channels: int):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Nearest 2x upsampling then a 3x3 conv (only when resblock_updown is False)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class TimestepEmbedSequential(nn.Sequential):
    """Runs its layers, giving ResBlocks the embedding and attention blocks the text features."""

    def forward(self, x: torch.Tensor, emb: torch.Tensor, encoder_out: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, AttentionBlock):
                x = layer(x, encoder_out)
            else:
                x = layer(x)
        return x


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class Text2ImUNet(nn.Module):
    """GLIDE's text-conditional UNet. Subclasses add the super-res / inpaint input channels.

    Registration order mirrors the official classes so state_dict() keys come out in the official
    order: own parameters (positional_embedding, padding_embedding) first, then time_embed,
    input_blocks, middle_block, output_blocks, out, transformer, final_ln, token_embedding,
    transformer_proj.
    """

    extra_in_channels = 0  # per image channel multiple added by subclasses, see in_channels()

    def __init__(self, opts: GlideOptions):
        super().__init__()
        self.opts = opts
        mc = opts.num_channels
        mult = opts.resolved_channel_mult()
        attention_ds = {opts.image_size // r for r in opts.attention_resolutions}
        heads_up = opts.num_heads if opts.num_heads_upsample == -1 else opts.num_heads_upsample
        enc = opts.xf_width if opts.xf_width else None
        emb_dim = mc * 4
        self.model_channels = mc

        self.time_embed = nn.Sequential(nn.Linear(mc, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

        ch = input_ch = int(mult[0] * mc)
        self.input_blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(self.in_channels(), ch, 3, padding=1))])
        chans = [ch]
        ds = 1
        for level, m in enumerate(mult):
            for _ in range(opts.num_res_blocks):
                layers = [ResBlock(ch, emb_dim, opts.dropout, int(m * mc), opts.use_scale_shift_norm)]
                ch = int(m * mc)
                if ds in attention_ds:
                    layers.append(AttentionBlock(ch, opts.num_heads, opts.num_head_channels, enc))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                chans.append(ch)
            if level != len(mult) - 1:
                if opts.resblock_updown:
                    down = ResBlock(ch, emb_dim, opts.dropout, ch, opts.use_scale_shift_norm, down=True)
                else:
                    down = Downsample(ch)
                self.input_blocks.append(TimestepEmbedSequential(down))
                chans.append(ch)
                ds *= 2

        self.middle_block = TimestepEmbedSequential(
            ResBlock(ch, emb_dim, opts.dropout, ch, opts.use_scale_shift_norm),
            AttentionBlock(ch, opts.num_heads, opts.num_head_channels, enc),
            ResBlock(ch, emb_dim, opts.dropout, ch, opts.use_scale_shift_norm),
        )

        self.output_blocks = nn.ModuleList([])
        for level, m in list(enumerate(mult))[::-1]:
            for i in range(opts.num_res_blocks + 1):
                skip_ch = chans.pop()
                layers = [ResBlock(ch + skip_ch, emb_dim, opts.dropout, int(mc * m), opts.use_scale_shift_norm)]
                ch = int(mc * m)
                if ds in attention_ds:
                    layers.append(AttentionBlock(ch, heads_up, opts.num_head_channels, enc))
                if level and i == opts.num_res_blocks:
                    if opts.resblock_updown:
                        layers.append(ResBlock(ch, emb_dim, opts.dropout, ch, opts.use_scale_shift_norm, up=True))
                    else:
                        layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))

        self.out = nn.Sequential(GroupNorm32(ch), nn.SiLU(), nn.Conv2d(input_ch, 6, 3, padding=1))

        if opts.xf_width:
            w = opts.xf_width
            self.transformer = Transformer(w, opts.xf_layers, opts.xf_heads)
            self.final_ln = LayerNorm(w) if opts.xf_final_ln else None
            self.token_embedding = nn.Embedding(N_VOCAB, w)
            self.positional_embedding = nn.Parameter(torch.empty(opts.text_ctx, w))
            self.transformer_proj = nn.Linear(w, emb_dim)
            if opts.xf_padding:
                self.padding_embedding = nn.Parameter(torch.empty(opts.text_ctx, w))
        self.reset_parameters()

    def in_channels(self) -> int:
        return 3

    def reset_parameters(self) -> None:
        """Training initialisation: PyTorch defaults, small text tables, and (as the official
        constructors do) zeroed output convolutions of every residual branch and of the model."""
        if self.opts.xf_width:
            nn.init.normal_(self.token_embedding.weight, std=0.02)
            nn.init.normal_(self.positional_embedding, std=0.01)
            if self.opts.xf_padding:
                nn.init.normal_(self.padding_embedding, std=0.01)
        for mod in self.modules():
            if isinstance(mod, ResBlock):
                nn.init.zeros_(mod.out_layers[3].weight)
                nn.init.zeros_(mod.out_layers[3].bias)
            elif isinstance(mod, AttentionBlock):
                nn.init.zeros_(mod.proj_out.weight)
                nn.init.zeros_(mod.proj_out.bias)
        nn.init.zeros_(self.out[2].weight)
        nn.init.zeros_(self.out[2].bias)

    def get_text_emb(self, tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens [N, L] int, mask [N, L] bool -> (xf_proj [N, 4*num_channels], xf_out [N, W, L])."""
        xf_in = self.token_embedding(tokens.long()) + self.positional_embedding[None]
        if self.opts.xf_padding:
            # Padding positions take a learned per-position row instead of token + position.
            xf_in = torch.where(mask[..., None], xf_in, self.padding_embedding[None])
        xf_out = self.transformer(xf_in)
        if self.final_ln is not None:
            xf_out = self.final_ln(xf_out)
        # The summary vector is the LAST position (a padding slot for short captions), not the EOT token.
        xf_proj = self.transformer_proj(xf_out[:, -1])
        return xf_proj, xf_out.permute(0, 2, 1)

    def unet_forward(self, h: torch.Tensor, timesteps: torch.Tensor, tokens: Optional[torch.Tensor],
                     mask: Optional[torch.Tensor]) -> torch.Tensor:
        """h [N, in_channels, S, S] (already concatenated conditioning), timesteps [N] original scale
        -> [N, 6, S, S] (ε | variance interpolation v)."""
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels))
        xf_out = None
        if self.opts.xf_width:
            xf_proj, xf_out = self.get_text_emb(tokens, mask)
            emb = emb + xf_proj.to(emb.dtype)
        hs = []
        for module in self.input_blocks:
            h = module(h, emb, xf_out)
            hs.append(h)
        h = self.middle_block(h, emb, xf_out)
        for module in self.output_blocks:
            h = module(torch.cat([h, hs.pop()], dim=1), emb, xf_out)
        return self.out(h)

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, tokens: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None, **cond) -> torch.Tensor:
        return self.unet_forward(x, timesteps, tokens, mask)


def _upsample_low_res(low_res: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    # low_res [N, 3, s, s] -> [N, 3, S, S], bilinear with align_corners=False as the official models.
    return F.interpolate(low_res, like.shape[-2:], mode="bilinear", align_corners=False)


class SuperResText2ImUNet(Text2ImUNet):
    """Input channels [x, bilinear(low_res)]."""

    def in_channels(self) -> int:
        return 6

    def forward(self, x, timesteps, tokens=None, mask=None, low_res=None, **cond):
        return self.unet_forward(torch.cat([x, _upsample_low_res(low_res, x)], dim=1), timesteps, tokens, mask)


def _inpaint_inputs(x, inpaint_image, inpaint_mask):
    # mask is 1 where the image is known (kept), 0 where it is to be generated.
    if inpaint_image is None:
        inpaint_image = torch.zeros_like(x)
    if inpaint_mask is None:
        inpaint_mask = torch.zeros_like(x[:, :1])
    return [x, inpaint_image * inpaint_mask, inpaint_mask]


class InpaintText2ImUNet(Text2ImUNet):
    """Input channels [x, inpaint_image * mask, mask]."""

    def in_channels(self) -> int:
        return 7

    def forward(self, x, timesteps, tokens=None, mask=None, inpaint_image=None, inpaint_mask=None, **cond):
        return self.unet_forward(torch.cat(_inpaint_inputs(x, inpaint_image, inpaint_mask), dim=1),
                                 timesteps, tokens, mask)


class SuperResInpaintText2ImUnet(Text2ImUNet):
    """Input channels [x, inpaint_image * mask, mask, bilinear(low_res)]."""

    def in_channels(self) -> int:
        return 10

    def forward(self, x, timesteps, tokens=None, mask=None, inpaint_image=None, inpaint_mask=None,
                low_res=None, **cond):
        parts = _inpaint_inputs(x, inpaint_image, inpaint_mask) + [_upsample_low_res(low_res, x)]
        return self.unet_forward(torch.cat(parts, dim=1), timesteps, tokens, mask)


def create_model(opts: GlideOptions | dict) -> Text2ImUNet:
    """The model class for the options' inpaint/super_res flags, as the official create_model."""
    if isinstance(opts, dict):
        opts = GlideOptions.from_dict(opts)
    if opts.inpaint and opts.super_res:
        return SuperResInpaintText2ImUnet(opts)
    if opts.inpaint:
        return InpaintText2ImUNet(opts)
    if opts.super_res:
        return SuperResText2ImUNet(opts)
    return Text2ImUNet(opts)


# Parameters the official convert_to_fp16() leaves in float32 (norms, embeddings of time and
# position, the output head); everything else is stored as float16 in half-precision checkpoints.
def fp16_state_dict(model: Text2ImUNet) -> "dict[str, torch.Tensor]":
    """state_dict with the official fp16 split: convs inside input/middle/output blocks, every
    Linear of the text transformer, transformer_proj and token_embedding in float16."""
    half_prefixes: list[str] = []
    for prefix in ("input_blocks", "middle_block", "output_blocks"):
        for name, mod in model.named_modules():
            if name.startswith(prefix) and isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                half_prefixes.append(name + ".")
    for name, mod in model.named_modules():
        if name.startswith("transformer.") and isinstance(mod, nn.Linear):
            half_prefixes.append(name + ".")
    half_prefixes += ["transformer_proj.", "token_embedding."]
    src = model.state_dict()
    out = OrderedDict()
    for key, value in src.items():
        value = value.detach().clone()
        out[key] = value.half() if any(key.startswith(p) for p in half_prefixes) else value.float()
    # Keep the per-module version metadata torch.save writes for a plain state_dict().
    out._metadata = getattr(src, "_metadata", None)
    return out
