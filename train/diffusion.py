"""Gaussian diffusion for training the demo models: schedules, q(x_t|x_0), the improved-DDPM hybrid
loss with learned-range variance, and a small ancestral sampler (with classifier-free guidance) for
previews. Same formulas as GLIDE / improved-diffusion; schedules are built in float64 as there.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def named_betas(schedule: str, steps: int) -> np.ndarray:
    """"linear" (scaled DDPM) or "squaredcos_cap_v2" (cosine alpha-bar, betas capped at 0.999)."""
    if schedule == "linear":
        scale = 1000 / steps
        return np.linspace(scale * 0.0001, scale * 0.02, steps, dtype=np.float64)
    if schedule == "squaredcos_cap_v2":
        def abar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return np.array([min(1 - abar((i + 1) / steps) / abar(i / steps), 0.999) for i in range(steps)],
                        dtype=np.float64)
    raise ValueError(f"unknown noise_schedule {schedule!r}")


def space_timesteps(steps: int, count: int) -> list[int]:
    """`count` evenly spaced original timesteps (the official respacing for a plain integer)."""
    if count == 1:
        return [0]
    stride = (steps - 1) / (count - 1)
    return sorted({round(i * stride) for i in range(count)})


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def _approx_std_normal_cdf(x):
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def discretized_gaussian_log_likelihood(x, means, log_scales):
    """log p(x) of 8-bit data in [-1, 1] under a Gaussian, integrated over each 2/255 bin."""
    centered = x - means
    inv_std = torch.exp(-log_scales)
    cdf_plus = _approx_std_normal_cdf(inv_std * (centered + 1.0 / 255.0))
    cdf_min = _approx_std_normal_cdf(inv_std * (centered - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    log_delta = torch.log((cdf_plus - cdf_min).clamp(min=1e-12))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, log_delta))


def mean_flat(x):
    return x.mean(dim=list(range(1, x.ndim)))


class Diffusion:
    """A (possibly respaced) diffusion process; `timestep_map[i]` is the original timestep the model sees."""

    def __init__(self, betas: np.ndarray, timestep_map: list[int] | None = None):
        self.betas = betas
        self.num_timesteps = len(betas)
        self.timestep_map = torch.tensor(timestep_map if timestep_map is not None else range(len(betas)))
        ac = np.cumprod(1.0 - betas)
        ac_prev = np.append(1.0, ac[:-1])
        post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
        arrays = {
            "sqrt_ac": np.sqrt(ac),
            "sqrt_1m_ac": np.sqrt(1.0 - ac),
            "sqrt_recip_ac": np.sqrt(1.0 / ac),
            "sqrt_recipm1_ac": np.sqrt(1.0 / ac - 1),
            "post_log_var": np.log(np.append(post_var[1], post_var[1:])),
            "coef1": betas * np.sqrt(ac_prev) / (1.0 - ac),
            "coef2": (1.0 - ac_prev) * np.sqrt(1.0 - betas) / (1.0 - ac),
            "log_betas": np.log(betas),
        }
        self.t = {k: torch.from_numpy(v) for k, v in arrays.items()}

    @staticmethod
    def create(schedule: str, steps: int = 1000, respace: int | None = None) -> "Diffusion":
        betas = named_betas(schedule, steps)
        if not respace or respace == steps:
            return Diffusion(betas)
        use = space_timesteps(steps, respace)
        ac = np.cumprod(1.0 - betas)
        new_betas, last = [], 1.0
        for i in use:
            new_betas.append(1 - ac[i] / last)
            last = ac[i]
        return Diffusion(np.array(new_betas), use)

    def _at(self, name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        # Pick float64 schedule values, then compute in float32 (as the official sampler).
        return self.t[name][t].float().view(-1, *([1] * (like.ndim - 1)))

    def q_sample(self, x0, t, noise):
        return self._at("sqrt_ac", t, x0) * x0 + self._at("sqrt_1m_ac", t, x0) * noise

    def q_posterior(self, x0, xt, t):
        mean = self._at("coef1", t, xt) * x0 + self._at("coef2", t, xt) * xt
        return mean, self._at("post_log_var", t, xt)

    def p_mean_variance(self, out, xt, t, clip=True, denoised_fn=None):
        """out [N, 6, S, S] = (ε, v) -> mean, log-variance, x0. log_var = f·log β + (1-f)·log β̃, f=(v+1)/2."""
        eps, v = out[:, :3], out[:, 3:]
        frac = (v + 1) / 2
        log_var = frac * self._at("log_betas", t, xt) + (1 - frac) * self._at("post_log_var", t, xt)
        x0 = self._at("sqrt_recip_ac", t, xt) * xt - self._at("sqrt_recipm1_ac", t, xt) * eps
        if denoised_fn is not None:
            x0 = denoised_fn(x0)
        if clip:
            x0 = x0.clamp(-1, 1)
        mean, _ = self.q_posterior(x0, xt, t)
        return mean, log_var, x0

    def training_losses(self, model, x0, t, noise, model_kwargs) -> dict:
        """Hybrid loss L_simple + λ·L_vlb with λ = 0.001: `vb` is one uniformly sampled term of the
        variational bound (in bits per dimension), weighted by num_timesteps/1000 so that its
        expectation is 0.001·Σ_t L_t. The vb term sees the mean through a stop-gradient, so it only
        trains the variance (improved DDPM, Nichol & Dhariwal 2021)."""
        xt = self.q_sample(x0, t, noise)
        out = model(xt, self.timestep_map[t], **model_kwargs)
        eps = out[:, :3]
        mse = mean_flat((noise - eps.float()) ** 2)
        frozen = torch.cat([eps.detach(), out[:, 3:]], dim=1).float()
        true_mean, true_log_var = self.q_posterior(x0, xt, t)
        mean, log_var, _ = self.p_mean_variance(frozen, xt, t, clip=False)
        kl = mean_flat(normal_kl(true_mean, true_log_var, mean, log_var)) / math.log(2.0)
        nll = -mean_flat(discretized_gaussian_log_likelihood(x0, mean, 0.5 * log_var)) / math.log(2.0)
        vb = torch.where(t == 0, nll, kl) * (self.num_timesteps / 1000.0)
        return {"loss": mse + vb, "mse": mse, "vb": vb}

    @torch.no_grad()
    def sample(self, model_fn, shape, generator: torch.Generator, noise_scale: float = 1.0,
               denoised_fn=None) -> torch.Tensor:
        """Ancestral sampling from x_T = noise_scale·N(0, I); model_fn(x, original_t) -> [N, 6, S, S]."""
        x = torch.randn(shape, generator=generator) * noise_scale
        for i in reversed(range(self.num_timesteps)):
            t = torch.full((shape[0],), i, dtype=torch.long)
            mean, log_var, _ = self.p_mean_variance(model_fn(x, self.timestep_map[t]), x, t, denoised_fn=denoised_fn)
            noise = torch.randn(shape, generator=generator)
            x = mean + (i > 0) * torch.exp(0.5 * log_var) * noise
        return x


def guided(model, guidance_scale: float, **cond):
    """Classifier-free guidance as the GLIDE notebooks: cond kwargs hold [cond rows | uncond rows];
    ε_g = ε_u + s(ε_c − ε_u) for both halves, the variance channels stay per row."""
    def fn(x, t):
        half = x[: len(x) // 2]
        out = model(torch.cat([half, half]), t, **cond)
        eps, rest = out[:, :3], out[:, 3:]
        cond_eps, uncond_eps = eps.chunk(2)
        g = uncond_eps + guidance_scale * (cond_eps - uncond_eps)
        return torch.cat([torch.cat([g, g]), rest], dim=1)
    return fn
