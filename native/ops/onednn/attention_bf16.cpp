// attention's bf16 kernel: the flash-style tiling of attention.cpp with AVX512-BF16 dot products
// (VDPBF16PS: two bf16 products summed into each float32 lane), twice the multiply rate of the float32
// kernel. K is packed as channel pairs [d/2][S][2] so one instruction takes 16 keys × 2 channels; V as
// key pairs [S/2][d][2]; the probabilities are rounded to bf16 for P·V (as a bf16 matmul would) while
// the softmax itself, its sum and the accumulators stay float32.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <omp.h>

#include "ops/onednn/attention_kernels.h"

namespace glide::onednn {

#ifdef GLIDE_BF16_ATTENTION

namespace {

using simd::bf16;
using simd::kLanes;
using simd::vf;

inline __m512bh as_bh(__m512i v) { return (__m512bh)v; }

// scores[r][j0 .. j0+16·NV) = Σ_p q[r][p] · kp[p][j]   (q: R rows of d2 channel pairs; kp [d2][ld][2])
template <int R, int NV>
void qk_tile(const uint32_t* q, int64_t d2, const bf16* kp, int64_t ld, float* scores) {
  vf acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = simd::zero();
  for (int64_t p = 0; p < d2; ++p) {
    __m512i k[NV];
    for (int v = 0; v < NV; ++v) k[v] = _mm512_loadu_si512(kp + (p * ld + v * kLanes) * 2);
    for (int r = 0; r < R; ++r) {
      const __m512i qb = _mm512_set1_epi32(static_cast<int>(q[r * d2 + p]));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], as_bh(qb), as_bh(k[v]));
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) simd::store(scores + r * ld + v * kLanes, acc[r][v]);
}

// out[r][0 .. 16·NV) = Σ_jp p[r][jp] · vp[jp][c]   (p: R rows of key pairs, row stride ldp pairs; vp [s2][ldv][2])
template <int R, int NV>
void pv_tile(const uint32_t* p, int64_t ldp, int64_t s2, const bf16* vp, int64_t ldv, float* out, int64_t ldo) {
  vf acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < NV; ++i) acc[r][i] = simd::zero();
  for (int64_t j = 0; j < s2; ++j) {
    __m512i v[NV];
    for (int i = 0; i < NV; ++i) v[i] = _mm512_loadu_si512(vp + (j * ldv + i * kLanes) * 2);
    for (int r = 0; r < R; ++r) {
      const __m512i pb = _mm512_set1_epi32(static_cast<int>(p[r * ldp + j]));
      for (int i = 0; i < NV; ++i) acc[r][i] = _mm512_dpbf16_ps(acc[r][i], as_bh(pb), as_bh(v[i]));
    }
  }
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < NV; ++i) simd::store(out + r * ldo + i * kLanes, acc[r][i]);
}

// In place over row[0, s): e^((x − max)·scale) in float32, written as bf16 to p[0, s_pad) (zeros past s);
// returns 1 / Σ.
float softmax_row(const float* row, int64_t s, int64_t s_pad, float scale, bf16* p) {
  vf m = simd::set1(-INFINITY);
  int64_t j = 0;
  for (; j + kLanes <= s; j += kLanes) m = simd::vmax(m, simd::load(row + j));
  float mx = simd::reduce_max(m);
  for (; j < s; ++j) mx = std::max(mx, row[j]);
  const vf mv = simd::set1(mx), sv = simd::set1(scale);
  vf sum = simd::zero();
  for (j = 0; j < s_pad; j += kLanes) {
    const int lanes = static_cast<int>(std::clamp<int64_t>(s - j, 0, kLanes));
    vf e = lanes == kLanes ? simd::exp((simd::load(row + j) - mv) * sv)
                           : (lanes > 0 ? simd::exp((simd::load_part(row + j, lanes) - mv) * sv) : simd::zero());
    if (lanes < kLanes) e = _mm512_maskz_mov_ps(static_cast<__mmask16>((1u << lanes) - 1), e);
    sum = sum + e;
    simd::store(p + j, e);
  }
  return static_cast<float>(1.0 / static_cast<double>(simd::reduce_add(sum)));
}

template <int R>
void attend_rows(const Geometry& g, const uint32_t* q, const bf16* kp, const bf16* vp, float* scores, bf16* probs,
                 float* out, float* inv, float scale) {
  const int64_t d2 = (g.d + 1) / 2, s2 = (g.s + 1) / 2;
  for (int64_t j0 = 0; j0 < g.s_pad; j0 += kVecs * kLanes) {
    switch (std::min<int64_t>(kVecs, (g.s_pad - j0) / kLanes)) {
      case 4: qk_tile<R, 4>(q, d2, kp + j0 * 2, g.s_pad, scores + j0); break;
      case 3: qk_tile<R, 3>(q, d2, kp + j0 * 2, g.s_pad, scores + j0); break;
      case 2: qk_tile<R, 2>(q, d2, kp + j0 * 2, g.s_pad, scores + j0); break;
      default: qk_tile<R, 1>(q, d2, kp + j0 * 2, g.s_pad, scores + j0); break;
    }
  }
  for (int r = 0; r < R; ++r) inv[r] = softmax_row(scores + r * g.s_pad, g.s, g.s_pad, scale, probs + r * g.s_pad);
  const auto* p32 = reinterpret_cast<const uint32_t*>(probs);
  for (int64_t c0 = 0; c0 < g.d_pad; c0 += kVecs * kLanes) {
    switch (std::min<int64_t>(kVecs, (g.d_pad - c0) / kLanes)) {
      case 4: pv_tile<R, 4>(p32, g.s_pad / 2, s2, vp + c0 * 2, g.d_pad, out + c0, g.d_pad); break;
      case 3: pv_tile<R, 3>(p32, g.s_pad / 2, s2, vp + c0 * 2, g.d_pad, out + c0, g.d_pad); break;
      case 2: pv_tile<R, 2>(p32, g.s_pad / 2, s2, vp + c0 * 2, g.d_pad, out + c0, g.d_pad); break;
      default: pv_tile<R, 1>(p32, g.s_pad / 2, s2, vp + c0 * 2, g.d_pad, out + c0, g.d_pad); break;
    }
  }
}

}  // namespace

