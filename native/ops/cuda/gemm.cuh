// The matrix-product core of linear (linear.cu) and conv2d (conv2d.cu): C[i][j] = Σ_k A[i][k]·B[j][k] + bias.
//   A: K-contiguous rows, A[i][k] = a[i·lda + k] (linear: the input x [M, K]; conv: the weight [O, C·kh·kw]).
//   B: either K-contiguous rows too (linear: the weight [O, K]) or the im2col matrix of a convolution input,
//      gathered on the fly and never stored: B[j][k] = x[n, c, oy·s − pad + ky, ox·s − pad + kx] with
//      j = (n, oy, ox) and k = (c, ky, kx) (implicit GEMM; zero outside the image).
//   C: row-major [M, N] with bias[j] (linear), or the NCHW convolution output y[n, i, p] with bias[i].
// Two engines over the same tile loaders:
//   - tensor cores (bf16/fp16 operands, float32 accumulators) through WMMA 16×16×16 fragments, block tiles
//     128×128 or 64×64 (chosen to fill the GPU), K tiles of 32;
//   - float32 FFMA (the fp32 parity mode), 64×64 tiles, each thread 4×4 outputs.
// Both double-buffer shared memory: tile k+1 is fetched into registers while tile k is multiplied.
#pragma once
#include <mma.h>

#include <cstring>

#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {

/** Convolution geometry of the im2col operand (all sizes fit in int). */
struct ConvGeometry {
  int c, h, w;     // input channels and size
  int kh, kw;      // kernel
  int stride, pad;
  int oh, ow;      // output size
};

/** How B is read: K-contiguous rows, or im2col of a 1×1, 3×3 or any other convolution. */
enum class BKind { Rows, Im2col1x1, Im2col3x3, Im2col };

template <typename T>
struct GemmArgs {
  int m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t lda = 0;
  const T* b = nullptr;  // rows [N, ldb] or the convolution input x [batch, c, h, w]
  int64_t ldb = 0;
  ConvGeometry conv{};
  const float* bias = nullptr;  // optional: bias[j] (row-major output) or bias[i] (convolution output)
  T* out = nullptr;
  bool conv_out = false;        // write y[n, i, p] (j = n·P + p) instead of out[i·N + j]
  bool a_vec = false, b_vec = false;  // 16-byte loads are allowed (K and the leading dimension aligned)
};

template <typename T>
__device__ __forceinline__ T zero_value() {
  return from_f32<T>(0.0f);
}

// --- tile loaders: fetch() global -> registers, store() registers -> shared [row][k] (leading dim LD) ----------

// ROWS×BK tile of a K-contiguous operand starting at (row0, k0).
template <typename T, int ROWS, int BK, int THREADS, int LD>
struct RowsLoader {
  static constexpr int kVec = 16 / sizeof(T);
  static constexpr int kElems = ROWS * BK / THREADS;
  static_assert(kElems % kVec == 0 && BK % kVec == 0, "tile does not split into 16-byte vectors");
  T regs[kElems];

  __device__ void fetch(const T* p, int64_t ld, int rows, int k_total, int row0, int k0, bool vec) {
    const int t = threadIdx.x;
    if (vec) {
      constexpr int kPerRow = BK / kVec, kRowsPerPass = THREADS / kPerRow;
      const int kk = (t % kPerRow) * kVec;
#pragma unroll
      for (int q = 0; q < kElems / kVec; ++q) {
        const int r = t / kPerRow + q * kRowsPerPass;
        uint4 v = make_uint4(0u, 0u, 0u, 0u);
        if (row0 + r < rows && k0 + kk < k_total)
          v = __ldg(reinterpret_cast<const uint4*>(p + static_cast<int64_t>(row0 + r) * ld + k0 + kk));
        memcpy(&regs[q * kVec], &v, 16);
      }
    } else {
      constexpr int kRowsPerPass = THREADS / BK;
      const int kk = t % BK;
#pragma unroll
      for (int q = 0; q < kElems; ++q) {
        const int r = t / BK + q * kRowsPerPass;
        regs[q] = (row0 + r < rows && k0 + kk < k_total) ? p[static_cast<int64_t>(row0 + r) * ld + k0 + kk]
                                                         : zero_value<T>();
      }
    }
  }

