#include "models/clip_block.h"

#include "ops/cpu/backward.h"
#include "ops/cpu/cpu_backend.h"

namespace glide {

ClipTransformerBlock::ClipTransformerBlock(WeightLoader& w, const std::string& prefix, int64_t width, int64_t heads,
                                           bool causal)
    : attn_ln_(ClipLayerNorm::load(w, prefix + ".f_attn.ln", width)),
      f_q_(ClipAffine::load(w, prefix + ".f_attn.f_q", width, width, true)),
      f_k_(ClipAffine::load(w, prefix + ".f_attn.f_k", width, width, false)),
      f_v_(ClipAffine::load(w, prefix + ".f_attn.f_v", width, width, true)),
      f_c_(ClipAffine::load(w, prefix + ".f_attn.f_c", width, width, true)),
      mlp_ln_(ClipLayerNorm::load(w, prefix + ".f_mlp.ln", width)),
      f_1_(ClipAffine::load(w, prefix + ".f_mlp.f_1", width, 4 * width, true)),
      f_2_(ClipAffine::load(w, prefix + ".f_mlp.f_2", 4 * width, width, true)),
      heads_(static_cast<int>(heads)),
      causal_(causal) {}

Tensor ClipTransformerBlock::forward(Backend& be, const Tensor& x, ClipBlockActivations* saved) const {
  const Tensor a = attn_ln_(be, x);
  const Tensor q = f_q_(be, a), k = f_k_(be, a), v = f_v_(be, a);
  const Tensor attn = be.self_attention(q, k, v, heads_, causal_);
  const Tensor h = be.add(x, f_c_(be, attn));
  const Tensor hidden = f_1_(be, mlp_ln_(be, h));
  Tensor y = be.add(h, f_2_(be, be.gelu(hidden)));
  if (saved != nullptr) *saved = ClipBlockActivations{x, q, k, v, attn, h, hidden};
  return y;
}

Tensor ClipTransformerBlock::backward(const ClipBlockActivations& s, const Tensor& dy) const {
  cpu::CpuBackend& cpu = cpu::cpu_backend();
  // MLP branch: dh = dy + ln'(f_1'(gelu'(f_2'(dy))))
  const Tensor dhidden = cpu::gelu_backward(s.hidden, f_2_.backward(dy));
  const Tensor dh = cpu.add(dy, mlp_ln_.backward(s.h, f_1_.backward(dhidden)));
  // Attention branch: dx = dh + ln'(f_q'(dq) + f_k'(dk) + f_v'(dv))
  Tensor dq, dk, dv;
  cpu::self_attention_backward(s.q, s.k, s.v, s.attn, f_c_.backward(dh), heads_, causal_, dq, dk, dv);
  const Tensor da = cpu.add(cpu.add(f_q_.backward(dq), f_k_.backward(dk)), f_v_.backward(dv));
  return cpu.add(dh, attn_ln_.backward(s.x, da));
}

}  // namespace glide
