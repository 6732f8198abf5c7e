// Flash attention shared by attention.cu (fused qkv, optional text keys prepended) and self_attention.cu
// (separate q, k, v, optional causal mask). Every operand is addressed through strides, so the UNet's
// channels-first layout, the text transformer's tokens-first layout and the text keys are all read in place.
//
// Per (sample, head): out[i] = Σ_s softmax_s(q_i·k_s / √d) v_s over the keys s = [T text keys | L own keys];
// with `causal`, own key j is visible to query i only when j ≤ i. The softmax is online (running max and
// sum per query, float32), so the [L, T+L] score matrix is never stored.
//
// Two engines:
//   - tensor cores (bf16/fp16): a block takes 64 queries, 4 warps of 16 query rows each; per 64-key tile,
//     S = Q·Kᵀ and P·V are WMMA products (float32 accumulators), and each warp runs the softmax of its own
//     rows, so only the K/V tile loads need the whole block. The head dimension is padded with zeros to
//     32, 64 or 128.
//   - float32 (parity mode, and heads wider than 128): one warp per query, keys 32 at a time.
#pragma once
#include <mma.h>

#include <mutex>

#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {

/** Element (n, h, pos, c) of an operand lives at base[n·sn + h·sh + pos·sl + c·sc]. */
struct AttnView {
  const void* base = nullptr;
  int64_t sn = 0, sh = 0, sl = 0, sc = 0;
};

struct AttnArgs {
  int batch = 0, heads = 0;
  int len = 0;   // L: queries and own keys
  int text = 0;  // T: prepended keys (0 = none)
  int d = 0;     // head dimension
  AttnView q, k, v;    // [.., L, d]
  AttnView pk, pv;     // [.., T, d] text keys / values
  void* out = nullptr;
  int64_t o_sn = 0, o_sh = 0, o_sl = 0, o_sc = 0;
  bool causal = false;
  float scale = 1.0f;  // 1/√d
};

template <typename T>
__device__ __forceinline__ const T* view_ptr(const AttnView& v, int n, int h) {
  return static_cast<const T*>(v.base) + n * v.sn + h * v.sh;
}

// Loads rows [pos0, pos0 + 64) × channels [0, D) of one head into smem [64][LD] (zero outside `count` rows and
// `d` channels); key tiles straddling the text/own boundary read each row from its source.
template <typename T, int D, int LD, int THREADS>
__device__ void load_tile(T* smem, const AttnView& first, const AttnView& second, int boundary, int count, int n, int h,
                          int pos0, int d) {
  const T* a = view_ptr<T>(first, n, h);
  const T* b = view_ptr<T>(second, n, h);
  // Walk the dimension with unit stride fastest, so neighbouring threads read neighbouring addresses.
  const bool pos_fast = (pos0 < boundary ? first.sl : second.sl) == 1;
  for (int e = threadIdx.x; e < 64 * D; e += THREADS) {
    const int r = pos_fast ? e % 64 : e / D;
    const int c = pos_fast ? e / 64 : e % D;
    const int pos = pos0 + r;
    T v = from_f32<T>(0.0f);
    if (pos < count && c < d) {
      v = pos < boundary ? a[pos * first.sl + c * first.sc] : b[(pos - boundary) * second.sl + c * second.sc];
    }
    smem[r * LD + c] = v;
  }
}

template <typename T, int D>
struct FlashSmem {
  static constexpr int kQLd = D + 8;                        // T elements
  static constexpr int kSLd = (D > 64 ? D : 64) + 4;        // floats: scores, then P·V
  static constexpr int kPLd = 64 + 8;                       // T elements
  static constexpr int kOLd = D + 4;                        // floats
  static constexpr size_t kQ = 0;
  static constexpr size_t kK = kQ + 64 * kQLd * sizeof(T);
  static constexpr size_t kV = kK + 64 * kQLd * sizeof(T);
  static constexpr size_t kS = kV + 64 * kQLd * sizeof(T);
  static constexpr size_t kP = kS + 64 * kSLd * sizeof(float);
  static constexpr size_t kO = kP + 64 * kPLd * sizeof(T);
  static constexpr size_t kStats = kO + 64 * kOLd * sizeof(float);  // m, l, alpha: 3 × 64 floats
  static constexpr size_t kBytes = kStats + 3 * 64 * sizeof(float);
};

