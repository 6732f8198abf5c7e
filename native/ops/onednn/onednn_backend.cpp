// OnednnBackend: construction, memory (upload/download, the activation cache), weight preparation and
// the layout conversions the op files share.
#include "ops/onednn/onednn_backend.h"

#include <algorithm>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "core/cpu_allocator.h"
#include "core/error.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/layout_convert.h"
#include "ops/onednn/onednn_primitives.h"

namespace glide::onednn {
namespace {

// Product of the dimensions after the first two ([N, C, spatial...] -> spatial size).
int64_t spatial_of(const Tensor& x) {
  int64_t s = 1;
  for (int i = 2; i < x.rank(); ++i) s *= x.dim(i);
  return s;
}

// The nominal problem weights are first packed for (oneDNN's layout choice can depend on the spatial
// size; the first real use settles it, see PackedWeight).
constexpr int64_t kNominalBatch = 2;
constexpr int64_t kNominalSide = 32;

}  // namespace

OnednnBackend::OnednnBackend(Precision precision)
    : precision_(precision), prims_(std::make_unique<Primitives>()) {
  GLIDE_CHECK(precision != Precision::BF16 || has_bf16_isa(), "bf16 needs a CPU with AVX512-BF16 or AMX-BF16; this one runs oneDNN with ",
              cpu_isa());
}

OnednnBackend::~OnednnBackend() = default;

Tensor OnednnBackend::alloc(Shape shape, DType dtype, Layout layout) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  void* data = cpu_alloc(bytes);
  auto storage = std::make_shared<Storage>(data, bytes, Device::Cpu, [bytes](void* p) { cpu_free(p, bytes); });
  return Tensor(std::move(storage), std::move(shape), dtype, layout);
}

Tensor OnednnBackend::activation(const Tensor& x) {
  GLIDE_CHECK(x.layout() != Layout::Opaque, "onednn backend: a packed weight was used as an activation");
  const DType want = act_dtype();
  if (x.layout() == Layout::ChannelsLast && x.dtype() == want) return x;
  GLIDE_CHECK(x.rank() >= 2, "onednn backend: an activation must be [N, C, ...], got ", shape_str(x.shape()));
  Tensor y = alloc(x.shape(), want, Layout::ChannelsLast);
  const int64_t n = x.dim(0), c = x.dim(1), s = spatial_of(x);
  with_element_type(x.dtype(), [&](auto src_tag) {
    using S = decltype(src_tag);
    with_element_type(want, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      if (x.layout() == Layout::ChannelsLast || s == 1)
        convert(data_of<S>(x), data_of<D>(y), x.numel());
      else
        to_channels_last(data_of<S>(x), data_of<D>(y), n, c, s);
    });
  });
  return y;
}

Tensor OnednnBackend::plain(const Tensor& x) {
  GLIDE_CHECK(x.layout() != Layout::Opaque, "onednn backend: a packed weight cannot be read as data");
  if (x.layout() == Layout::RowMajor && x.dtype() == DType::F32) return x;
  Tensor y = cpu_tensor(x.shape());
  with_element_type(x.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const int64_t s = x.rank() >= 2 ? spatial_of(x) : 1;
    if (x.layout() == Layout::RowMajor || s == 1)
      convert(data_of<S>(x), y.f32(), x.numel());
    else
      to_channels_first(data_of<S>(x), y.f32(), x.dim(0), x.dim(1), s);
  });
  return y;
}

Tensor OnednnBackend::upload(const float* data, const Shape& shape) {
  Tensor t = cpu_tensor(shape);
  std::memcpy(t.f32(), data, t.bytes());
  return t;
}

void OnednnBackend::download(const Tensor& t, float* out) {
  const Tensor p = plain(t);
  std::memcpy(out, p.f32(), p.bytes());
}

Tensor OnednnBackend::adopt_weight(const Tensor& host) {
  GLIDE_CHECK(host.dtype() == DType::F32 && host.layout() == Layout::RowMajor,
              "onednn backend: weights must arrive as row-major float32");
  return host;
}

Tensor OnednnBackend::prepare_weight(const Tensor& w, const WeightRole& role) {
  const dnnl::engine& engine = prims_->engine;
  auto pw = std::make_unique<PackedWeight>();
  pw->role = role;
  pw->shape = w.shape();
  pw->dtype = act_dtype();
  const int64_t bias = 1;
  dnnl::memory::desc packed;
  dnnl::memory::desc user;
  if (role.kind == WeightRole::Kind::Conv) {
    GLIDE_CHECK(w.rank() == 4, "onednn backend: a conv weight must be [O, C, kh, kw], got ", shape_str(w.shape()));
    const int64_t o = w.dim(0), c = w.dim(1), kh = w.dim(2), kw = w.dim(3);
    const int64_t side = std::max<int64_t>(kNominalSide, std::max(kh, kw));
    const ConvKey key{kNominalBatch, c, side, side, o, kh, kw, role.stride, role.pad,
                      static_cast<int64_t>(act_dtype()), bias};
    packed = conv_descriptor(engine, key).weights_desc();
    user = dnnl::memory::desc({o, c, kh, kw}, dnnl_dt::f32, dnnl_tag::oihw);
  } else {
    GLIDE_CHECK(w.rank() == 2, "onednn backend: a linear weight must be [O, K], got ", shape_str(w.shape()));
    const int64_t o = w.dim(0), k = w.dim(1);
    const LinearKey key{kNominalBatch, k, o, static_cast<int64_t>(act_dtype()), bias};
    packed = linear_descriptor(engine, key).weights_desc();
    user = dnnl::memory::desc({o, k}, dnnl_dt::f32, dnnl_tag::ab);
  }
  pw->current = dnnl::memory(packed, engine);
  dnnl::memory src(user, engine, w.f32());
  dnnl::stream stream(engine);
  dnnl::reorder(src, pw->current).execute(stream, src, pw->current);
  stream.wait();
  return packed_tensor(std::move(pw));
}

std::string cpu_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
  }
}

bool has_amx() { return dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx; }

bool has_bf16_isa() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool prefers_bf16() {
  if (has_amx()) return true;
  if (!has_bf16_isa()) return false;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  return std::strcmp(vendor, "AuthenticAMD") == 0;
#else
  return false;
#endif
}

}  // namespace glide::onednn
