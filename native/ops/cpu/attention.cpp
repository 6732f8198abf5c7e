// attention: multi-head scaled dot-product attention on a fused, per-head-grouped qkv tensor, with
// optional text keys/values prepended (GLIDE's QKVAttention and the text transformer's
// QKVMultiheadAttention share it; see AttentionLayout).
//   qkv [N, heads·3·d, L] (channels-first) or [N, L, heads·3·d] (tokens-first); head h owns
//   channels [h·3d, (h+1)·3d) = [q | k | v].  prefix_kv [N, heads·2·d, T], head h = [k | v].
//   out: [N, heads·d, L] or [N, L, heads·d] (head-major channels).
// Per (sample, head) q, k, v are gathered (scaled by d^(-1/4) like the reference), then each block of
// queries computes its scores against all T + L keys with the GEMM, a float32 softmax, and P·V.

#include <algorithm>
#include <cmath>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {
namespace {

constexpr int64_t kQueryBlock = 128;

// Element (n, channel, position) of a [N, C, L] (channels-first) or [N, L, C] (tokens-first) tensor.
struct Strided3 {
  const float* data;
  int64_t sn, sc, sp;
  float at(int64_t n, int64_t c, int64_t p) const { return data[n * sn + c * sc + p * sp]; }
};

}  // namespace

Tensor CpuBackend::attention(const Tensor& qkv, const Tensor* prefix_kv, int heads, AttentionLayout layout) {
  check(qkv.rank() == 3, "attention: qkv must be rank 3, got ", shape_str(qkv.shape()));
  check(heads > 0, "attention: heads must be positive");
  const bool cf = layout == AttentionLayout::ChannelsFirst;
  const int64_t n = qkv.dim(0);
  const int64_t width = cf ? qkv.dim(1) : qkv.dim(2);
  const int64_t len = cf ? qkv.dim(2) : qkv.dim(1);
  check(width % (3 * heads) == 0, "attention: ", width, " qkv channels are not divisible into ", heads, " heads");
  const int64_t d = width / (3 * heads);
  const int64_t ch = heads * d;
  int64_t t = 0;
  if (prefix_kv != nullptr) {
    check(prefix_kv->rank() == 3 && prefix_kv->dim(0) == n && prefix_kv->dim(1) == 2 * ch,
          "attention: prefix keys/values must be [", n, ", ", 2 * ch, ", T], got ", shape_str(prefix_kv->shape()));
    t = prefix_kv->dim(2);
  }
  const int64_t s = t + len;  // keys: text first, then the L positions

  const Strided3 in = cf ? Strided3{qkv.f32(), width * len, len, 1} : Strided3{qkv.f32(), len * width, 1, width};
  const Strided3 pre = prefix_kv ? Strided3{prefix_kv->f32(), 2 * ch * t, t, 1} : Strided3{nullptr, 0, 0, 0};
  Tensor out = cf ? cpu_tensor({n, ch, len}) : cpu_tensor({n, len, ch});
  float* op = out.f32();
  const int64_t o_sn = len * ch, o_sc = cf ? len : 1, o_sp = cf ? 1 : ch;

  // Gathered, scaled operands per (sample, head): q [L, d], kᵀ [d, S], v [S, d].
  const int64_t bh = n * heads;
  AlignedBuffer qbuf, kbuf, vbuf;
  float* q = qbuf.reserve(static_cast<size_t>(bh * len * d));
  float* kt = kbuf.reserve(static_cast<size_t>(bh * d * s));
  float* v = vbuf.reserve(static_cast<size_t>(bh * s * d));
  const float scale = static_cast<float>(1.0 / std::sqrt(std::sqrt(static_cast<double>(d))));
  const bool parallel = static_cast<double>(bh) * len * s * d > 1e5;

#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < bh; ++i) {
    const int64_t b = i / heads, h = i % heads;
    float* qi = q + i * len * d;
    float* ki = kt + i * d * s;
    float* vi = v + i * s * d;
    for (int64_t c = 0; c < d; ++c) {
      for (int64_t p = 0; p < t; ++p) {
        ki[c * s + p] = pre.at(b, h * 2 * d + c, p) * scale;
        vi[p * d + c] = pre.at(b, h * 2 * d + d + c, p);
      }
      for (int64_t p = 0; p < len; ++p) {
        qi[p * d + c] = in.at(b, h * 3 * d + c, p) * scale;
        ki[c * s + t + p] = in.at(b, h * 3 * d + d + c, p) * scale;
        vi[(t + p) * d + c] = in.at(b, h * 3 * d + 2 * d + c, p);
      }
    }
  }

  const int64_t qblocks = (len + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel if (parallel)
  {
    static thread_local AlignedBuffer score_buf, out_buf;
    float* scores = score_buf.reserve(static_cast<size_t>(kQueryBlock * s));
    float* ob = out_buf.reserve(static_cast<size_t>(kQueryBlock * d));
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < bh * qblocks; ++task) {
      const int64_t i = task / qblocks;
      const int64_t b = i / heads, h = i % heads;
      const int64_t q0 = (task % qblocks) * kQueryBlock;
      const int64_t bq = std::min(kQueryBlock, len - q0);
      // scores [bq, S] = q[q0 : q0+bq] · kᵀ
      sgemm(bq, s, d, MatrixView{q + (i * len + q0) * d, d, 1}, MatrixView{kt + i * d * s, s, 1}, scores, s, false);
      for (int64_t r = 0; r < bq; ++r) {
        float* row = scores + r * s;
        float mx = row[0];
        for (int64_t j = 1; j < s; ++j) mx = std::max(mx, row[j]);
        double sum = 0.0;
        for (int64_t j = 0; j < s; ++j) {
          row[j] = std::exp(row[j] - mx);
          sum += row[j];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t j = 0; j < s; ++j) row[j] *= inv;
      }
      // out block [bq, d] = P [bq, S] · v [S, d]
      sgemm(bq, d, s, MatrixView{scores, s, 1}, MatrixView{v + i * s * d, d, 1}, ob, d, false);
      for (int64_t r = 0; r < bq; ++r)
        for (int64_t c = 0; c < d; ++c) op[b * o_sn + (h * d + c) * o_sc + (q0 + r) * o_sp] = ob[r * d + c];
    }
  }
  return out;
}

}  // namespace glide::cpu
