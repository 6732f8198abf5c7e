/** Tokenizers: GLIDE's GPT-2 byte-level BPE and the noised CLIP's SimpleTokenizer. */
export { Gpt2Tokenizer } from "./gpt2_tokenizer.js";
export { ClipTokenizer } from "./clip_tokenizer.js";
export { BytePairEncoder, type BytePairEncoderOptions } from "./byte_pair_encoder.js";
export { fixText } from "./fix_text.js";
