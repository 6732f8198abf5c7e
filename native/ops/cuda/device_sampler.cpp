#include "ops/cuda/device_sampler.h"

#include <cstddef>
#include <cstring>

#include "core/error.h"
#include "ops/cuda/convert.h"
#include "ops/cuda/cuda_check.h"
#include "ops/cuda/sampler_noise.h"

namespace glide::cuda {
namespace {

constexpr int64_t kChannels = 3;

// Unbinds the graph timesteps when the forward leaves, normally or not.
struct TimestepBinding {
  TimestepBinding(CudaBackend& be, const float* device_t, int64_t n) : be_(be) { be_.bind_timesteps(device_t, n); }
  ~TimestepBinding() { be_.bind_timesteps(nullptr, 0); }
  CudaBackend& be_;
};

}  // namespace

DeviceSampler::DeviceSampler(std::shared_ptr<const GlideUNet> model, std::shared_ptr<const TextEmbedding> text,
                             DeviceSamplerOptions options)
    : model_(std::move(model)), text_(std::move(text)), be_(as_cuda(model_->backend())), opt_(std::move(options)) {
  const auto lock = be_.enter();
  const int64_t r = opt_.rows, s = opt_.image_size;
  per_row_ = kChannels * s * s;
  GLIDE_CHECK(r > 0 && s > 0 && opt_.batch > 0, "device sampler: empty batch");
  GLIDE_CHECK(!opt_.guided || r == 2 * opt_.batch, "device sampler: guidance needs 2B rows");
  GLIDE_CHECK(static_cast<int64_t>(opt_.x_init.size()) == r * per_row_, "device sampler: x has ", opt_.x_init.size(),
              " values, expected ", r * per_row_);
  GLIDE_CHECK(!model_->has_text() || (text_ && text_->batch == r), "device sampler: the text conditioning must have ",
              r, " rows");
  const Shape shape{r, kChannels, s, s};
  x_ = be_.empty(shape, DType::F32);
  x_next_ = be_.empty(shape, DType::F32);
  pred_ = be_.empty(shape, DType::F32);
  noise_ = be_.empty(shape, DType::F32);
  x_model_ = be_.empty(shape, be_.compute_dtype());
  be_.copy_to_device(x_.raw(), opt_.x_init.data(), x_.bytes());
  GLIDE_CUDA_CHECK(cudaMemsetAsync(noise_.raw(), 0, noise_.bytes(), be_.stream()));
  if (!opt_.low_res.empty()) low_res_ = be_.upload(opt_.low_res.data(), opt_.low_res_shape);
  if (!opt_.inpaint_image.empty()) {
    GLIDE_CHECK(static_cast<int64_t>(opt_.inpaint_image.size()) == r * per_row_ &&
                    static_cast<int64_t>(opt_.inpaint_mask.size()) == r * s * s,
                "device sampler: inpaint image/mask must be [", r, ",3,", s, ",", s, "] and [", r, ",1,", s, ",", s, "]");
    inpaint_image_ = be_.upload(opt_.inpaint_image.data(), shape);
    inpaint_mask_ = be_.upload(opt_.inpaint_mask.data(), {r, 1, s, s});
    step_image_ = be_.empty(shape, DType::F32);
    step_mask_ = be_.empty({r, 1, s, s}, DType::F32);
    be_.copy_to_device(step_image_.raw(), opt_.inpaint_image.data(), step_image_.bytes());
    be_.copy_to_device(step_mask_.raw(), opt_.inpaint_mask.data(), step_mask_.bytes());
  }
  GLIDE_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&params_host_), sizeof(Params)));
  GLIDE_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&timesteps_host_), static_cast<size_t>(r) * sizeof(float)));
  params_dev_ = be_.arena().allocate_persistent(sizeof(Params));
  timesteps_dev_ = be_.arena().allocate_persistent(static_cast<size_t>(r) * sizeof(float));
  be_.synchronize();
}

DeviceSampler::~DeviceSampler() {
  cudaSetDevice(be_.ordinal());
  cudaStreamSynchronize(be_.stream());
  graph_.reset();
  cudaFreeHost(params_host_);
  cudaFreeHost(timesteps_host_);
}