void run_attention_bf16(const Geometry& g, const bf16* qkv, const bf16* prefix, bf16* dst) {
  const int64_t d = g.d, ch = g.heads * d, bh = g.n * g.heads;
  const int64_t d2 = (d + 1) / 2;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  // Per (sample, head): K as channel pairs [d2][s_pad][2], V as key pairs [s_pad/2][d_pad][2], zero padded.
  const int64_t k_size = d2 * g.s_pad * 2, v_size = g.s_pad * g.d_pad;
  std::vector<bf16> kp(static_cast<size_t>(bh * k_size)), vp(static_cast<size_t>(bh * v_size));
  const bool parallel = static_cast<double>(bh) * g.len * g.s * d > 1e5;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < bh; ++i) {
    const int64_t b = i / g.heads, h = i % g.heads;
    bf16* ki = kp.data() + i * k_size;
    bf16* vi = vp.data() + i * v_size;
    std::fill(ki, ki + k_size, bf16{0});
    std::fill(vi, vi + v_size, bf16{0});
    for (int64_t j = 0; j < g.s; ++j) {
      const bool text = j < g.t;
      const bf16* row = text ? prefix + (b * g.t + j) * 2 * ch + h * 2 * d : qkv + (b * g.len + j - g.t) * g.width + h * 3 * d + d;
      for (int64_t c = 0; c < d; ++c) {
        ki[((c / 2) * g.s_pad + j) * 2 + (c & 1)] = row[c];
        vi[((j / 2) * g.d_pad + c) * 2 + (j & 1)] = row[d + c];
      }
    }
  }

  const int64_t row_tasks = (g.len + kTaskRows - 1) / kTaskRows;
  // Per-thread tiles, allocated before the parallel region (an exception must not escape it).
  const int threads = omp_get_max_threads();
  std::vector<uint32_t> q_tiles(static_cast<size_t>(kRows * d2 * threads));
  std::vector<float> f_tiles(static_cast<size_t>(kRows * (g.s_pad + g.d_pad) * threads));
  std::vector<bf16> p_tiles(static_cast<size_t>(kRows * g.s_pad * threads));
#pragma omp parallel if (parallel)
  {
    const int thread = omp_get_thread_num();
    uint32_t* q = q_tiles.data() + kRows * d2 * thread;
    float* scores = f_tiles.data() + kRows * (g.s_pad + g.d_pad) * thread;
    float* out = scores + kRows * g.s_pad;
    bf16* probs = p_tiles.data() + kRows * g.s_pad * thread;
    float inv[kRows];
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < bh * row_tasks; ++task) {
      const int64_t i = task / row_tasks, b = i / g.heads, h = i % g.heads;
      const int64_t p_end = std::min(g.len, (task % row_tasks + 1) * kTaskRows);
      const bf16* ki = kp.data() + i * k_size;
      const bf16* vi = vp.data() + i * v_size;
      for (int64_t p0 = (task % row_tasks) * kTaskRows; p0 < p_end; p0 += kRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kRows, p_end - p0));
        for (int r = 0; r < rows; ++r) {
          // q as channel pairs; an odd d gets a zero partner.
          const bf16* src = qkv + (b * g.len + p0 + r) * g.width + h * 3 * d;
          bf16* qr = reinterpret_cast<bf16*>(q + r * d2);
          std::memcpy(qr, src, static_cast<size_t>(d) * sizeof(bf16));
          if (d & 1) qr[d] = 0;
        }
        switch (rows) {
          case 6: attend_rows<6>(g, q, ki, vi, scores, probs, out, inv, scale); break;
          case 5: attend_rows<5>(g, q, ki, vi, scores, probs, out, inv, scale); break;
          case 4: attend_rows<4>(g, q, ki, vi, scores, probs, out, inv, scale); break;
          case 3: attend_rows<3>(g, q, ki, vi, scores, probs, out, inv, scale); break;
          case 2: attend_rows<2>(g, q, ki, vi, scores, probs, out, inv, scale); break;
          default: attend_rows<1>(g, q, ki, vi, scores, probs, out, inv, scale); break;
        }
        for (int r = 0; r < rows; ++r) {
          bf16* o = dst + (b * g.len + p0 + r) * ch + h * d;
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

#endif

}  // namespace glide::onednn
