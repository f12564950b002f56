#include "llama_cpp.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.hpp"

namespace medllm::reference {

namespace {

// The C API's structs, field for field as this release's llama.h declares them (enums are int).
struct ModelParams {
  void* devices;
  const void* tensor_buft_overrides;
  int32_t n_gpu_layers, split_mode, load_mode, lazy_mode, main_gpu;
  const float* tensor_split;
  void* progress_callback;
  void* progress_callback_user_data;
  const void* kv_overrides;
  bool vocab_only, check_tensors, use_extra_bufts, no_host, no_alloc, load_mtp;
};

struct ContextParams {
  uint32_t n_ctx, n_batch, n_ubatch, n_seq_max, n_rs_seq, n_outputs_max, n_outputs_max_per_seq;
  int32_t n_threads, n_threads_batch;
  int32_t ctx_type, rope_scaling_type, pooling_type, attention_type, flash_attn_type;
  float rope_freq_base, rope_freq_scale, yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
  uint32_t yarn_orig_ctx;
  float defrag_thold;
  void* cb_eval;
  void* cb_eval_user_data;
  int32_t type_k, type_v;  // enum ggml_type
  void* abort_callback;
  void* abort_callback_data;
  bool embeddings, offload_kqv, no_perf, op_offload, swa_full, kv_unified;
  void* samplers;
  size_t n_samplers;
  void* ctx_other;
};

struct Batch {
  int32_t n_tokens;
  int32_t* token;
  float* embd;
  int32_t* pos;
  int32_t* n_seq_id;
  int32_t** seq_id;
  int8_t* logits;
};

struct ImatrixData {  // llama_model_imatrix_data; an array of them ends with a null name
  const char* name;
  const float* data;
  size_t size;
};

struct KvOverride {  // llama_model_kv_override; an array of them ends with an empty key
  int32_t tag;       // LLAMA_KV_OVERRIDE_TYPE_INT = 0, ..._STR = 3
  char key[128];
  union {
    int64_t i64;
    char str[128];
  };
};
static_assert(sizeof(KvOverride) == 264, "llama.h's layout: tag, key[128], an 8-aligned union of 128 bytes");

struct QuantizeParams {
  int32_t nthread, ftype, output_tensor_type, token_embedding_type;
  bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
  const ImatrixData* imatrix;
  const KvOverride* kv_overrides;
  const void* tt_overrides;
  const int32_t* prune_layers;
  size_t max_buf_size;
};

constexpr int32_t kGgmlTypeF32 = 0, kGgmlTypeF16 = 1;
constexpr int32_t kFlashAttentionDisabled = 0;  // LLAMA_FLASH_ATTN_TYPE_DISABLED (default: auto)
constexpr int kLogError = 4;                    // GGML_LOG_LEVEL_ERROR

// llama.cpp's error lines since the last call that failed, for the exception's message.
std::mutex log_mutex;
std::string last_errors;

void keep_errors(int level, const char* text, void*) {
  if (level != kLogError || text == nullptr) return;
  const std::lock_guard lock(log_mutex);
  last_errors += text;
  if (last_errors.size() > 4096) last_errors.erase(0, last_errors.size() - 4096);
}

std::string take_errors() {
  const std::lock_guard lock(log_mutex);
  std::string out;
  out.swap(last_errors);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.empty() ? "" : ": " + out;
}

}  // namespace

struct LlamaCppApi {
  void (*backend_init)();
  void (*log_set)(void (*)(int, const char*, void*), void*);
  const char* (*print_system_info)();
  ModelParams (*model_default_params)();
  ContextParams (*context_default_params)();
  QuantizeParams (*quantize_default_params)();
  void* (*model_load_from_file)(const char*, ModelParams);
  void (*model_free)(void*);
  void* (*init_from_model)(void*, ContextParams);
  void (*free)(void*);
  const void* (*model_get_vocab)(const void*);
  int32_t (*vocab_n_tokens)(const void*);
  int32_t (*tokenize)(const void*, const char*, int32_t, int32_t*, int32_t, bool, bool);
  Batch (*batch_init)(int32_t, int32_t, int32_t);
  void (*batch_free)(Batch);
  int32_t (*decode)(void*, Batch);
  float* (*get_logits_ith)(void*, int32_t);
  void* (*get_memory)(const void*);
  void (*memory_clear)(void*, bool);
  uint32_t (*model_quantize)(const char*, const char*, const QuantizeParams*);
  void* (*adapter_lora_init)(void*, const char*);
  int32_t (*set_adapters_lora)(void*, void**, size_t, float*);
};

namespace {

void* open_library(const std::filesystem::path& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) fail("cannot open llama.cpp's {}: {}", path.string(), dlerror());
  return handle;
}

// The first file in dir whose name starts with `stem` and ends in .so (libllama.v0.4.0.so).
std::filesystem::path find_library(const std::filesystem::path& dir, const std::string& stem) {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(stem) && name.ends_with(".so")) found.push_back(entry.path());
  }
  if (error) fail("{}: {} (install the npm references: npm ci in tests/node)", dir.string(), error.message());
  if (found.empty()) fail("{}: no {}*.so (install the npm references: npm ci in tests/node)", dir.string(), stem);
  std::sort(found.begin(), found.end());
  return found.front();
}