void DeviceSampler::enqueue_step() {
  const int64_t b = opt_.batch, r = opt_.rows;
  cudaStream_t stream = be_.stream();
  // Model input: x in the compute dtype; under guidance the model sees [x[:B] | x[:B]].
  const size_t es = dtype_size(be_.compute_dtype());
  if (opt_.guided) {
    for (int half_i = 0; half_i < 2; ++half_i)
      convert_dtype(x_.raw(), DType::F32, static_cast<char*>(x_model_.raw()) + half_i * b * per_row_ * es,
                    be_.compute_dtype(), b * per_row_, stream);
  } else {
    convert_dtype(x_.raw(), DType::F32, x_model_.raw(), be_.compute_dtype(), r * per_row_, stream);
  }
  Tensor out;
  {
    const TimestepBinding binding(be_, static_cast<const float*>(timesteps_dev_->data()), r);
    UNetInputs in;
    in.x = x_model_;
    in.timesteps.assign(static_cast<size_t>(r), 0.0f);  // read from the bound device buffer instead
    in.low_res = low_res_;
    in.inpaint_image = inpaint_image_;
    in.inpaint_mask = inpaint_mask_;
    out = be_.cast(model_->forward(in, text_.get()), DType::F32);
  }
  GLIDE_CHECK(out.numel() == 2 * r * per_row_, "device sampler: the model returned ", shape_str(out.shape()));
  // Device addresses of the parameter block's fields (never dereferenced on the host).
  const char* params = static_cast<const char*>(params_dev_->data());
  const auto* key = reinterpret_cast<const uint64_t*>(params + offsetof(Params, key));
  const auto* coef = reinterpret_cast<const StepCoefficients*>(params + offsetof(Params, coef));
  if (opt_.seeded) philox_normal_fill_indirect(key, 0, r * per_row_, static_cast<float*>(noise_.raw()), stream);
  DeviceStepArgs a;
  a.kind = opt_.kind;
  a.eta = opt_.eta;
  a.rows = r;
  a.channels = kChannels;
  a.plane = opt_.image_size * opt_.image_size;
  a.x = static_cast<const float*>(x_.raw());
  a.model_out = static_cast<const float*>(out.raw());
  a.guided = opt_.guided;
  a.guidance_scale = opt_.guidance_scale;
  a.inpaint_image = step_image_.defined() ? static_cast<const float*>(step_image_.raw()) : nullptr;
  a.inpaint_mask = step_mask_.defined() ? static_cast<const float*>(step_mask_.raw()) : nullptr;
  a.clip_denoised = opt_.clip_denoised;
  a.noise = static_cast<const float*>(noise_.raw());
  a.x_next = static_cast<float*>(x_next_.raw());
  a.pred_xstart = static_cast<float*>(pred_.raw());
  sampler_step(a, coef, nullptr, stream);
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(x_.raw(), x_next_.raw(), x_.bytes(), cudaMemcpyDeviceToDevice, stream));
}

void DeviceSampler::step(float timestep, const StepCoefficients& coef, uint64_t stream_id, const float* host_noise) {
  const auto lock = be_.enter();
  const int64_t r = opt_.rows;
  cudaStream_t stream = be_.stream();
  // The previous step synchronised, so the pinned staging is free to rewrite.
  params_host_->coef = coef;
  params_host_->key[0] = opt_.seed;
  params_host_->key[1] = stream_id;
  for (int64_t i = 0; i < r; ++i) timesteps_host_[i] = timestep;
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(params_dev_->data(), params_host_, sizeof(Params), cudaMemcpyHostToDevice, stream));
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(timesteps_dev_->data(), timesteps_host_, static_cast<size_t>(r) * sizeof(float),
                                   cudaMemcpyHostToDevice, stream));
  if (!opt_.seeded && host_noise != nullptr) be_.copy_to_device(noise_.raw(), host_noise, noise_.bytes());
  if (!opt_.use_graphs || steps_done_ == 0) {
    enqueue_step();
  } else {
    if (!graph_) graph_ = CapturedGraph::capture(be_, [this] { enqueue_step(); });
    graph_->replay();
  }
  ++steps_done_;
  be_.synchronize();
}

void DeviceSampler::read(bool pred, int64_t rows, float* out) {
  const auto lock = be_.enter();
  GLIDE_CHECK(rows > 0 && rows <= opt_.rows, "device sampler: cannot read ", rows, " rows of ", opt_.rows);
  const Tensor& t = pred ? pred_ : x_;
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(out, t.raw(), static_cast<size_t>(rows * per_row_) * sizeof(float),
                                   cudaMemcpyDeviceToHost, be_.stream()));
  be_.synchronize();
}

}  // namespace glide::cuda
