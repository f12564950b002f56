#pragma once
// llama.cpp itself, for the benchmarks and tests that compare medllm with it: libllama from the
// npm package @node-llama-cpp/linux-x64 (pinned in tests/node/package.json; its CPU backends are
// chosen at run time like medllm's kernels), opened with dlopen. The C API declarations are
// written from that release's llama.h; the library's own defaults are checked against the values
// llama.h documents when it is opened, so a layout mismatch is an error, never silent garbage.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace medllm::reference {

struct LlamaCppApi;  // the resolved entry points

// A metadata key llama_model_quantize sets in its output (llama-quantize's kv overrides): a string
// (cut to 127 bytes, as llama.cpp's fixed field holds it) or an integer (written as u32).
struct MetadataOverride {
  std::string key;
  std::variant<int64_t, std::string> value;
};

// The opened libraries. One per process (llama.cpp keeps global backend state).
class LlamaCpp {
 public:
  // dir: the folder with libllama.v*.so, libggml*.so and the CPU backends (the build's
  // MEDLLM_LLAMA_CPP_DIR by default). Throws Error.
  static LlamaCpp& open(const std::string& dir = MEDLLM_LLAMA_CPP_DIR);

  const LlamaCppApi& api() const { return *api_; }
  // llama_print_system_info(): the CPU features the chosen backend uses.
  std::string system_info() const;
  // llama_model_quantize(in, out) to a llama_ftype (LLAMA_FTYPE_MOSTLY_Q4_K_M = 15, ...); pure:
  // every tensor in the type (llama-quantize --pure); imatrix: per matrix name, the importance
  // llama-quantize --imatrix would hand it (each column's mean square input); overrides: the
  // metadata it would set with it. Throws Error.
  void quantize(const std::string& in, const std::string& out, int ftype, int threads, bool pure = false,
                const std::map<std::string, std::vector<float>>* imatrix = nullptr,
                const std::vector<MetadataOverride>& overrides = {}) const;

 private:
  explicit LlamaCpp(const std::string& dir);
  std::unique_ptr<LlamaCppApi> api_;
};

struct LlamaContextOptions {
  int threads = 1;
  uint32_t context = 2048;
  uint32_t batch = 512;    // tokens one decode call takes (n_batch = n_ubatch)
  bool f32_cache = false;  // KV cache in f32 instead of llama.cpp's default f16
  // llama.cpp's default; its CPU flash attention moves f32 logits by about 2e-4 relative (measured),
  // so exact comparisons turn it off.
  bool flash_attention = true;
  std::string lora = {};    // a GGUF LoRA adapter applied to the model (llama.cpp's --lora), if any
  float lora_scale = 1.0f;  // its user scale (llama.cpp's --lora-scaled)
};

// What llama.cpp's own imatrix reader (common_imatrix_load, in the package's libllama-common)
// makes of an imatrix file: per matrix the summed input squares and the counts (one per expert).
struct LlamaCppImatrix {
  struct Entry {
    std::vector<float> sums;
    std::vector<int64_t> counts;
  };
  std::map<std::string, Entry> entries;
  std::vector<std::string> datasets;
  int32_t chunk_count = 0, chunk_size = 0;
};
// Throws Error when llama.cpp refuses the file.
LlamaCppImatrix load_imatrix_with_llama_cpp(const std::string& path, const std::string& dir = MEDLLM_LLAMA_CPP_DIR);

// A GGUF file's vocabulary alone (the model loaded with vocab_only), for llama.cpp's tokenization.
class LlamaVocab {
 public:
  LlamaVocab(const LlamaCpp& lib, const std::string& gguf);  // throws Error
  ~LlamaVocab();
  LlamaVocab(const LlamaVocab&) = delete;
  LlamaVocab& operator=(const LlamaVocab&) = delete;
  // llama_tokenize: add_special adds BOS/EOS as the vocabulary says; parse_special matches
  // control tokens written in the text.
  std::vector<int32_t> tokenize(const std::string& text, bool add_special, bool parse_special) const;

 private:
  const LlamaCppApi& api_;
  void* model_ = nullptr;
};

// A model and one context on it (a single sequence).
class LlamaModel {
 public:
  LlamaModel(const LlamaCpp& lib, const std::string& gguf, const LlamaContextOptions& options);
  ~LlamaModel();
  LlamaModel(const LlamaModel&) = delete;
  LlamaModel& operator=(const LlamaModel&) = delete;

  int32_t vocab_size() const;
  // Appends tokens to the sequence (in chunks of the batch size); logits of the last one only, or
  // of every token (all = true, then returned [n × vocab]).
  std::vector<float> decode(std::span<const int32_t> tokens, bool all = false);
  void clear();  // empties the KV cache: the next decode starts at position 0

 private:
  struct BatchBuffer;  // a llama_batch, allocated once: a decode step should time llama.cpp, not malloc
  const LlamaCppApi& api_;
  void* model_ = nullptr;
  void* context_ = nullptr;
  std::unique_ptr<BatchBuffer> batch_;
  uint32_t batch_size_ = 0;
  int32_t position_ = 0;
};

}  // namespace medllm::reference