template <class Fn>
void resolve(void* handle, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (out == nullptr) fail("llama.cpp has no {}: not the release medllm was written against", name);
}

// The defaults llama.h documents for this release; anything else means the structs above do not
// match the library.
void check_layouts(const LlamaCppApi& api) {
  const ModelParams m = api.model_default_params();
  const ContextParams c = api.context_default_params();
  const QuantizeParams q = api.quantize_default_params();
  const bool model_ok = m.n_gpu_layers == -1 && m.main_gpu == 0 && m.use_extra_bufts && !m.vocab_only && !m.load_mtp;
  const bool context_ok = c.n_ctx == 512 && c.n_batch == 2048 && c.n_ubatch == 512 && c.n_seq_max == 1 &&
                          c.type_k == kGgmlTypeF16 && c.type_v == kGgmlTypeF16 && c.defrag_thold == -1.0f &&
                          c.offload_kqv && c.no_perf && c.n_samplers == 0 && c.ctx_other == nullptr;
  const bool quantize_ok = q.nthread == 0 && q.ftype == 7 && q.quantize_output_tensor && !q.allow_requantize &&
                           !q.dry_run && q.imatrix == nullptr && q.max_buf_size > 0;
  if (!model_ok || !context_ok || !quantize_ok) {
    fail(
        "llama.cpp's default parameters are not the ones its llama.h documents (model {}, context {}, quantize {}): "
        "the library is not the release medllm's declarations were written from",
        model_ok ? "ok" : "differs", context_ok ? "ok" : "differs", quantize_ok ? "ok" : "differs");
  }
}

}  // namespace

LlamaCpp& LlamaCpp::open(const std::string& dir) {
  static LlamaCpp* opened = nullptr;
  static std::string opened_dir;
  if (opened != nullptr) {
    if (opened_dir != dir) fail("llama.cpp is already open from {}, not {}", opened_dir, dir);
    return *opened;
  }
  opened = new LlamaCpp(dir);  // lives as long as the process: the libraries are never closed
  opened_dir = dir;
  return *opened;
}

LlamaCpp::LlamaCpp(const std::string& dir) : api_(std::make_unique<LlamaCppApi>()) {
  void* ggml = open_library(find_library(dir, "libggml.v"));
  void* llama = open_library(find_library(dir, "libllama.v"));
  void (*load_backends)(const char*) = nullptr;
  resolve(ggml, "ggml_backend_load_all_from_path", load_backends);
  LlamaCppApi& a = *api_;
  resolve(llama, "llama_backend_init", a.backend_init);
  resolve(llama, "llama_log_set", a.log_set);
  resolve(llama, "llama_print_system_info", a.print_system_info);
  resolve(llama, "llama_model_default_params", a.model_default_params);
  resolve(llama, "llama_context_default_params", a.context_default_params);
  resolve(llama, "llama_model_quantize_default_params", a.quantize_default_params);
  resolve(llama, "llama_model_load_from_file", a.model_load_from_file);
  resolve(llama, "llama_model_free", a.model_free);
  resolve(llama, "llama_init_from_model", a.init_from_model);
  resolve(llama, "llama_free", a.free);
  resolve(llama, "llama_model_get_vocab", a.model_get_vocab);
  resolve(llama, "llama_vocab_n_tokens", a.vocab_n_tokens);
  resolve(llama, "llama_tokenize", a.tokenize);
  resolve(llama, "llama_batch_init", a.batch_init);
  resolve(llama, "llama_batch_free", a.batch_free);
  resolve(llama, "llama_decode", a.decode);
  resolve(llama, "llama_get_logits_ith", a.get_logits_ith);
  resolve(llama, "llama_get_memory", a.get_memory);
  resolve(llama, "llama_memory_clear", a.memory_clear);
  resolve(llama, "llama_model_quantize", a.model_quantize);
  resolve(llama, "llama_adapter_lora_init", a.adapter_lora_init);
  resolve(llama, "llama_set_adapters_lora", a.set_adapters_lora);
  check_layouts(a);
  a.log_set(keep_errors, nullptr);
  load_backends(dir.c_str());  // the CPU backend variant this machine runs best
  a.backend_init();
}

