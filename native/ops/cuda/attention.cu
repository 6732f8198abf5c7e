// attention: multi-head attention on a fused, per-head-grouped qkv tensor with optional text keys/values
// prepended (GLIDE's QKVAttention and the text transformer's QKVMultiheadAttention), read in place:
//   qkv [N, heads·3·d, L] (channels-first) or [N, L, heads·3·d] (tokens-first); head h owns channels
//   [h·3d, (h+1)·3d) = [q | k | v].  prefix_kv [N, heads·2·d, T], head h = [k | v].
//   out: [N, heads·d, L] or [N, L, heads·d]. Softmax over the T + L keys with scores scaled by d^(-1/2)
//   (the reference's d^(-1/4) on q and on k). The flash kernels are in attention.cuh.
#include <cmath>

#include "ops/cuda/attention.cuh"

namespace glide::cuda {
namespace {

const void* offset(const Tensor& t, int64_t elements) {
  return static_cast<const char*>(t.raw()) + elements * static_cast<int64_t>(dtype_size(t.dtype()));
}

}  // namespace

Tensor CudaBackend::attention(const Tensor& qkv, const Tensor* prefix_in, int heads, AttentionLayout layout) {
  const auto lock = enter();
  check_cuda(qkv, "attention", "qkv");
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
  Tensor prefix;
  if (prefix_in != nullptr) {
    check_cuda(*prefix_in, "attention", "prefix keys/values");
    GLIDE_CHECK(prefix_in->rank() == 3 && prefix_in->dim(0) == n && prefix_in->dim(1) == 2 * ch,
                "attention: prefix keys/values must be [", n, ", ", 2 * ch, ", T], got ", shape_str(prefix_in->shape()));
    prefix = cast(*prefix_in, qkv.dtype());
    t = prefix.dim(2);
  }
  GLIDE_CHECK(len + t <= 0x7fffffff && qkv.numel() <= 0x7fffffffLL * 8, "attention: ", shape_str(qkv.shape()), " is too large");

  AttnArgs a;
  a.batch = static_cast<int>(n);
  a.heads = heads;
  a.len = static_cast<int>(len);
  a.text = static_cast<int>(t);
  a.d = static_cast<int>(d);
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  if (cf) {
    a.q = AttnView{qkv.raw(), 3 * ch * len, 3 * d * len, 1, len};
    a.k = AttnView{offset(qkv, d * len), a.q.sn, a.q.sh, 1, len};
    a.v = AttnView{offset(qkv, 2 * d * len), a.q.sn, a.q.sh, 1, len};
  } else {
    a.q = AttnView{qkv.raw(), len * 3 * ch, 3 * d, 3 * ch, 1};
    a.k = AttnView{offset(qkv, d), a.q.sn, a.q.sh, a.q.sl, 1};
    a.v = AttnView{offset(qkv, 2 * d), a.q.sn, a.q.sh, a.q.sl, 1};
  }
  if (t > 0) {
    a.pk = AttnView{prefix.raw(), 2 * ch * t, 2 * d * t, 1, t};
    a.pv = AttnView{offset(prefix, d * t), a.pk.sn, a.pk.sh, 1, t};
  }
  Tensor out = cf ? empty({n, ch, len}, qkv.dtype()) : empty({n, len, ch}, qkv.dtype());
  a.out = out.raw();
  if (cf) {
    a.o_sn = ch * len;
    a.o_sh = d * len;
    a.o_sl = 1;
    a.o_sc = len;
  } else {
    a.o_sn = len * ch;
    a.o_sh = d;
    a.o_sl = ch;
    a.o_sc = 1;
  }
  run_attention(a, qkv.dtype(), stream_);
  return out;
}

}  // namespace glide::cuda