template <typename T, int D>
__global__ void __launch_bounds__(128) flash_tc_kernel(const AttnArgs a) {
  using namespace nvcuda;
  using L = FlashSmem<T, D>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* qs = reinterpret_cast<T*>(smem_raw + L::kQ);
  T* ks = reinterpret_cast<T*>(smem_raw + L::kK);
  T* vs = reinterpret_cast<T*>(smem_raw + L::kV);
  float* ss = reinterpret_cast<float*>(smem_raw + L::kS);
  T* ps = reinterpret_cast<T*>(smem_raw + L::kP);
  float* os = reinterpret_cast<float*>(smem_raw + L::kO);
  float* m_row = reinterpret_cast<float*>(smem_raw + L::kStats);
  float* l_row = m_row + 64;
  float* alpha_row = l_row + 64;

  const int q0 = blockIdx.x * 64, h = blockIdx.y, n = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int keys = a.text + a.len;
  const float scale_log2 = a.scale * 1.4426950408889634f;  // exp(x·scale) = 2^(x·scale·log2 e)

  load_tile<T, D, L::kQLd, 128>(qs, a.q, a.q, 0, a.len, n, h, q0, a.d);
  for (int e = threadIdx.x; e < 64 * L::kOLd; e += 128) os[e] = 0.0f;
  if (threadIdx.x < 64) {
    m_row[threadIdx.x] = -INFINITY;
    l_row[threadIdx.x] = 0.0f;
  }
  // Causal: no own key beyond this block's last query is visible.
  const int key_end = a.causal ? min(keys, a.text + q0 + 64) : keys;
  for (int k0 = 0; k0 < key_end; k0 += 64) {
    __syncthreads();  // the previous tile's K/V are no longer read
    load_tile<T, D, L::kQLd, 128>(ks, a.pk, a.k, a.text, keys, n, h, k0, a.d);
    load_tile<T, D, L::kQLd, 128>(vs, a.pv, a.v, a.text, keys, n, h, k0, a.d);
    __syncthreads();

    // S rows [16·warp, 16·warp + 16) = Q·Kᵀ
    const int r0 = warp * 16;
    for (int fn = 0; fn < 4; ++fn) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < D; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fq;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fk;
        wmma::load_matrix_sync(fq, qs + r0 * L::kQLd + kk, L::kQLd);
        wmma::load_matrix_sync(fk, ks + fn * 16 * L::kQLd + kk, L::kQLd);
        wmma::mma_sync(acc, fq, fk, acc);
      }
      wmma::store_matrix_sync(ss + r0 * L::kSLd + fn * 16, acc, L::kSLd, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax of this warp's 16 rows (two key columns per lane).
    for (int r = r0; r < r0 + 16; ++r) {
      const int qi = q0 + r;
      float s[2];
#pragma unroll
      for (int half_i = 0; half_i < 2; ++half_i) {
        const int col = lane + 32 * half_i, key = k0 + col;
        const bool visible = key < keys && (!a.causal || key < a.text || key - a.text <= qi);
        s[half_i] = visible ? ss[r * L::kSLd + col] * scale_log2 : -INFINITY;
      }
      const float m_old = m_row[r];
      const float m_new = fmaxf(m_old, warp_max(fmaxf(s[0], s[1])));
      // A row that has seen no visible key yet keeps m = −inf: its p and alpha are 0, not NaN.
      const float base = m_new == -INFINITY ? 0.0f : m_new;
      float p[2];
#pragma unroll
      for (int half_i = 0; half_i < 2; ++half_i) p[half_i] = exp2f(s[half_i] - base);
      const float sum = warp_sum(p[0] + p[1]);
      ps[r * L::kPLd + lane] = from_f32<T>(p[0]);
      ps[r * L::kPLd + lane + 32] = from_f32<T>(p[1]);
      if (lane == 0) {
        const float alpha = exp2f(m_old - base);
        alpha_row[r] = alpha;
        l_row[r] = l_row[r] * alpha + sum;
        m_row[r] = m_new;
      }
    }
    __syncwarp();

    // P·V into the score buffer, then O = O·alpha + P·V for this warp's rows.
    for (int fn = 0; fn < D / 16; ++fn) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < 64; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fp;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fv;
        wmma::load_matrix_sync(fp, ps + r0 * L::kPLd + kk, L::kPLd);
        wmma::load_matrix_sync(fv, vs + kk * L::kQLd + fn * 16, L::kQLd);
        wmma::mma_sync(acc, fp, fv, acc);
      }
      wmma::store_matrix_sync(ss + r0 * L::kSLd + fn * 16, acc, L::kSLd, wmma::mem_row_major);
    }
    __syncwarp();
    for (int e = lane; e < 16 * D; e += 32) {
      const int r = r0 + e / D, c = e % D;
      os[r * L::kOLd + c] = os[r * L::kOLd + c] * alpha_row[r] + ss[r * L::kSLd + c];
    }
  }
  __syncthreads();

  // out = O / l, walking the unit-stride dimension of the output fastest.
  T* out = static_cast<T*>(a.out) + n * a.o_sn + h * a.o_sh;
  const bool pos_fast = a.o_sl == 1;
  for (int e = threadIdx.x; e < 64 * D; e += 128) {
    const int r = pos_fast ? e % 64 : e / D;
    const int c = pos_fast ? e / 64 : e % D;
    const int qi = q0 + r;
    if (qi < a.len && c < a.d) {
      const float l = l_row[r];
      out[qi * a.o_sl + c * a.o_sc] = from_f32<T>(l > 0.0f ? os[r * L::kOLd + c] / l : 0.0f);
    }
  }
}

