// attention: multi-head scaled dot-product attention on a fused, per-head-grouped qkv tensor, with
// optional text keys/values prepended (GLIDE's QKVAttention and the text transformer's
// QKVMultiheadAttention share it; see AttentionLayout).
//   qkv [N, heads·3·d, L] (channels-first) or [N, L, heads·3·d] (tokens-first); head h owns
//   channels [h·3d, (h+1)·3d) = [q | k | v].  prefix_kv [N, heads·2·d, T], head h = [k | v].
//   out: [N, heads·d, L] or [N, L, heads·d] (head-major channels).
// Each (sample, head, block of queries) task reads q, k and v in place through strided GEMM views (no
// gathering), computes its scores against the T text keys and the L own keys, a float32 softmax, and
// P·V. The reference scales q and k by d^(-1/4) each; here the scores are scaled by d^(-1/2), the same
// value up to float rounding.
#include <algorithm>
#include <cmath>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "core/parallel_error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"
#include "ops/cpu/vec_math.h"

namespace glide::cpu {
namespace {

constexpr int64_t kQueryBlock = 128;

}  // namespace

Tensor CpuBackend::attention(const Tensor& qkv, const Tensor* prefix_kv, int heads, AttentionLayout layout) {
  GLIDE_CHECK(qkv.rank() == 3, "attention: qkv must be rank 3, got ", shape_str(qkv.shape()));
  GLIDE_CHECK(heads > 0, "attention: heads must be positive");
  const bool cf = layout == AttentionLayout::ChannelsFirst;
  const int64_t n = qkv.dim(0);
  const int64_t width = cf ? qkv.dim(1) : qkv.dim(2);
  const int64_t len = cf ? qkv.dim(2) : qkv.dim(1);
  GLIDE_CHECK(width % (3 * heads) == 0, "attention: ", width, " qkv channels are not divisible into ", heads, " heads");
  const int64_t d = width / (3 * heads);
  const int64_t ch = heads * d;
  int64_t t = 0;
  if (prefix_kv != nullptr) {
    GLIDE_CHECK(prefix_kv->rank() == 3 && prefix_kv->dim(0) == n && prefix_kv->dim(1) == 2 * ch,
                "attention: prefix keys/values must be [", n, ", ", 2 * ch, ", T], got ", shape_str(prefix_kv->shape()));
    t = prefix_kv->dim(2);
  }
  const int64_t s = t + len;  // keys: text first, then the L positions

  // Strides of (channel, position) in one sample's qkv, and of one sample.
  const int64_t sc = cf ? len : 1, sp = cf ? 1 : width, sn = width * len;
  const float* in = qkv.f32();
  const float* pre = prefix_kv ? prefix_kv->f32() : nullptr;
  Tensor out = cf ? cpu_tensor({n, ch, len}) : cpu_tensor({n, len, ch});
  float* op = out.f32();
  const int64_t o_sc = cf ? len : 1, o_sp = cf ? 1 : ch;
  const float scale2 = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));

  const int64_t qblocks = (len + kQueryBlock - 1) / kQueryBlock;
  // One task: queries [q0, q0 + bq) of head h of sample b, with per-thread scratch.
  const auto attend = [&](int64_t task, float* scores, float* ob) {
    const int64_t b = task / (heads * qblocks);
    const int64_t h = (task / qblocks) % heads;
    const int64_t q0 = (task % qblocks) * kQueryBlock;
    const int64_t bq = std::min(kQueryBlock, len - q0);
    const float* base = in + b * sn + h * 3 * d * sc;  // this head's q channels
    // Views: q (i, c) -> [bq, d]; kᵀ (c, j) -> [d, ·]; v (j, c) -> [·, d].
    const MatrixView q{base + q0 * sp, sp, sc};
    const MatrixView k_own{base + d * sc, sc, sp};
    const MatrixView v_own{base + 2 * d * sc, sp, sc};
    const float* text_k = t > 0 ? pre + b * 2 * ch * t + h * 2 * d * t : nullptr;
    // scores [bq, T + L]
    if (t > 0) sgemm(bq, t, d, q, MatrixView{text_k, t, 1}, scores, s, false);
    sgemm(bq, len, d, q, k_own, scores + t, s, false);
    for (int64_t r = 0; r < bq; ++r) {
      float* row = scores + r * s;
      const float mx = max_of(row, s);
      for (int64_t j = 0; j < s; ++j) row[j] -= mx;
      exp_scaled_inplace(row, s, scale2);
      const float inv = static_cast<float>(1.0 / sum_of(row, s));
      for (int64_t j = 0; j < s; ++j) row[j] *= inv;
    }
    // out block [bq, d] = P[:, :T] · v_text + P[:, T:] · v_own
    if (t > 0) sgemm(bq, d, t, MatrixView{scores, s, 1}, MatrixView{text_k + d * t, 1, t}, ob, d, false);
    sgemm(bq, d, len, MatrixView{scores + t, s, 1}, v_own, ob, d, t > 0);
    float* dst = op + b * len * ch + h * d * o_sc + q0 * o_sp;
    if (cf) {
      for (int64_t c = 0; c < d; ++c)
        for (int64_t r = 0; r < bq; ++r) dst[c * o_sc + r] = ob[r * d + c];
    } else {
      for (int64_t r = 0; r < bq; ++r)
        for (int64_t c = 0; c < d; ++c) dst[r * o_sp + c] = ob[r * d + c];
    }
  };

  const int64_t tasks = n * heads * qblocks;
  const bool parallel = static_cast<double>(n) * heads * len * s * d > 1e5;
  ParallelError errors;
#pragma omp parallel if (parallel)
  {
    static thread_local AlignedBuffer score_buf, out_buf;
    float* scores = nullptr;
    float* ob = nullptr;
    errors.run([&] {
      scores = score_buf.reserve(static_cast<size_t>(kQueryBlock * s));
      ob = out_buf.reserve(static_cast<size_t>(kQueryBlock * d));
    });
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      // After a failure the remaining tasks are skipped (every thread still reaches the barrier).
      if (ob != nullptr && !errors.failed()) errors.run([&] { attend(task, scores, ob); });
    }
  }
  errors.rethrow();
  return out;
}

}  // namespace glide::cpu