  __device__ void store(T* smem, bool vec) const {
    const int t = threadIdx.x;
    if (vec) {
      constexpr int kPerRow = BK / kVec, kRowsPerPass = THREADS / kPerRow;
      const int kk = (t % kPerRow) * kVec;
#pragma unroll
      for (int q = 0; q < kElems / kVec; ++q) {
        const int r = t / kPerRow + q * kRowsPerPass;
        uint4 v;
        memcpy(&v, &regs[q * kVec], 16);
        *reinterpret_cast<uint4*>(smem + r * LD + kk) = v;
      }
    } else {
      constexpr int kRowsPerPass = THREADS / BK;
      const int kk = t % BK;
#pragma unroll
      for (int q = 0; q < kElems; ++q) smem[(t / BK + q * kRowsPerPass) * LD + kk] = regs[q];
    }
  }
};

// COLS×BK tile of the im2col matrix: each thread owns one column j (consecutive threads, consecutive output
// pixels, so the gathers coalesce) and BK/(THREADS/COLS) of its k values. KS = 1 or 3 makes the k -> (c, ky, kx)
// split a division by a constant.
template <typename T, int COLS, int BK, int THREADS, int LD, int KS>
struct Im2colLoader {
  static constexpr int kElems = COLS * BK / THREADS;
  static constexpr int kKPerPass = THREADS / COLS;
  T regs[kElems];
  const T* image = nullptr;  // this column's sample
  int iy0 = 0, ix0 = 0;
  bool valid = false;

  __device__ void init(const T* x, const ConvGeometry& g, int n_total, int col0) {
    const int j = col0 + static_cast<int>(threadIdx.x) % COLS;
    valid = j < n_total;
    const int plane = g.oh * g.ow;
    const int n = valid ? j / plane : 0, p = valid ? j % plane : 0;
    image = x + static_cast<int64_t>(n) * g.c * g.h * g.w;
    iy0 = (p / g.ow) * g.stride - g.pad;
    ix0 = (p % g.ow) * g.stride - g.pad;
  }

  __device__ void fetch(const ConvGeometry& g, int k_total, int k0) {
    const int kbase = static_cast<int>(threadIdx.x) / COLS;
#pragma unroll
    for (int q = 0; q < kElems; ++q) {
      const int k = k0 + kbase + q * kKPerPass;
      T v = zero_value<T>();
      if (valid && k < k_total) {
        int c, ky, kx;
        if constexpr (KS == 1) {
          c = k;
          ky = 0;
          kx = 0;
        } else if constexpr (KS == 3) {
          c = k / 9;
          const int r = k - c * 9;
          ky = r / 3;
          kx = r - ky * 3;
        } else {
          const int khw = g.kh * g.kw;
          c = k / khw;
          const int r = k - c * khw;
          ky = r / g.kw;
          kx = r - ky * g.kw;
        }
        const int iy = iy0 + ky, ix = ix0 + kx;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) v = image[(static_cast<int64_t>(c) * g.h + iy) * g.w + ix];
      }
      regs[q] = v;
    }
  }

  __device__ void store(T* smem) const {
    const int jl = static_cast<int>(threadIdx.x) % COLS, kbase = static_cast<int>(threadIdx.x) / COLS;
#pragma unroll
    for (int q = 0; q < kElems; ++q) smem[jl * LD + kbase + q * kKPerPass] = regs[q];
  }
};

/** The B-operand loader of a BKind (rows or im2col). */
template <typename T, BKind KIND, int COLS, int BK, int THREADS, int LD>
struct BLoader {
  static constexpr int kKs = KIND == BKind::Im2col1x1 ? 1 : KIND == BKind::Im2col3x3 ? 3 : 0;
  using Rows = RowsLoader<T, COLS, BK, THREADS, LD>;
  using Gather = Im2colLoader<T, COLS, BK, THREADS, LD, kKs>;
  std::conditional_t<KIND == BKind::Rows, Rows, Gather> impl;

  __device__ void init(const GemmArgs<T>& g, int col0) {
    if constexpr (KIND != BKind::Rows) impl.init(g.b, g.conv, g.n, col0);
  }
  __device__ void fetch(const GemmArgs<T>& g, int col0, int k0) {
    if constexpr (KIND == BKind::Rows) impl.fetch(g.b, g.ldb, g.n, g.k, col0, k0, g.b_vec);
    else impl.fetch(g.conv, g.k, k0);
  }
  __device__ void store(const GemmArgs<T>& g, T* smem) const {
    if constexpr (KIND == BKind::Rows) impl.store(smem, g.b_vec);
    else impl.store(smem);
  }
};

