"""GLIDE's noised CLIP (image encoder conditioned on the diffusion timestep + text encoder) in PyTorch.

Module paths equal the official glide_text2im.clip encoders, so `state_dict()` matches
`clip_image_enc.pt` / `clip_text_enc.pt` name for name (checked by check_against_fixtures.py).
Numerics from the fixture README's CLIP notes: pre-LN blocks, q/k/v projections (k without bias),
contiguous heads, q and k each scaled by d^-1/4, additive -1e10 masks (causal for text), text
feature at position len-1, image feature at token 0 (the timestep token w_t[t]).

Options use the official config.yaml names: image_size, patch_size, n_vocab, max_text_len, n_embd,
n_head_state_text, n_head_text, n_xf_blocks_text, n_head_state_image, n_head_image,
n_xf_blocks_image, n_timesteps, logit_scale.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# CLIP's image normalisation, in 0..255 units.
IMAGE_MEANS = (122.77093945, 116.74601272, 104.09373519)
IMAGE_STDS = (68.50053285, 66.63215831, 70.32316309)


class ClipLayerNorm(nn.Module):
    """LayerNorm with parameters named g/b, computed in float32."""

    def __init__(self, n: int):
        super().__init__()
        self.g = nn.Parameter(torch.ones(n))
        self.b = nn.Parameter(torch.zeros(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x.float(), (x.shape[-1],), self.g, self.b, 1e-5)


class Affine(nn.Module):
    """Linear layer with parameters named w (out, in) and optional b."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True, std: float | None = None):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_out, n_in) * (std if std is not None else math.sqrt(2 / (n_in + n_out))))
        if bias:
            self.b = nn.Parameter(torch.zeros(n_out))
        else:
            self.b = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.w, self.b)


