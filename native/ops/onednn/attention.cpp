// attention: multi-head attention on the fused, per-head-grouped qkv tensor with the text keys/values
// prepended, flash-style: per tile of 6 queries the scores against all T + L keys are computed into a
// cache-resident row buffer, soft-maxed in float32 right there and multiplied by V — the [L, T + L]
// score matrix is never written to memory.
//   UNet:  qkv [N, heads·3·d, L] channels-last (stored [N, L, heads·3·d]) -> out [N, heads·d, L] channels-last
//   text:  qkv [N, L, heads·3·d] row-major (tokens first)               -> out [N, L, heads·d] row-major
//   prefix_kv [N, heads·2·d, T] (per head [k | v]) channels-last; keys = [text | positions].
// Both layouts store each position's channels contiguously, so one kernel serves them. q·k is scaled
// by 1/√d (the reference scales q and k by d^(-1/4) each); products accumulate in float32. bf16
// inputs use the AVX512-BF16 dot-product kernel of attention_bf16.cpp where the CPU has it.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "core/error.h"
#include "ops/onednn/attention_kernels.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {
namespace {

using simd::kLanes;
using simd::vf;


// scores[r][j0 .. j0+16·NV) = Σ_c q[r][c] · kt[c][j]   (q [R, d] row stride d, kt [d, ld])
template <int R, int NV>
void qk_tile(const float* q, int64_t d, const float* kt, int64_t ld, float* scores) {
  vf acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = simd::zero();
  for (int64_t c = 0; c < d; ++c) {
    vf k[NV];
    for (int v = 0; v < NV; ++v) k[v] = simd::load(kt + c * ld + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const vf qb = simd::set1(q[r * d + c]);
      for (int v = 0; v < NV; ++v) acc[r][v] = simd::fmadd(qb, k[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) simd::store(scores + r * ld + v * kLanes, acc[r][v]);
}

// out[r][0 .. 16·NV) = Σ_j p[r][j] · v[j][c0 ..]   (p [R, ldp], v [s, ldv] from column c0)
template <int R, int NV>
void pv_tile(const float* p, int64_t ldp, int64_t s, const float* v, int64_t ldv, float* out, int64_t ldo) {
  vf acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < NV; ++i) acc[r][i] = simd::zero();
  for (int64_t j = 0; j < s; ++j) {
    vf vv[NV];
    for (int i = 0; i < NV; ++i) vv[i] = simd::load(v + j * ldv + i * kLanes);
    for (int r = 0; r < R; ++r) {
      const vf pb = simd::set1(p[r * ldp + j]);
      for (int i = 0; i < NV; ++i) acc[r][i] = simd::fmadd(pb, vv[i], acc[r][i]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < NV; ++i) simd::store(out + r * ldo + i * kLanes, acc[r][i]);
}

template <int R>
void qk_rows(const float* q, int64_t d, const float* kt, int64_t s_pad, float* scores) {
  for (int64_t j0 = 0; j0 < s_pad; j0 += kVecs * kLanes) {
    switch (std::min<int64_t>(kVecs, (s_pad - j0) / kLanes)) {
      case 4: qk_tile<R, 4>(q, d, kt + j0, s_pad, scores + j0); break;
      case 3: qk_tile<R, 3>(q, d, kt + j0, s_pad, scores + j0); break;
      case 2: qk_tile<R, 2>(q, d, kt + j0, s_pad, scores + j0); break;
      default: qk_tile<R, 1>(q, d, kt + j0, s_pad, scores + j0); break;
    }
  }
}

template <int R>
void pv_rows(const float* p, int64_t ldp, int64_t s, const float* v, int64_t d_pad, float* out) {
  for (int64_t c0 = 0; c0 < d_pad; c0 += kVecs * kLanes) {
    switch (std::min<int64_t>(kVecs, (d_pad - c0) / kLanes)) {
      case 4: pv_tile<R, 4>(p, ldp, s, v + c0, d_pad, out + c0, d_pad); break;
      case 3: pv_tile<R, 3>(p, ldp, s, v + c0, d_pad, out + c0, d_pad); break;
      case 2: pv_tile<R, 2>(p, ldp, s, v + c0, d_pad, out + c0, d_pad); break;
      default: pv_tile<R, 1>(p, ldp, s, v + c0, d_pad, out + c0, d_pad); break;
    }
  }
}

// In place over row[0, s): e^(x − max); returns 1 / Σ.
float softmax_row(float* row, int64_t s) {
  vf m = simd::set1(-INFINITY);
  int64_t j = 0;
  for (; j + kLanes <= s; j += kLanes) m = simd::vmax(m, simd::load(row + j));
  float mx = simd::reduce_max(m);
  for (; j < s; ++j) mx = std::max(mx, row[j]);
  const vf mv = simd::set1(mx);
  vf sum = simd::zero();
  for (j = 0; j + kLanes <= s; j += kLanes) {
    const vf e = simd::exp(simd::load(row + j) - mv);
    simd::store(row + j, e);
    sum = sum + e;
  }
  if (j < s) {
    const int lanes = static_cast<int>(s - j);
    const vf e = simd::exp(simd::load_part(row + j, lanes) - mv);
    simd::store_part(row + j, e, lanes);
    sum = sum + simd::load_part(row + j, lanes);
  }
  return static_cast<float>(1.0 / static_cast<double>(simd::reduce_add(sum)));
}

template <int R>
void attend_rows(const Geometry& g, const float* q, const float* kt, const float* v, float* scores, float* out,
                 float* inv) {
  qk_rows<R>(q, g.d, kt, g.s_pad, scores);
  for (int r = 0; r < R; ++r) inv[r] = softmax_row(scores + r * g.s_pad, g.s);
  pv_rows<R>(scores, g.s_pad, g.s, v, g.d_pad, out);
}

template <typename Tq, typename Tp>
void run_attention(const Geometry& g, const Tq* qkv, const Tp* prefix, Tq* dst) {
  const int64_t d = g.d, ch = g.heads * d;
  const int64_t bh = g.n * g.heads;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  // K transposed [d, s_pad] and V [s_pad, d_pad] per (sample, head), float32, zero padded.
  std::vector<float> kt(static_cast<size_t>(bh * d * g.s_pad));
  std::vector<float> vv(static_cast<size_t>(bh * g.s_pad * g.d_pad));
  const bool parallel = static_cast<double>(bh) * g.len * g.s * d > 1e5;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < bh; ++i) {
    const int64_t b = i / g.heads, h = i % g.heads;
    float* ki = kt.data() + i * d * g.s_pad;
    float* vi = vv.data() + i * g.s_pad * g.d_pad;
    std::fill(ki, ki + d * g.s_pad, 0.0f);
    std::fill(vi, vi + g.s_pad * g.d_pad, 0.0f);
    for (int64_t j = 0; j < g.s; ++j) {
      const bool text = j < g.t;
      const int64_t row = text ? (b * g.t + j) * 2 * ch + h * 2 * d : (b * g.len + j - g.t) * g.width + h * 3 * d + d;
      for (int64_t c = 0; c < d; ++c) {
        ki[c * g.s_pad + j] = simd::to_float(text ? prefix[row + c] : qkv[row + c]);
        vi[j * g.d_pad + c] = simd::to_float(text ? prefix[row + d + c] : qkv[row + d + c]);
      }
    }
  }

  const int64_t row_tasks = (g.len + kTaskRows - 1) / kTaskRows;
  // Per-thread tiles, allocated before the parallel region (an exception must not escape it).
  const int64_t tile = kRows * (d + g.s_pad + g.d_pad);
  std::vector<float> tiles(static_cast<size_t>(tile * omp_get_max_threads()));
#pragma omp parallel if (parallel)
  {
    float* q = tiles.data() + tile * omp_get_thread_num();
    float* scores = q + kRows * d;
    float* out = scores + kRows * g.s_pad;
    float inv[kRows];
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < bh * row_tasks; ++task) {
      const int64_t i = task / row_tasks, b = i / g.heads, h = i % g.heads;
      const int64_t p_end = std::min(g.len, (task % row_tasks + 1) * kTaskRows);
      for (int64_t p0 = (task % row_tasks) * kTaskRows; p0 < p_end; p0 += kRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kRows, p_end - p0));
        for (int r = 0; r < rows; ++r) {
          const Tq* src = qkv + (b * g.len + p0 + r) * g.width + h * 3 * d;
          for (int64_t c = 0; c < d; ++c) q[r * d + c] = simd::to_float(src[c]) * scale;
        }
        const float* ki = kt.data() + i * d * g.s_pad;
        const float* vi = vv.data() + i * g.s_pad * g.d_pad;
        switch (rows) {
          case 6: attend_rows<6>(g, q, ki, vi, scores, out, inv); break;
          case 5: attend_rows<5>(g, q, ki, vi, scores, out, inv); break;
          case 4: attend_rows<4>(g, q, ki, vi, scores, out, inv); break;
          case 3: attend_rows<3>(g, q, ki, vi, scores, out, inv); break;
          case 2: attend_rows<2>(g, q, ki, vi, scores, out, inv); break;
          default: attend_rows<1>(g, q, ki, vi, scores, out, inv); break;
        }
        for (int r = 0; r < rows; ++r) {
          Tq* o = dst + (b * g.len + p0 + r) * ch + h * d;
          const vf norm = simd::set1(inv[r]);
          for (int64_t c = 0; c < d; c += kLanes) {
            const int lanes = static_cast<int>(std::min<int64_t>(kLanes, d - c));
            simd::store_part(o + c, simd::load(out + r * g.d_pad + c) * norm, lanes);
          }
        }
      }
    }
  }
}

}  // namespace

