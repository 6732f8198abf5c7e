// Shared launchers of the elementwise ops: unary (silu, gelu) and binary with the second operand broadcast
// (add, mul), like the CPU twin's broadcast.h: same rank, each dim of b equal to a's or 1. Three index paths:
// equal shapes (flat), b constant over a's trailing dims (ResBlock's [N, C, 1, 1] embedding), the general case.
#pragma once
#include <vector>

#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {

constexpr int kMaxBroadcastRank = 8;

struct BroadcastIndex {
  int rank;
  int64_t dims[kMaxBroadcastRank];      // a's shape
  int64_t bstrides[kMaxBroadcastRank];  // b's element strides, 0 where broadcast
};

template <typename T, typename Op>
__global__ void binary_same_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y, int64_t n, Op op) {
  GLIDE_GRID_STRIDE(i, n) y[i] = from_f32<T>(op(to_f32(a[i]), to_f32(b[i])));
}

// b[i / inner]: b holds one value per block of `inner` consecutive elements of a.
template <typename T, typename Op>
__global__ void binary_outer_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y, int64_t n,
                                    int64_t inner, Op op) {
  GLIDE_GRID_STRIDE(i, n) y[i] = from_f32<T>(op(to_f32(a[i]), to_f32(b[i / inner])));
}

template <typename T, typename Op>
__global__ void binary_general_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y, int64_t n,
                                      BroadcastIndex ix, Op op) {
  GLIDE_GRID_STRIDE(i, n) {
    int64_t rest = i, boff = 0;
    for (int d = ix.rank - 1; d >= 0; --d) {
      boff += (rest % ix.dims[d]) * ix.bstrides[d];
      rest /= ix.dims[d];
    }
    y[i] = from_f32<T>(op(to_f32(a[i]), to_f32(b[boff])));
  }
}

/** y = op(a, b) with b broadcast to a's shape; y has a's dtype (b is converted if it differs). */
template <typename Op>
Tensor broadcast_binary(CudaBackend& be, const char* name, const Tensor& a, const Tensor& b_in, Op op) {
  const auto lock = be.enter();
  check_cuda(a, name, "a");
  check_cuda(b_in, name, "b");
  GLIDE_CHECK(a.rank() == b_in.rank(), name, ": ranks differ (", shape_str(a.shape()), " vs ", shape_str(b_in.shape()), ")");
  GLIDE_CHECK(a.rank() <= kMaxBroadcastRank, name, ": rank ", a.rank(), " is above ", kMaxBroadcastRank);
  const int r = a.rank();
  BroadcastIndex ix{};
  ix.rank = r;
  int64_t stride = 1;
  for (int d = r - 1; d >= 0; --d) {
    GLIDE_CHECK(b_in.dim(d) == a.dim(d) || b_in.dim(d) == 1, name, ": cannot broadcast ", shape_str(b_in.shape()), " to ",
                shape_str(a.shape()));
    ix.dims[d] = a.dim(d);
    ix.bstrides[d] = b_in.dim(d) == 1 ? 0 : stride;
    stride *= b_in.dim(d);
  }
  // b constant over a's trailing dims: the trailing dims where b is 1, with b equal to a before them.
  int lead = r;
  while (lead > 0 && b_in.dim(lead - 1) == 1) --lead;
  bool outer = true;
  int64_t inner = 1;
  for (int d = 0; d < r; ++d) {
    if (d < lead) outer = outer && b_in.dim(d) == a.dim(d);
    else inner *= a.dim(d);
  }
  const Tensor b = be.cast(b_in, a.dtype());
  Tensor y = be.empty(a.shape(), a.dtype());
  const int64_t n = a.numel();
  if (n == 0) return y;
  cudaStream_t s = be.stream();
  dispatch_dtype(a.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if (b.numel() == n) {
      binary_same_kernel<T><<<grid_for(n), kBlock, 0, s>>>(ptr<T>(a), ptr<T>(b), ptr<T>(y), n, op);
    } else if (outer) {
      binary_outer_kernel<T><<<grid_for(n), kBlock, 0, s>>>(ptr<T>(a), ptr<T>(b), ptr<T>(y), n, inner, op);
    } else {
      binary_general_kernel<T><<<grid_for(n), kBlock, 0, s>>>(ptr<T>(a), ptr<T>(b), ptr<T>(y), n, ix, op);
    }
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

/** y = op(x) elementwise, same shape and dtype. */
template <typename T, typename Op>
__global__ void unary_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, Op op) {
  GLIDE_GRID_STRIDE(i, n) y[i] = from_f32<T>(op(to_f32(x[i])));
}

template <typename Op>
Tensor unary(CudaBackend& be, const char* name, const Tensor& x, Op op) {
  const auto lock = be.enter();
  check_cuda(x, name, "x");
  Tensor y = be.empty(x.shape(), x.dtype());
  const int64_t n = x.numel();
  if (n == 0) return y;
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    unary_kernel<T><<<grid_for(n), kBlock, 0, be.stream()>>>(ptr<T>(x), ptr<T>(y), n, op);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