std::string LlamaCpp::system_info() const {
  return api_->print_system_info();
}

void LlamaCpp::quantize(const std::string& in, const std::string& out, int ftype, int threads, bool pure,
                        const std::map<std::string, std::vector<float>>* imatrix,
                        const std::vector<MetadataOverride>& overrides) const {
  QuantizeParams params = api_->quantize_default_params();
  params.ftype = ftype;
  params.nthread = threads;
  params.pure = pure;
  std::vector<ImatrixData> entries;
  if (imatrix != nullptr) {
    for (const auto& [name, values] : *imatrix) entries.push_back({name.c_str(), values.data(), values.size()});
    entries.push_back({nullptr, nullptr, 0});
    params.imatrix = entries.data();
  }
  std::vector<KvOverride> kv(overrides.size() + 1);  // value-initialised: the last has an empty key
  for (size_t i = 0; i < overrides.size(); ++i) {
    const MetadataOverride& o = overrides[i];
    if (o.key.size() >= sizeof kv[i].key) fail("metadata key '{}' is too long for llama.cpp", o.key);
    std::memcpy(kv[i].key, o.key.c_str(), o.key.size() + 1);
    if (const auto* text = std::get_if<std::string>(&o.value)) {
      kv[i].tag = 3;
      std::strncpy(kv[i].str, text->c_str(), sizeof kv[i].str - 1);
    } else {
      kv[i].tag = 0;
      kv[i].i64 = std::get<int64_t>(o.value);
    }
  }
  if (!overrides.empty()) params.kv_overrides = kv.data();
  if (api_->model_quantize(in.c_str(), out.c_str(), &params) != 0) {
    fail("llama.cpp could not quantize {} to {}{}", in, out, take_errors());
  }
}

namespace {

// common/imatrix-loader.h's structs, member for member: libllama-common fills one through a C++
// reference (the same libstdc++ on both sides, so std::map/std::vector/std::string match).
struct CommonImatrixEntry {
  std::vector<float> sums;
  std::vector<int64_t> counts;
};
struct CommonImatrix {
  std::map<std::string, CommonImatrixEntry> entries;
  std::vector<std::string> datasets;
  int32_t chunk_count = 0;
  int32_t chunk_size = 0;
  bool is_legacy = false;
  bool has_metadata = false;
};

}  // namespace

LlamaCppImatrix load_imatrix_with_llama_cpp(const std::string& path, const std::string& dir) {
  LlamaCpp::open(dir);  // libllama first: libllama-common needs it
  static void* common = open_library(std::filesystem::path(dir) / "libllama-common.so");
  bool (*load)(const std::string&, CommonImatrix&) = nullptr;
  // common_imatrix_load(const std::string&, common_imatrix&), by its mangled name.
  resolve(common, "_Z19common_imatrix_loadRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEER14common_imatrix",
          load);
  CommonImatrix loaded;
  if (!load(path, loaded)) fail("llama.cpp could not read the imatrix {}{}", path, take_errors());
  LlamaCppImatrix out;
  for (auto& [name, entry] : loaded.entries) out.entries[name] = {std::move(entry.sums), std::move(entry.counts)};
  out.datasets = loaded.datasets;
  out.chunk_count = loaded.chunk_count;
  out.chunk_size = loaded.chunk_size;
  return out;
}

LlamaVocab::LlamaVocab(const LlamaCpp& lib, const std::string& gguf) : api_(lib.api()) {
  ModelParams params = api_.model_default_params();
  params.vocab_only = true;
  model_ = api_.model_load_from_file(gguf.c_str(), params);
  if (model_ == nullptr) fail("llama.cpp could not load the vocabulary of {}{}", gguf, take_errors());
}

LlamaVocab::~LlamaVocab() {
  api_.model_free(model_);
}