/** Writes one accumulated value C[i][j] (+ bias) to the output layout. */
template <typename T>
__device__ __forceinline__ void store_output(const GemmArgs<T>& g, int i, int j, float v) {
  if (i >= g.m || j >= g.n) return;
  if (g.conv_out) {
    if (g.bias) v += g.bias[i];
    const int plane = g.conv.oh * g.conv.ow;
    const int n = j / plane, p = j - n * plane;
    g.out[(static_cast<int64_t>(n) * g.m + i) * plane + p] = from_f32<T>(v);
  } else {
    if (g.bias) v += g.bias[j];
    g.out[static_cast<int64_t>(i) * g.n + j] = from_f32<T>(v);
  }
}

// --- tensor-core engine -----------------------------------------------------------------------------------

// Block tile BM×BN, WM×WN warps, each warp (BM/WM)×(BN/WN) as 16×16 WMMA fragments.
template <typename T, int BM, int BN, int WM, int WN, BKind KIND>
__global__ void __launch_bounds__(WM * WN * 32) tc_gemm_kernel(const GemmArgs<T> g) {
  using namespace nvcuda;
  constexpr int BK = 32, LD = BK + 8, THREADS = WM * WN * 32;
  constexpr int WTM = BM / WM, WTN = BN / WN, FM = WTM / 16, FN = WTN / 16;
  static_assert(WTM % 16 == 0 && WTN % 16 == 0, "warp tile must be whole fragments");
  // Two stages of A [BM][LD] and B [BN][LD]; reused by the epilogue as per-warp 16×16 float scratch.
  constexpr int kStage = (BM + BN) * LD;
  static_assert(2 * kStage * sizeof(T) >= WM * WN * 256 * sizeof(float), "epilogue scratch does not fit");
  __shared__ __align__(128) T smem[2 * kStage];

  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wi = warp / WN, wj = warp % WN;

  RowsLoader<T, BM, BK, THREADS, LD> la;
  BLoader<T, KIND, BN, BK, THREADS, LD> lb;
  lb.init(g, col0);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
  for (int fm = 0; fm < FM; ++fm)
#pragma unroll
    for (int fn = 0; fn < FN; ++fn) wmma::fill_fragment(acc[fm][fn], 0.0f);

  const int tiles = (g.k + BK - 1) / BK;
  la.fetch(g.a, g.lda, g.m, g.k, row0, 0, g.a_vec);
  lb.fetch(g, col0, 0);
  la.store(smem, g.a_vec);
  lb.store(g, smem + BM * LD);
  __syncthreads();

  for (int kt = 0; kt < tiles; ++kt) {
    const bool more = kt + 1 < tiles;
    if (more) {
      la.fetch(g.a, g.lda, g.m, g.k, row0, (kt + 1) * BK, g.a_vec);
      lb.fetch(g, col0, (kt + 1) * BK);
    }
    const T* as = smem + (kt & 1) * kStage;
    const T* bs = as + BM * LD;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb[FN];
#pragma unroll
      for (int fm = 0; fm < FM; ++fm) wmma::load_matrix_sync(fa[fm], as + (wi * WTM + fm * 16) * LD + kk, LD);
#pragma unroll
      for (int fn = 0; fn < FN; ++fn) wmma::load_matrix_sync(fb[fn], bs + (wj * WTN + fn * 16) * LD + kk, LD);
#pragma unroll
      for (int fm = 0; fm < FM; ++fm)
#pragma unroll
        for (int fn = 0; fn < FN; ++fn) wmma::mma_sync(acc[fm][fn], fa[fm], fb[fn], acc[fm][fn]);
    }
    if (more) {
      T* next = smem + ((kt + 1) & 1) * kStage;
      la.store(next, g.a_vec);
      lb.store(g, next + BM * LD);
    }
    __syncthreads();
  }

  // Epilogue: each fragment through the warp's 16×16 float scratch, then out with the bias (the output
  // layouts are not fragment-shaped, and WMMA's register layout is opaque).
  float* scratch = reinterpret_cast<float*>(smem) + warp * 256;
#pragma unroll
  for (int fm = 0; fm < FM; ++fm) {
#pragma unroll
    for (int fn = 0; fn < FN; ++fn) {
      wmma::store_matrix_sync(scratch, acc[fm][fn], 16, wmma::mem_row_major);
      __syncwarp();
      const int i_base = row0 + wi * WTM + fm * 16, j_base = col0 + wj * WTN + fn * 16;
#pragma unroll
      for (int e = lane; e < 256; e += 32) store_output(g, i_base + e / 16, j_base + e % 16, scratch[e]);
      __syncwarp();
    }
  }
}

// --- float32 engine -----------------------------------------------------------------------------------------

