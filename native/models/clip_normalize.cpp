#include "models/clip_normalize.h"

#include <cmath>

namespace glide {
namespace {

constexpr float kNormEps = 1e-12f;

float row_norm(const float* z, int64_t dim) {
  double sum = 0.0;
  for (int64_t i = 0; i < dim; ++i) sum += static_cast<double>(z[i]) * z[i];
  return static_cast<float>(std::sqrt(sum));
}

}  // namespace

std::vector<float> clip_normalize(const std::vector<float>& z, int64_t rows, int64_t dim) {
  std::vector<float> out(z.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float denom = row_norm(z.data() + r * dim, dim) + kNormEps;
    for (int64_t i = 0; i < dim; ++i) out[r * dim + i] = z[r * dim + i] / denom;
  }
  return out;
}

std::vector<float> clip_normalize_backward(const std::vector<float>& z, const std::vector<float>& dnormalized,
                                           int64_t rows, int64_t dim) {
  std::vector<float> dz(z.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z.data() + r * dim;
    const float* gr = dnormalized.data() + r * dim;
    const double norm = row_norm(zr, dim);
    const double b = norm + kNormEps;
    double dot = 0.0;
    for (int64_t i = 0; i < dim; ++i) dot += static_cast<double>(gr[i]) * zr[i];
    // ∂‖z‖/∂z = z/‖z‖ (taken as 0 at z = 0, like torch's norm backward)
    const double radial = norm > 0.0 ? dot / (b * b * norm) : 0.0;
    for (int64_t i = 0; i < dim; ++i) dz[r * dim + i] = static_cast<float>(gr[i] / b - zr[i] * radial);
  }
  return dz;
}

}  // namespace glide
