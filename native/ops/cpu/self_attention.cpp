// self_attention: the noised CLIP's multi-head attention on separate q, k, v [N, L, heads·d]
// (head h = features [h·d, (h+1)·d)), q and k each scaled by d^(-1/4), optional causal mask -> [N, L, heads·d].
// The reference zero-pads the context to a multiple of 32 and masks padded keys (and, when causal, future
// keys) with an additive -1e10; exp(-1e10 - max) is exactly 0 in float32 and padded queries are dropped, so
// running on the L real positions without those keys is the same computation.
#include "ops/cpu/self_attention.h"

#include <algorithm>
#include <cmath>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {

float qk_scale(int64_t d) { return static_cast<float>(std::sqrt(1.0 / std::sqrt(static_cast<double>(d)))); }

void gather_head(const float* x, const HeadLayout& g, int64_t n, int64_t h, float scale, float* dst) {
  const float* src = x + n * g.len * g.width() + h * g.d;
  for (int64_t p = 0; p < g.len; ++p)
    for (int64_t c = 0; c < g.d; ++c) dst[p * g.d + c] = src[p * g.width() + c] * scale;
}

void scatter_head(const float* src, const HeadLayout& g, int64_t n, int64_t h, float* x) {
  float* dst = x + n * g.len * g.width() + h * g.d;
  for (int64_t p = 0; p < g.len; ++p)
    for (int64_t c = 0; c < g.d; ++c) dst[p * g.width() + c] = src[p * g.d + c];
}

void attention_probabilities(const float* q, const float* k, int64_t len, int64_t d, bool causal, float* p) {
  // scores [L, L] = q [L, d] · kᵀ (B(c, j) = k[j, c])
  sgemm(len, len, d, MatrixView{q, d, 1}, MatrixView{k, 1, d}, p, len, false);
  for (int64_t i = 0; i < len; ++i) {
    float* row = p + i * len;
    const int64_t keys = causal ? i + 1 : len;
    float mx = row[0];
    for (int64_t j = 1; j < keys; ++j) mx = std::max(mx, row[j]);
    float sum = 0.0f;
    for (int64_t j = 0; j < keys; ++j) {
      row[j] = std::exp(row[j] - mx);
      sum += row[j];
    }
    for (int64_t j = 0; j < keys; ++j) row[j] /= sum;
    for (int64_t j = keys; j < len; ++j) row[j] = 0.0f;
  }
}

Tensor CpuBackend::self_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, bool causal) {
  check(q.rank() == 3 && q.shape() == k.shape() && q.shape() == v.shape(), "self_attention: q, k, v must be equal [N, L, C], got ",
        shape_str(q.shape()), ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
  check(heads > 0 && q.dim(2) % heads == 0, "self_attention: ", q.dim(2), " features are not divisible into ", heads, " heads");
  const HeadLayout g{q.dim(0), q.dim(1), heads, q.dim(2) / heads};
  Tensor out = cpu_tensor(q.shape());
  const float scale = qk_scale(g.d);
  const float *qp = q.f32(), *kp = k.f32(), *vp = v.f32();
  float* op = out.f32();
  const bool parallel = static_cast<double>(g.batch * heads) * g.len * g.len * g.d > 1e5;

#pragma omp parallel if (parallel)
  {
    static thread_local AlignedBuffer qbuf, kbuf, vbuf, pbuf, obuf;
    float* qh = qbuf.reserve(static_cast<size_t>(g.len * g.d));
    float* kh = kbuf.reserve(static_cast<size_t>(g.len * g.d));
    float* vh = vbuf.reserve(static_cast<size_t>(g.len * g.d));
    float* p = pbuf.reserve(static_cast<size_t>(g.len * g.len));
    float* oh = obuf.reserve(static_cast<size_t>(g.len * g.d));
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < g.batch * heads; ++task) {
      const int64_t n = task / heads, h = task % heads;
      gather_head(qp, g, n, h, scale, qh);
      gather_head(kp, g, n, h, scale, kh);
      gather_head(vp, g, n, h, 1.0f, vh);
      attention_probabilities(qh, kh, g.len, g.d, causal, p);
      // oh [L, d] = P [L, L] · v [L, d]
      sgemm(g.len, g.d, g.len, MatrixView{p, g.len, 1}, MatrixView{vh, g.d, 1}, oh, g.d, false);
      scatter_head(oh, g, n, h, op);
    }
  }
  return out;
}

}  // namespace glide::cpu
