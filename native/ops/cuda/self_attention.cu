// self_attention: the noised CLIP's multi-head attention on separate q, k, v [N, L, heads·d] (head h =
// features [h·d, (h+1)·d)), scores scaled by d^(-1/2) (the reference's d^(-1/4) on q and on k), optional
// causal mask -> [N, L, heads·d]. The flash kernels are in attention.cuh.
#include <cmath>

#include "ops/cuda/attention.cuh"

namespace glide::cuda {

Tensor CudaBackend::self_attention(const Tensor& q, const Tensor& k_in, const Tensor& v_in, int heads, bool causal) {
  const auto lock = enter();
  check_cuda(q, "self_attention", "q");
  check_cuda(k_in, "self_attention", "k");
  check_cuda(v_in, "self_attention", "v");
  GLIDE_CHECK(q.rank() == 3 && q.shape() == k_in.shape() && q.shape() == v_in.shape(),
              "self_attention: q, k, v must be equal [N, L, C], got ", shape_str(q.shape()), ", ", shape_str(k_in.shape()),
              ", ", shape_str(v_in.shape()));
  GLIDE_CHECK(heads > 0 && q.dim(2) % heads == 0, "self_attention: ", q.dim(2), " features are not divisible into ",
              heads, " heads");
  const Tensor k = cast(k_in, q.dtype()), v = cast(v_in, q.dtype());
  const int64_t n = q.dim(0), len = q.dim(1), width = q.dim(2), d = width / heads;
  GLIDE_CHECK(q.numel() <= 0x7fffffffLL * 8, "self_attention: ", shape_str(q.shape()), " is too large");
  AttnArgs a;
  a.batch = static_cast<int>(n);
  a.heads = heads;
  a.len = static_cast<int>(len);
  a.d = static_cast<int>(d);
  a.causal = causal;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  a.q = AttnView{q.raw(), len * width, d, width, 1};
  a.k = AttnView{k.raw(), len * width, d, width, 1};
  a.v = AttnView{v.raw(), len * width, d, width, 1};
  Tensor out = empty(q.shape(), q.dtype());
  a.out = out.raw();
  a.o_sn = len * width;
  a.o_sh = d;
  a.o_sl = width;
  a.o_sc = 1;
  run_attention(a, q.dtype(), stream_);
  return out;
}

}  // namespace glide::cuda
