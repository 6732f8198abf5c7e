// linear on oneDNN (inner product): y [..., O] float32 row-major = x [..., K] · wᵀ + b, with x converted
// to the backend's precision and the weight packed at load. Used by the time embedding, every ResBlock's
// emb_layers and the text transformer.
#include "core/error.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/layout_convert.h"
#include "ops/onednn/onednn_primitives.h"

namespace glide::onednn {

Tensor OnednnBackend::linear(const Tensor& x, const Tensor& w, const Tensor* b) {
  GLIDE_CHECK(w.rank() == 2, "linear: weight must be [out, in], got ", shape_str(w.shape()));
  const int64_t k = w.dim(1), o = w.dim(0);
  GLIDE_CHECK(x.rank() >= 1 && x.dim(-1) == k, "linear: input ", shape_str(x.shape()), " does not end in ", k);
  GLIDE_CHECK(b == nullptr || (b->rank() == 1 && b->dim(0) == o && b->dtype() == DType::F32 &&
                               b->layout() == Layout::RowMajor),
              "linear: bias must be float32 [", o, "]");
  PackedWeight& pw = packed_weight(w);
  GLIDE_CHECK(pw.role.kind == WeightRole::Kind::Linear, "linear: the weight was prepared for another use");
  const int64_t m = x.numel() / k;

  // src: row-major [M, K] in the backend's precision.
  Tensor src = x.layout() == Layout::RowMajor ? x : plain(x);
  if (src.dtype() != act_dtype()) {
    Tensor converted = alloc(src.shape(), act_dtype(), Layout::RowMajor);
    with_element_type(src.dtype(), [&](auto s) {
      with_element_type(act_dtype(), [&](auto d) {
        convert(data_of<decltype(s)>(src), data_of<decltype(d)>(converted), src.numel());
      });
    });
    src = converted;
  }
  const LinearKey key{m, k, o, static_cast<int64_t>(act_dtype()), b != nullptr ? 1 : 0};
  Primitives& p = primitives();
  const auto plan = p.linear(key);
  const dnnl::memory weights = pw.in_layout(plan->pd.weights_desc(), p.engine);
  Shape out_shape = x.shape();
  out_shape.back() = o;
  Tensor y = alloc(out_shape, DType::F32, Layout::RowMajor);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, wrap(plan->pd.src_desc(), p.engine, src)},
                                             {DNNL_ARG_WEIGHTS, weights},
                                             {DNNL_ARG_DST, wrap(plan->pd.dst_desc(), p.engine, y)}};
  if (b != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(plan->pd.bias_desc(), p.engine, *b));
  execute(plan->primitive, p.engine, std::move(args), plan->pd.scratchpad_desc());
  return y;
}

}  // namespace glide::onednn