template <BKind KIND>
__global__ void __launch_bounds__(256) simt_gemm_kernel(const GemmArgs<float> g) {
  constexpr int BM = 64, BN = 64, BK = 16, LD = BK + 4, THREADS = 256;
  constexpr int kStage = (BM + BN) * LD;
  __shared__ __align__(16) float smem[2 * kStage];
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  // Thread (ty, tx) owns rows ty + 16r and columns tx + 16c: neighbouring threads write neighbouring j.
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  RowsLoader<float, BM, BK, THREADS, LD> la;
  BLoader<float, KIND, BN, BK, THREADS, LD> lb;
  lb.init(g, col0);
  float acc[4][4] = {};

  const int tiles = (g.k + BK - 1) / BK;
  la.fetch(g.a, g.lda, g.m, g.k, row0, 0, g.a_vec);
  lb.fetch(g, col0, 0);
  la.store(smem, g.a_vec);
  lb.store(g, smem + BM * LD);
  __syncthreads();
  for (int kt = 0; kt < tiles; ++kt) {
    const bool more = kt + 1 < tiles;
    if (more) {
      la.fetch(g.a, g.lda, g.m, g.k, row0, (kt + 1) * BK, g.a_vec);
      lb.fetch(g, col0, (kt + 1) * BK);
    }
    const float* as = smem + (kt & 1) * kStage;
    const float* bs = as + BM * LD;
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float av[4], bv[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) av[r] = as[(ty + 16 * r) * LD + kk];
#pragma unroll
      for (int c = 0; c < 4; ++c) bv[c] = bs[(tx + 16 * c) * LD + kk];
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = fmaf(av[r], bv[c], acc[r][c]);
    }
    if (more) {
      float* next = smem + ((kt + 1) & 1) * kStage;
      la.store(next, g.a_vec);
      lb.store(g, next + BM * LD);
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) store_output(g, row0 + ty + 16 * r, col0 + tx + 16 * c, acc[r][c]);
}

// --- launch ----------------------------------------------------------------------------------------------------

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

/** Runs the product described by `g` on `stream`; `sms` sizes the tiles (multiprocessors to fill). */
template <typename T, BKind KIND>
void launch_gemm(const GemmArgs<T>& g, int sms, cudaStream_t stream) {
  if (g.m == 0 || g.n == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    const dim3 grid((g.n + 63) / 64, (g.m + 63) / 64);
    simt_gemm_kernel<KIND><<<grid, 256, 0, stream>>>(g);
  } else {
    // Large tiles when they alone fill every multiprocessor, else 64×64 (4 warps) for more blocks.
    const int64_t big = static_cast<int64_t>((g.n + 127) / 128) * ((g.m + 127) / 128);
    if (big >= sms) {
      const dim3 grid((g.n + 127) / 128, (g.m + 127) / 128);
      tc_gemm_kernel<T, 128, 128, 2, 4, KIND><<<grid, 256, 0, stream>>>(g);
    } else {
      const dim3 grid((g.n + 63) / 64, (g.m + 63) / 64);
      tc_gemm_kernel<T, 64, 64, 2, 2, KIND><<<grid, 128, 0, stream>>>(g);
    }
  }
  GLIDE_CUDA_CHECK_LAUNCH();
}

/** Instantiates launch_gemm for `T` and `KIND` (grid y is the M tiles: at most 65535). */
template <BKind KIND>
void run_gemm(DType dtype, const void* a, int64_t lda, bool a_vec, const void* b, int64_t ldb, bool b_vec,
              const ConvGeometry& conv, const float* bias, void* out, bool conv_out, int m, int n, int k, int sms,
              cudaStream_t stream) {
  GLIDE_CHECK((m + 63) / 64 <= 65535, "matrix product with ", m, " rows is too large");
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    GemmArgs<T> g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = static_cast<const T*>(a);
    g.lda = lda;
    g.b = static_cast<const T*>(b);
    g.ldb = ldb;
    g.conv = conv;
    g.bias = bias;
    g.out = static_cast<T*>(out);
    g.conv_out = conv_out;
    g.a_vec = a_vec;
    g.b_vec = b_vec;
    launch_gemm<T, KIND>(g, sms, stream);
  });
}

/** Whether rows of `ld` elements of `dtype` starting at `p` allow 16-byte loads over a K of `k`. */
inline bool vector_rows_ok(const void* p, int64_t ld, int64_t k, DType dtype) {
  const int64_t per = 16 / static_cast<int64_t>(dtype_size(dtype));
  return aligned16(p) && ld % per == 0 && k % per == 0;
}

}  // namespace glide::cuda