Tensor OnednnBackend::attention(const Tensor& qkv_in, const Tensor* prefix_kv, int heads, AttentionLayout layout) {
  GLIDE_CHECK(qkv_in.rank() == 3, "attention: qkv must be rank 3, got ", shape_str(qkv_in.shape()));
  GLIDE_CHECK(heads > 0, "attention: heads must be positive");
  const bool cf = layout == AttentionLayout::ChannelsFirst;
  // Both paths read position-major storage: [N, L, width].
  const Tensor qkv = cf ? activation(qkv_in) : (qkv_in.layout() == Layout::RowMajor ? qkv_in : plain(qkv_in));
  Geometry g{};
  g.n = qkv.dim(0);
  g.width = cf ? qkv.dim(1) : qkv.dim(2);
  g.len = cf ? qkv.dim(2) : qkv.dim(1);
  GLIDE_CHECK(g.width % (3 * heads) == 0, "attention: ", g.width, " qkv channels are not divisible into ", heads, " heads");
  g.heads = heads;
  g.d = g.width / (3 * heads);
  const int64_t ch = heads * g.d;
  Tensor prefix;
  if (prefix_kv != nullptr) {
    GLIDE_CHECK(prefix_kv->rank() == 3 && prefix_kv->dim(0) == g.n && prefix_kv->dim(1) == 2 * ch,
                "attention: prefix keys/values must be [", g.n, ", ", 2 * ch, ", T], got ", shape_str(prefix_kv->shape()));
    prefix = activation(*prefix_kv);
    g.t = prefix.dim(2);
  }
  g.s = g.t + g.len;
  g.s_pad = round_up(g.s, kLanes);
  g.d_pad = round_up(g.d, kLanes);
  Tensor out = cf ? alloc({g.n, ch, g.len}, qkv.dtype(), Layout::ChannelsLast)
                  : alloc({g.n, g.len, ch}, qkv.dtype(), Layout::RowMajor);
#ifdef GLIDE_BF16_ATTENTION
  if (qkv.dtype() == DType::BF16 && (!prefix.defined() || prefix.dtype() == DType::BF16)) {
    run_attention_bf16(g, data_of<simd::bf16>(qkv), prefix.defined() ? data_of<simd::bf16>(prefix) : nullptr,
                       data_of<simd::bf16>(out));
    return out;
  }
#endif
  with_element_type(qkv.dtype(), [&](auto qt) {
    using Tq = decltype(qt);
    with_element_type(prefix.defined() ? prefix.dtype() : qkv.dtype(), [&](auto pt) {
      using Tp = decltype(pt);
      run_attention<Tq, Tp>(g, data_of<Tq>(qkv), prefix.defined() ? data_of<Tp>(prefix) : nullptr, data_of<Tq>(out));
    });
  });
  return out;
}

}  // namespace glide::onednn
