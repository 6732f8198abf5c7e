// The L2 normalisation of CLIP embeddings, ẑ = z / (‖z‖ + 1e-12) per row, and its reverse pass.
#pragma once
#include <cstdint>
#include <vector>

namespace glide {

/** z [rows, dim] -> ẑ [rows, dim] */
std::vector<float> clip_normalize(const std::vector<float>& z, int64_t rows, int64_t dim);

/** ∂/∂z from ∂/∂ẑ (both [rows, dim]): dz = dẑ/b − z·(dẑ·z)/(b²·‖z‖), b = ‖z‖ + 1e-12. */
std::vector<float> clip_normalize_backward(const std::vector<float>& z, const std::vector<float>& dnormalized,
                                           int64_t rows, int64_t dim);

}  // namespace glide
