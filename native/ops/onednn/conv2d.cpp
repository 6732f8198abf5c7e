// conv2d on oneDNN: y [N, O, H', W'] (channels-last, act dtype) = w ⋆ x + b. x is converted to a
// channels-last activation if it is not one (the model's input image, the text features); the weight
// is the packed copy made at load, in the layout this problem's primitive wants.
#include "core/error.h"
#include "ops/onednn/onednn_primitives.h"

namespace glide::onednn {

Tensor OnednnBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad) {
  GLIDE_CHECK(x.rank() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x.shape()));
  GLIDE_CHECK(w.rank() == 4, "conv2d: weight must be [O, C, kh, kw], got ", shape_str(w.shape()));
  GLIDE_CHECK(x.dim(1) == w.dim(1), "conv2d: input has ", x.dim(1), " channels, weight expects ", w.dim(1));
  PackedWeight& pw = packed_weight(w);
  GLIDE_CHECK(pw.role.kind == WeightRole::Kind::Conv && pw.role.stride == stride && pw.role.pad == pad,
              "conv2d: the weight was prepared for another use");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t o = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t ho = (h + 2 * pad - kh) / stride + 1, wo = (wd + 2 * pad - kw) / stride + 1;
  GLIDE_CHECK(ho > 0 && wo > 0, "conv2d: kernel larger than the padded input");
  GLIDE_CHECK(b == nullptr || (b->rank() == 1 && b->dim(0) == o && b->dtype() == DType::F32 &&
                               b->layout() == Layout::RowMajor),
              "conv2d: bias must be float32 [", o, "]");

  const Tensor src = activation(x);
  const ConvKey key{n, c, h, wd, o, kh, kw, stride, pad, static_cast<int64_t>(act_dtype()), b != nullptr ? 1 : 0};
  Primitives& p = primitives();
  const auto plan = p.conv(key);
  const dnnl::memory weights = pw.in_layout(plan->pd.weights_desc(), p.engine);
  Tensor y = alloc({n, o, ho, wo}, act_dtype(), Layout::ChannelsLast);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, wrap(plan->pd.src_desc(), p.engine, src)},
                                             {DNNL_ARG_WEIGHTS, weights},
                                             {DNNL_ARG_DST, wrap(plan->pd.dst_desc(), p.engine, y)}};
  if (b != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(plan->pd.bias_desc(), p.engine, *b));
  execute(plan->primitive, p.engine, std::move(args), plan->pd.scratchpad_desc());
  return y;
}

}  // namespace glide::onednn
