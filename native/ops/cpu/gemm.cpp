#include "ops/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "core/aligned_buffer.h"

namespace glide::cpu {
namespace {

constexpr int VL = kGemmVec;
constexpr int MR = kGemmMR;
constexpr int NR = kGemmNR;
// Blocking: a B micro-panel (KC×NR) stays in L1 while the MC×KC block of A and the KC×(NR·panels)
// block of B sit in L2.
constexpr int64_t KC = 256;
constexpr int64_t MC = MR * 16;
// Column panels per task.
constexpr int64_t kPanelsPerTask = 256 / NR;
// Below this many multiply-adds a GEMM runs on one thread (team start-up would dominate).
constexpr double kParallelMacs = 2e5;

typedef float vec __attribute__((vector_size(VL * 4)));
typedef float vec_u __attribute__((vector_size(VL * 4), aligned(4)));

// C tile [mr, nr] (+)= packed A micro-panel [MR × kc] · packed B micro-panel [kc × NR].
void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                  int mr, int nr, bool accumulate) {
  vec c0[MR];
  vec c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    c0[i] = vec{};
    c1[i] = vec{};
  }
  for (int64_t p = 0; p < kc; ++p) {
    const vec b0 = *reinterpret_cast<const vec*>(b + p * NR);
    const vec b1 = *reinterpret_cast<const vec*>(b + p * NR + VL);
    const float* ap = a + p * MR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const float ai = ap[i];
      c0[i] += ai * b0;
      c1[i] += ai * b1;
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      vec_u* row = reinterpret_cast<vec_u*>(c + i * ldc);
      if (accumulate) {
        row[0] += c0[i];
        row[1] += c1[i];
      } else {
        row[0] = c0[i];
        row[1] = c1[i];
      }
    }
    return;
  }
  // Edge tile: spill to a local tile and copy the valid part.
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    *reinterpret_cast<vec*>(tile + i * NR) = c0[i];
    *reinterpret_cast<vec*>(tile + i * NR + VL) = c1[i];
  }
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    const float* t = tile + i * NR;
    if (accumulate) {
      for (int j = 0; j < nr; ++j) row[j] += t[j];
    } else {
      for (int j = 0; j < nr; ++j) row[j] = t[j];
    }
  }
}

// Packs A[i0 : i0+mc, p0 : p0+kc] as MR-row micro-panels: panel r holds kc columns of MR floats.
void pack_a(float* dst, const MatrixView& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    float* panel = dst + ir * kc;
    for (int i = 0; i < mr; ++i) {
      const float* src = a.data + (i0 + ir + i) * a.rs + p0 * a.cs;
      if (a.cs == 1) {
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = src[p];
      } else {
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = src[p * a.cs];
      }
    }
    for (int i = mr; i < MR; ++i)
      for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = 0.0f;
  }
}

// Per-thread packing buffers, reused across calls (fresh pages are expensive).
AlignedBuffer& a_buffer() {
  static thread_local AlignedBuffer buffer;
  return buffer;
}
AlignedBuffer& b_buffer() {
  static thread_local AlignedBuffer buffer;
  return buffer;
}

}  // namespace

void MatrixPacker::pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const {
  const float* base = b_.data + k0 * b_.rs + n0 * b_.cs;
  if (b_.cs == 1) {
    for (int64_t p = 0; p < kc; ++p) {
      std::memcpy(dst + p * NR, base + p * b_.rs, static_cast<size_t>(nr) * sizeof(float));
      for (int64_t j = nr; j < NR; ++j) dst[p * NR + j] = 0.0f;
    }
    return;
  }
  for (int64_t j = 0; j < nr; ++j) {
    const float* src = base + j * b_.cs;
    for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = src[p * b_.rs];
  }
  for (int64_t j = nr; j < NR; ++j)
    for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = 0.0f;
}

void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, const BPacker& b, float* c, int64_t ldc,
           bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  // C is split into independent tiles (MC rows × kPanelsPerTask·NR columns); each task packs its own
  // A and B blocks and walks all of K. There is no barrier between tasks, so on a shared machine a
  // thread that loses its core only delays the tiles it holds (dynamic schedule), instead of
  // stalling every thread at each K step.
  const int64_t panels = (n + NR - 1) / NR;
  const int64_t mblocks = (m + MC - 1) / MC;
  const int64_t groups = (panels + kPanelsPerTask - 1) / kPanelsPerTask;
  const bool parallel = !omp_in_parallel() && mblocks * groups > 1 && static_cast<double>(m) * n * k > kParallelMacs;

#pragma omp parallel if (parallel)
  {
    float* apack = a_buffer().reserve(static_cast<size_t>(MC * KC));
    float* bpack = b_buffer().reserve(static_cast<size_t>(KC * kPanelsPerTask * NR));
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < mblocks * groups; ++task) {
      const int64_t ic = (task / groups) * MC;
      const int64_t mc = std::min(MC, m - ic);
      const int64_t jp0 = (task % groups) * kPanelsPerTask;
      const int64_t jp1 = std::min(panels, jp0 + kPanelsPerTask);
      for (int64_t pc = 0; pc < k; pc += KC) {
        const int64_t kc = std::min(KC, k - pc);
        pack_a(apack, a, ic, mc, pc, kc);
        for (int64_t jp = jp0; jp < jp1; ++jp)
          b.pack_panel(bpack + (jp - jp0) * kc * NR, pc, kc, jp * NR, std::min<int64_t>(NR, n - jp * NR));
        const bool acc = accumulate || pc > 0;
        for (int64_t jp = jp0; jp < jp1; ++jp) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, n - jp * NR));
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            micro_kernel(kc, apack + ir * kc, bpack + (jp - jp0) * kc * NR, c + (ic + ir) * ldc + jp * NR, ldc, mr,
                         nr, acc);
          }
        }
      }
    }
  }
}

void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc,
           bool accumulate) {
  sgemm(m, n, k, a, MatrixPacker(b), c, ldc, accumulate);
}

}  // namespace glide::cpu