// float32 engine: one warp per query, lanes own channels c = lane + 32u (u < DMAX/32).
template <typename T, int DMAX>
__global__ void __launch_bounds__(128) flash_simt_kernel(const AttnArgs a) {
  constexpr int kU = DMAX / 32;
  __shared__ float q_sh[4][DMAX];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int qi = blockIdx.x * 4 + warp, h = blockIdx.y, n = blockIdx.z;
  if (qi >= a.len) return;  // whole warps leave together; no block barrier follows
  const T* q = view_ptr<T>(a.q, n, h) + qi * a.q.sl;
  for (int c = lane; c < a.d; c += 32) q_sh[warp][c] = to_f32(q[c * a.q.sc]);
  __syncwarp();
  const T* pk = a.text > 0 ? view_ptr<T>(a.pk, n, h) : nullptr;
  const T* pv = a.text > 0 ? view_ptr<T>(a.pv, n, h) : nullptr;
  const T* k = view_ptr<T>(a.k, n, h);
  const T* v = view_ptr<T>(a.v, n, h);
  const int keys = a.causal ? a.text + qi + 1 : a.text + a.len;

  float o[kU] = {};
  float m = -INFINITY, l = 0.0f;
  for (int s0 = 0; s0 < keys; s0 += 32) {
    const int s = s0 + lane;
    float score = -INFINITY;
    if (s < keys) {
      const T* kr = s < a.text ? pk + s * a.pk.sl : k + (s - a.text) * a.k.sl;
      const int64_t sc = s < a.text ? a.pk.sc : a.k.sc;
      float dot = 0.0f;
      for (int c = 0; c < a.d; ++c) dot = fmaf(q_sh[warp][c], to_f32(kr[c * sc]), dot);
      score = dot;
    }
    const float m_new = fmaxf(m, warp_max(score));
    const float alpha = expf((m - m_new) * a.scale);  // m = −inf on the first chunk: alpha = 0
    const float p = s < keys ? expf((score - m_new) * a.scale) : 0.0f;
    l = l * alpha + warp_sum(p);
    m = m_new;
#pragma unroll
    for (int u = 0; u < kU; ++u) o[u] *= alpha;
    const int chunk = min(32, keys - s0);
    for (int j = 0; j < chunk; ++j) {
      const float pj = __shfl_sync(0xffffffffu, p, j);
      const int sj = s0 + j;
      const T* vr = sj < a.text ? pv + sj * a.pv.sl : v + (sj - a.text) * a.v.sl;
      const int64_t sc = sj < a.text ? a.pv.sc : a.v.sc;
#pragma unroll
      for (int u = 0; u < kU; ++u) {
        const int c = lane + 32 * u;
        if (c < a.d) o[u] = fmaf(pj, to_f32(vr[c * sc]), o[u]);
      }
    }
  }
  T* out = static_cast<T*>(a.out) + n * a.o_sn + h * a.o_sh + qi * a.o_sl;
#pragma unroll
  for (int u = 0; u < kU; ++u) {
    const int c = lane + 32 * u;
    if (c < a.d) out[c * a.o_sc] = from_f32<T>(o[u] / l);
  }
}

template <typename Kernel>
void allow_shared(Kernel kernel, size_t bytes, std::once_flag& flag) {
  std::call_once(flag, [&] {
    GLIDE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  });
}

template <typename T, int D>
void launch_flash_tc(const AttnArgs& a, cudaStream_t stream) {
  static std::once_flag flag;
  constexpr size_t bytes = FlashSmem<T, D>::kBytes;
  allow_shared(flash_tc_kernel<T, D>, bytes, flag);
  const dim3 grid((a.len + 63) / 64, a.heads, a.batch);
  flash_tc_kernel<T, D><<<grid, 128, bytes, stream>>>(a);
}

/** Runs attention `a` with operands of `dtype` (tensor cores for bf16/fp16 heads up to 128 wide). */
inline void run_attention(const AttnArgs& a, DType dtype, cudaStream_t stream) {
  GLIDE_CHECK(a.d > 0 && a.d <= 256, "attention: head dimension ", a.d, " is outside 1…256");
  GLIDE_CHECK(a.heads <= 65535 && a.batch <= 65535, "attention: too many heads or samples");
  if (a.len == 0 || a.batch == 0) return;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (!std::is_same_v<T, float>) {
      if (a.d <= 128) {
        if (a.d <= 32) launch_flash_tc<T, 32>(a, stream);
        else if (a.d <= 64) launch_flash_tc<T, 64>(a, stream);
        else launch_flash_tc<T, 128>(a, stream);
        return;
      }
    }
    const dim3 grid((a.len + 3) / 4, a.heads, a.batch);
    if (a.d <= 128) flash_simt_kernel<T, 128><<<grid, 128, 0, stream>>>(a);
    else flash_simt_kernel<T, 256><<<grid, 128, 0, stream>>>(a);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
}

}  // namespace glide::cuda
