#include "random_gguf.hpp"

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/gguf_writer.hpp"

namespace medllm::bench {

namespace {

// llama.cpp's tensor names for the Hugging Face ones. (For llama, its q/k row permutation for
// interleaved rope is not applied: the weights are random, and both engines read the same file.)
std::string gguf_name(const std::string& hf) {
  static const std::map<std::string, std::string> kLayer = {
      {"input_layernorm.weight", "attn_norm.weight"},    {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},       {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},       {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},          {"self_attn.v_proj.bias", "attn_v.bias"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"}, {"self_attn.k_norm.weight", "attn_k_norm.weight"}};
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  const std::string prefix = "model.layers.";
  const size_t dot = hf.find('.', prefix.size());
  const auto found = kLayer.find(hf.substr(dot + 1));
  if (!hf.starts_with(prefix) || found == kLayer.end()) fail("no GGUF name for {}", hf);
  return "blk." + hf.substr(prefix.size(), dot - prefix.size()) + "." + found->second;
}

// A SentencePiece-style vocabulary: <unk> <s> </s>, the 256 byte tokens, then filler pieces.
void add_vocabulary(GgufWriter& gguf, int64_t size) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0.0f, 0.0f, 0.0f};
  std::vector<int32_t> types = {2, 3, 3};  // UNKNOWN, CONTROL
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    scores.push_back(0.0f);
    types.push_back(6);  // BYTE
  }
  for (int64_t k = 0; static_cast<int64_t>(tokens.size()) < size; ++k) {
    tokens.push_back(fmt::format("\u2581t{}", k));
    scores.push_back(-static_cast<float>(k + 1));
    types.push_back(1);  // NORMAL
  }
  gguf.add_string("tokenizer.ggml.model", "llama");
  gguf.add_string_array("tokenizer.ggml.tokens", tokens);
  gguf.add_f32_array("tokenizer.ggml.scores", scores);
  gguf.add_i32_array("tokenizer.ggml.token_type", types);
  gguf.add_u32("tokenizer.ggml.bos_token_id", 1);
  gguf.add_u32("tokenizer.ggml.eos_token_id", 2);
  gguf.add_u32("tokenizer.ggml.unknown_token_id", 0);
  gguf.add_bool("tokenizer.ggml.add_bos_token", true);
}

uint32_t file_type(DType dtype) {  // llama_ftype
  switch (dtype) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::BF16:
      return 32;
    default:
      fail("the random GGUF model is written in f32, f16 or bf16, not {}", dtype_name(dtype));
  }
}

}  // namespace

bool ensure_random_llama_gguf(const std::filesystem::path& path, const LlamaShape& s, DType dtype) {
  if (std::filesystem::exists(path)) return false;
  GgufWriter gguf;
  const std::string arch = s.architecture;
  gguf.add_string("general.architecture", arch);
  gguf.add_string("general.name", fmt::format("random {} {}x{}", arch, s.layers, s.hidden));
  gguf.add_u32("general.file_type", file_type(dtype));
  gguf.add_u32(arch + ".block_count", static_cast<uint32_t>(s.layers));
  gguf.add_u32(arch + ".context_length", static_cast<uint32_t>(s.max_positions));
  gguf.add_u32(arch + ".embedding_length", static_cast<uint32_t>(s.hidden));
  gguf.add_u32(arch + ".feed_forward_length", static_cast<uint32_t>(s.ffn));
  gguf.add_u32(arch + ".attention.head_count", static_cast<uint32_t>(s.heads));
  gguf.add_u32(arch + ".attention.head_count_kv", static_cast<uint32_t>(s.kv_heads));
  gguf.add_u32(arch + ".rope.dimension_count", static_cast<uint32_t>(s.hidden / s.heads));
  gguf.add_f32(arch + ".rope.freq_base", 10000.0f);
  gguf.add_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  gguf.add_u32(arch + ".vocab_size", static_cast<uint32_t>(s.vocab));
  add_vocabulary(gguf, s.vocab);
  const std::vector<NamedTensor> tensors = random_llama_weights(s, dtype);
  for (const NamedTensor& t : tensors) gguf.add_tensor(gguf_name(t.name), t.dtype, t.shape, t.bytes);
  std::filesystem::create_directories(path.parent_path());
  gguf.write(path.string());
  return true;
}

}  // namespace medllm::bench
