// self_attention_backward: gradients of q, k, v of Backend::self_attention, per (sample, head), with the
// probabilities P recomputed from the scaled q̃ = q·s, k̃ = k·s (s = d^(-1/4)):
//   dv = Pᵀ·do,  dP = do·vᵀ,  dS = P ∘ (dP − rowsum(do ∘ o)),  dq = s·dS·k̃,  dk = s·dSᵀ·q̃
// Masked (future) keys have P = 0 and so receive no gradient, as with the reference's -1e10 bias.
#include "core/aligned_buffer.h"
#include "core/error.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/gemm.h"
#include "ops/cpu/self_attention.h"

namespace glide::cpu {

void self_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                             const Tensor& dout, int heads, bool causal, Tensor& dq, Tensor& dk, Tensor& dv) {
  check(q.rank() == 3 && k.shape() == q.shape() && v.shape() == q.shape() && out.shape() == q.shape() &&
            dout.shape() == q.shape(),
        "self_attention_backward: q, k, v, out and dout must be equal [N, L, C], got q ", shape_str(q.shape()),
        ", dout ", shape_str(dout.shape()));
  check(heads > 0 && q.dim(2) % heads == 0, "self_attention_backward: ", q.dim(2), " features are not divisible into ",
        heads, " heads");
  const HeadLayout g{q.dim(0), q.dim(1), heads, q.dim(2) / heads};
  const int64_t len = g.len, d = g.d;
  dq = cpu_tensor(q.shape());
  dk = cpu_tensor(q.shape());
  dv = cpu_tensor(q.shape());
  const float scale = qk_scale(d);
  const float *qp = q.f32(), *kp = k.f32(), *vp = v.f32(), *op = out.f32(), *dop = dout.f32();
  float *dqp = dq.f32(), *dkp = dk.f32(), *dvp = dv.f32();
  const bool parallel = static_cast<double>(g.batch * heads) * len * len * d > 1e5;

#pragma omp parallel if (parallel)
  {
    static thread_local AlignedBuffer bufs[8];
    const size_t ld = static_cast<size_t>(len * d);
    float* qh = bufs[0].reserve(ld);
    float* kh = bufs[1].reserve(ld);
    float* vh = bufs[2].reserve(ld);
    float* oh = bufs[3].reserve(ld);
    float* doh = bufs[4].reserve(ld);
    float* grad = bufs[5].reserve(ld);
    float* p = bufs[6].reserve(static_cast<size_t>(len * len));
    float* ds = bufs[7].reserve(static_cast<size_t>(len * len));
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < g.batch * heads; ++task) {
      const int64_t n = task / heads, h = task % heads;
      gather_head(qp, g, n, h, scale, qh);
      gather_head(kp, g, n, h, scale, kh);
      gather_head(vp, g, n, h, 1.0f, vh);
      gather_head(op, g, n, h, 1.0f, oh);
      gather_head(dop, g, n, h, 1.0f, doh);
      attention_probabilities(qh, kh, len, d, causal, p);

      // dv [L, d] = Pᵀ · do
      sgemm(len, d, len, MatrixView{p, 1, len}, MatrixView{doh, d, 1}, grad, d, false);
      scatter_head(grad, g, n, h, dvp);
      // dP [L, L] = do · vᵀ, then dS = P ∘ (dP − Σ_c do·o)
      sgemm(len, len, d, MatrixView{doh, d, 1}, MatrixView{vh, 1, d}, ds, len, false);
      for (int64_t i = 0; i < len; ++i) {
        float dot = 0.0f;
        for (int64_t c = 0; c < d; ++c) dot += doh[i * d + c] * oh[i * d + c];
        for (int64_t j = 0; j < len; ++j) ds[i * len + j] = p[i * len + j] * (ds[i * len + j] - dot) * scale;
      }
      // dq [L, d] = (s·dS) · k̃;  dk [L, d] = (s·dS)ᵀ · q̃
      sgemm(len, d, len, MatrixView{ds, len, 1}, MatrixView{kh, d, 1}, grad, d, false);
      scatter_head(grad, g, n, h, dqp);
      sgemm(len, d, len, MatrixView{ds, 1, len}, MatrixView{qh, d, 1}, grad, d, false);
      scatter_head(grad, g, n, h, dkp);
    }
  }
}

}  // namespace glide::cpu