class AttentionResblock(nn.Module):
    def __init__(self, n_state: int, n_heads: int, n_resblocks: int):
        super().__init__()
        self.n_heads = n_heads
        self.ln = ClipLayerNorm(n_state)
        self.f_q = Affine(n_state, n_state, std=1 / math.sqrt(n_state))
        self.f_k = Affine(n_state, n_state, bias=False, std=1 / math.sqrt(n_state))
        self.f_v = Affine(n_state, n_state, std=1 / math.sqrt(n_state))
        self.f_c = Affine(n_state, n_state, std=1 / math.sqrt(n_state * n_resblocks ** 2))

    def forward(self, m: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        # m: [N, T, D]; bias: [T, T] additive mask (0 or -1e10) or None
        n, t, d = m.shape
        r = self.ln(m)
        hd = d // self.n_heads
        q, k, v = (f(r).view(n, t, self.n_heads, hd).transpose(1, 2) for f in (self.f_q, self.f_k, self.f_v))
        scale = hd ** -0.25
        w = torch.einsum("nhqd,nhkd->nhqk", q * scale, k * scale)
        if bias is not None:
            w = w + bias
        w = torch.softmax(w, dim=-1)
        r = torch.einsum("nhqk,nhkd->nhqd", w, v).transpose(1, 2).reshape(n, t, d)
        return m + self.f_c(r)


class FullyConnectedResblock(nn.Module):
    def __init__(self, n_state: int, n_resblocks: int):
        super().__init__()
        self.ln = ClipLayerNorm(n_state)
        self.f_1 = Affine(n_state, 4 * n_state, std=math.sqrt(2 / (4 * n_state)))
        self.f_2 = Affine(4 * n_state, n_state, std=1 / math.sqrt(n_state * n_resblocks ** 2))

    def forward(self, m: torch.Tensor) -> torch.Tensor:
        return m + self.f_2(F.gelu(self.f_1(self.ln(m))))


class TransformerBlock(nn.Module):
    def __init__(self, n_state: int, n_heads: int, n_resblocks: int):
        super().__init__()
        self.f_attn = AttentionResblock(n_state, n_heads, n_resblocks)
        self.f_mlp = FullyConnectedResblock(n_state, n_resblocks)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        return self.f_mlp(self.f_attn(x, bias))


class TextEmbedding(nn.Module):
    def __init__(self, n_vocab: int, n_ctx: int, n_state: int):
        super().__init__()
        self.w_voc = nn.Parameter(torch.randn(n_vocab, n_state) * 0.02)
        self.w_pos = nn.Parameter(torch.randn(n_ctx, n_state) * 0.01)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.embedding(tokens, self.w_voc) + self.w_pos[None]


class ImageEmbedding(nn.Module):
    def __init__(self, image_size: int, patch_size: int, n_state: int, n_timestep: int):
        super().__init__()
        n_patch = image_size // patch_size
        self.patch_size = patch_size
        self.w_t = nn.Parameter(torch.randn(n_timestep, n_state) / math.sqrt(n_state))
        self.patch_proj = nn.Parameter(torch.randn(n_state, 3, patch_size, patch_size)
                                       * math.sqrt(2 / (n_state * patch_size ** 2)))
        self.w_pos = nn.Parameter(torch.randn(1 + n_patch ** 2, n_state) / math.sqrt(n_state))
        self.ln = ClipLayerNorm(n_state)
        self.register_buffer("means", torch.tensor(IMAGE_MEANS)[None, :, None, None], persistent=False)
        self.register_buffer("stds", torch.tensor(IMAGE_STDS)[None, :, None, None], persistent=False)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        # x: [N, 3, S, S] in 0..255 units; t: [N] original timesteps -> [N, 1 + (S/p)^2, D]
        x = (x - self.means) / self.stds
        x = F.conv2d(x, self.patch_proj, stride=self.patch_size)
        x = x.flatten(2).transpose(1, 2)  # patches row-major
        # A learned per-timestep token stands where CLIP has its class token.
        x = torch.cat([self.w_t[t][:, None], x], dim=1) + self.w_pos[None]
        return self.ln(x)


class TextFeatureExtractor(nn.Module):
    def __init__(self, n_state: int, n_embd: int):
        super().__init__()
        self.ln = ClipLayerNorm(n_state)
        self.f = Affine(n_state, n_embd, bias=False)

    def forward(self, h: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        x = h[torch.arange(h.shape[0]), lens - 1]  # the end token
        return self.f(self.ln(x))


class ImageFeatureExtractor(nn.Module):
    def __init__(self, n_state: int, n_embd: int):
        super().__init__()
        self.ln = ClipLayerNorm(n_state)
        self.f = Affine(n_state, n_embd, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.f(self.ln(h[:, 0]))


class TextEncoder(nn.Module):
    def __init__(self, n_vocab: int, max_text_len: int, n_embd: int, n_head: int, n_xf_blocks: int, n_head_state: int):
        super().__init__()
        n_state = n_head * n_head_state
        self.n_xf_blocks = n_xf_blocks
        blocks = {"input": TextEmbedding(n_vocab, max_text_len, n_state)}
        for i in range(n_xf_blocks):
            blocks[f"block_{i}"] = TransformerBlock(n_state, n_head, 2 * n_xf_blocks)
        blocks["output"] = TextFeatureExtractor(n_state, n_embd)
        self.blocks = nn.ModuleDict(blocks)
        causal = torch.full((max_text_len, max_text_len), -1e10).triu(1)
        self.register_buffer("causal", causal, persistent=False)

    def forward(self, tokens: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """tokens [N, 77] (start, ids, end, zero padding), lens [N] incl. start/end -> [N, n_embd]."""
        h = self.blocks["input"](tokens)
        for i in range(self.n_xf_blocks):
            h = self.blocks[f"block_{i}"](h, self.causal)
        return self.blocks["output"](h, lens)


class ImageEncoder(nn.Module):
    def __init__(self, image_size: int, patch_size: int, n_embd: int, n_head: int, n_xf_blocks: int,
                 n_head_state: int, n_timestep: int):
        super().__init__()
        n_state = n_head * n_head_state
        self.n_xf_blocks = n_xf_blocks
        blocks = {"input": ImageEmbedding(image_size, patch_size, n_state, n_timestep)}
        for i in range(n_xf_blocks):
            blocks[f"block_{i}"] = TransformerBlock(n_state, n_head, 2 * n_xf_blocks)
        blocks["output"] = ImageFeatureExtractor(n_state, n_embd)
        self.blocks = nn.ModuleDict(blocks)

    def forward(self, image: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """image [N, 3, S, S] in 0..255 units, t [N] -> [N, n_embd]."""
        h = self.blocks["input"](image, t)
        for i in range(self.n_xf_blocks):
            h = self.blocks[f"block_{i}"](h, None)
        return self.blocks["output"](h)


class NoisedClip(nn.Module):
    """Both encoders plus the (fixed) logit scale; cond_fn as the official CLIP guidance."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = dict(cfg)
        self.text_encoder = TextEncoder(cfg["n_vocab"], cfg["max_text_len"], cfg["n_embd"], cfg["n_head_text"],
                                        cfg["n_xf_blocks_text"], cfg["n_head_state_text"])
        self.image_encoder = ImageEncoder(cfg["image_size"], cfg["patch_size"], cfg["n_embd"], cfg["n_head_image"],
                                          cfg["n_xf_blocks_image"], cfg["n_head_state_image"], cfg["n_timesteps"])
        # Stored as float32 log, used through its float32 exp (100.00000762939453 for 100).
        self.logit_scale = float(torch.exp(torch.tensor(math.log(cfg["logit_scale"]), dtype=torch.float32)))

    def text_embeddings(self, tokens: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        z = self.text_encoder(tokens, lens)
        return z / (torch.linalg.norm(z, dim=-1, keepdim=True) + 1e-12)

    def image_embeddings(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x in [-1, 1]."""
        z = self.image_encoder((x + 1) * 127.5, t)
        return z / (torch.linalg.norm(z, dim=-1, keepdim=True) + 1e-12)

    def cond_grad(self, x: torch.Tensor, t: torch.Tensor, z_text: torch.Tensor, grad_scale: float) -> torch.Tensor:
        """∂/∂x [logit_scale · Σ z_text·z_image(x, t)] · grad_scale."""
        with torch.enable_grad():
            xv = x.detach().requires_grad_(True)
            loss = self.logit_scale * (z_text * self.image_embeddings(xv, t)).sum()
            return torch.autograd.grad(loss, xv)[0] * grad_scale