std::vector<int32_t> LlamaVocab::tokenize(const std::string& text, bool add_special, bool parse_special) const {
  const void* vocab = api_.model_get_vocab(model_);
  const auto length = static_cast<int32_t>(text.size());
  std::vector<int32_t> ids(text.size() + 8);
  int32_t n = api_.tokenize(vocab, text.data(), length, ids.data(), static_cast<int32_t>(ids.size()), add_special,
                            parse_special);
  if (n < 0) {  // -n ids were needed
    ids.resize(static_cast<size_t>(-n));
    n = api_.tokenize(vocab, text.data(), length, ids.data(), -n, add_special, parse_special);
  }
  if (n < 0) fail("llama.cpp could not tokenize {} bytes of text{}", text.size(), take_errors());
  ids.resize(static_cast<size_t>(n));
  return ids;
}

struct LlamaModel::BatchBuffer {
  Batch value;
};

LlamaModel::LlamaModel(const LlamaCpp& lib, const std::string& gguf, const LlamaContextOptions& options)
    : api_(lib.api()), batch_size_(options.batch) {
  ModelParams model_params = api_.model_default_params();
  model_params.n_gpu_layers = 0;
  model_ = api_.model_load_from_file(gguf.c_str(), model_params);
  if (model_ == nullptr) fail("llama.cpp could not load {}{}", gguf, take_errors());
  ContextParams params = api_.context_default_params();
  params.n_ctx = options.context;
  params.n_batch = params.n_ubatch = options.batch;
  params.n_threads = params.n_threads_batch = options.threads;
  if (options.f32_cache) params.type_k = params.type_v = kGgmlTypeF32;
  if (!options.flash_attention) params.flash_attn_type = kFlashAttentionDisabled;
  context_ = api_.init_from_model(model_, params);
  if (context_ == nullptr) {
    api_.model_free(model_);
    fail("llama.cpp could not make a context for {}{}", gguf, take_errors());
  }
  batch_ = std::make_unique<BatchBuffer>(BatchBuffer{api_.batch_init(static_cast<int32_t>(batch_size_), 0, 1)});
  if (!options.lora.empty()) {
    // The adapter belongs to the model and is freed with it.
    void* adapter = api_.adapter_lora_init(model_, options.lora.c_str());
    float scale = options.lora_scale;
    if (adapter == nullptr || api_.set_adapters_lora(context_, &adapter, 1, &scale) != 0) {
      const std::string errors = take_errors();
      api_.batch_free(batch_->value);
      api_.free(context_);
      api_.model_free(model_);
      fail("llama.cpp could not apply the LoRA adapter {}{}", options.lora, errors);
    }
  }
}

LlamaModel::~LlamaModel() {
  api_.batch_free(batch_->value);
  api_.free(context_);
  api_.model_free(model_);
}

int32_t LlamaModel::vocab_size() const {
  return api_.vocab_n_tokens(api_.model_get_vocab(model_));
}

std::vector<float> LlamaModel::decode(std::span<const int32_t> tokens, bool all) {
  const int32_t vocab = vocab_size();
  std::vector<float> logits;
  Batch& batch = batch_->value;
  for (size_t begin = 0; begin < tokens.size(); begin += batch_size_) {
    const size_t n = std::min<size_t>(batch_size_, tokens.size() - begin);
    const bool last_chunk = begin + n == tokens.size();
    batch.n_tokens = static_cast<int32_t>(n);
    for (size_t i = 0; i < n; ++i) {
      batch.token[i] = tokens[begin + i];
      batch.pos[i] = position_ + static_cast<int32_t>(i);
      batch.n_seq_id[i] = 1;
      batch.seq_id[i][0] = 0;
      batch.logits[i] = all || (last_chunk && i + 1 == n) ? 1 : 0;
    }
    if (api_.decode(context_, batch) != 0) {
      fail("llama.cpp's llama_decode failed at position {}{}", position_, take_errors());
    }
    position_ += static_cast<int32_t>(n);
    for (size_t i = 0; i < n; ++i) {
      if (batch.logits[i] == 0) continue;
      const float* row = api_.get_logits_ith(context_, static_cast<int32_t>(i));
      logits.insert(logits.end(), row, row + vocab);
    }
  }
  return logits;
}

void LlamaModel::clear() {
  api_.memory_clear(api_.get_memory(context_), true);
  position_ = 0;
}

}  // namespace medllm::reference
