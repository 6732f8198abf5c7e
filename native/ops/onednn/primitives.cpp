// oneDNN plumbing of the backend: primitive descriptors for convolutions and linear layers, their
// per-shape cache, prepared weights, and execution with a scratchpad from the activation cache.
#include <string>

#include "core/cpu_allocator.h"
#include "core/error.h"
#include "ops/onednn/onednn_primitives.h"

namespace glide::onednn {
namespace {

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  // Scratch memory comes from our cache instead of a fresh allocation per call.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

}  // namespace

dnnl::convolution_forward::primitive_desc conv_descriptor(const dnnl::engine& engine, const ConvKey& k) {
  const auto [n, c, h, w, o, kh, kw, stride, pad, dtype, bias] = k;
  const dnnl_dt dt = dnnl_type(static_cast<DType>(dtype));
  const int64_t ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1;
  const dnnl::memory::desc src({n, c, h, w}, dt, dnnl_tag::nhwc);
  const dnnl::memory::desc weights({o, c, kh, kw}, dt, dnnl_tag::any);
  const dnnl::memory::desc dst({n, o, ho, wo}, dt, dnnl_tag::nhwc);
  const dnnl::memory::dims strides{stride, stride}, padding{pad, pad};
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  const dnnl::convolution_forward::desc desc =
      bias ? dnnl::convolution_forward::desc(prop, algo, src, weights, dnnl::memory::desc({o}, dnnl_dt::f32, dnnl_tag::a),
                                             dst, strides, padding, padding)
           : dnnl::convolution_forward::desc(prop, algo, src, weights, dst, strides, padding, padding);
  return dnnl::convolution_forward::primitive_desc(desc, user_scratchpad(), engine);
}

dnnl::inner_product_forward::primitive_desc linear_descriptor(const dnnl::engine& engine, const LinearKey& k) {
  const auto [m, kdim, o, dtype, bias] = k;
  const dnnl_dt dt = dnnl_type(static_cast<DType>(dtype));
  const dnnl::memory::desc src({m, kdim}, dt, dnnl_tag::ab);
  const dnnl::memory::desc weights({o, kdim}, dt, dnnl_tag::any);
  const dnnl::memory::desc dst({m, o}, dnnl_dt::f32, dnnl_tag::ab);
  const auto prop = dnnl::prop_kind::forward_inference;
  const dnnl::inner_product_forward::desc desc =
      bias ? dnnl::inner_product_forward::desc(prop, src, weights, dnnl::memory::desc({o}, dnnl_dt::f32, dnnl_tag::a), dst)
           : dnnl::inner_product_forward::desc(prop, src, weights, dst);
  return dnnl::inner_product_forward::primitive_desc(desc, user_scratchpad(), engine);
}

std::shared_ptr<const ConvPlan> OnednnBackend::Primitives::conv(const ConvKey& key) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = convs.find(key);
  if (it == convs.end()) {
    auto pd = conv_descriptor(engine, key);
    auto plan = std::make_shared<const ConvPlan>(ConvPlan{pd, dnnl::convolution_forward(pd)});
    it = convs.emplace(key, std::move(plan)).first;
  }
  return it->second;
}

std::shared_ptr<const LinearPlan> OnednnBackend::Primitives::linear(const LinearKey& key) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = linears.find(key);
  if (it == linears.end()) {
    auto pd = linear_descriptor(engine, key);
    auto plan = std::make_shared<const LinearPlan>(LinearPlan{pd, dnnl::inner_product_forward(pd)});
    it = linears.emplace(key, std::move(plan)).first;
  }
  return it->second;
}

dnnl::memory PackedWeight::in_layout(const dnnl::memory::desc& want, const dnnl::engine& engine) {
  std::lock_guard<std::mutex> lock(mutex);
  if (current.get_desc() == want) return current;
  for (const dnnl::memory& m : others)
    if (m.get_desc() == want) return m;
  dnnl::memory packed(want, engine);
  dnnl::stream stream(engine);
  const dnnl::reorder::primitive_desc direct(current, packed);
  if (std::string(direct.impl_info_str()).rfind("simple", 0) == 0) {
    // oneDNN 2.6 has no JIT reorder between two blocked layouts (its reference one takes seconds per
    // large weight); going through the plain layout takes two fast JIT reorders.
    const dnnl::memory::desc& d = current.get_desc();
    const auto tag = d.dims().size() == 4 ? dnnl_tag::abcd : dnnl_tag::ab;
    dnnl::memory flat(dnnl::memory::desc(d.dims(), d.data_type(), tag), engine);
    dnnl::reorder(current, flat).execute(stream, current, flat);
    dnnl::reorder(flat, packed).execute(stream, flat, packed);
  } else {
    dnnl::reorder(direct).execute(stream, current, packed);
  }
  stream.wait();
  if (provisional) {
    // The load-time guess was wrong for the model's real size: replace it rather than keep two copies.
    current = packed;
    provisional = false;
  } else {
    others.push_back(packed);
  }
  return packed;
}

Tensor packed_tensor(std::unique_ptr<PackedWeight> pw) {
  Shape shape = pw->shape;
  const DType dtype = pw->dtype;
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  PackedWeight* raw = pw.release();
  auto storage = std::make_shared<Storage>(raw, bytes, Device::Cpu, [](void* p) { delete static_cast<PackedWeight*>(p); });
  return Tensor(std::move(storage), std::move(shape), dtype, Layout::Opaque);
}

PackedWeight& packed_weight(const Tensor& w) {
  GLIDE_CHECK(w.layout() == Layout::Opaque && w.raw() != nullptr,
              "onednn backend: expected a weight prepared at load (Backend::prepare_weight), got a tensor of shape ",
              shape_str(w.shape()));
  auto* pw = static_cast<PackedWeight*>(w.raw());
  GLIDE_CHECK(pw->magic == PackedWeight::kMagic, "onednn backend: the weight was prepared by another backend");
  return *pw;
}

dnnl::memory wrap(const dnnl::memory::desc& md, const dnnl::engine& engine, const Tensor& t) {
  return dnnl::memory(md, engine, t.raw());
}

void execute(const dnnl::primitive& primitive, const dnnl::engine& engine, std::unordered_map<int, dnnl::memory> args,
             const dnnl::memory::desc& scratchpad) {
  const size_t bytes = scratchpad.get_size();
  void* scratch = bytes > 0 ? cpu_alloc(bytes) : nullptr;
  try {
    if (bytes > 0) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratchpad, engine, scratch));
    dnnl::stream stream(engine);
    primitive.execute(stream, args);
    stream.wait();
  } catch (...) {
    cpu_free(scratch, bytes);
    throw;
  }
  cpu_free(scratch, bytes);
}

}  // namespace glide::onednn
