#include "data/prepare.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <medllm/tokenizer.hpp>
#include <optional>
#include <unordered_set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_options.hpp"
#include "core/progress.hpp"
#include "core/sha256.hpp"
#include "core/utf8.hpp"
#include "data/dataset.hpp"
#include "templating/chat_template.hpp"

namespace medllm {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

nlohmann::json PrepareStats::to_json() const {
  return {{"records", records},
          {"dropped",
           {{"empty", empty},
            {"too_short", too_short},
            {"invalid_utf8", invalid_utf8},
            {"malformed", malformed},
            {"duplicates", duplicates}}},
          {"train", {{"documents", train_documents}, {"tokens", train_tokens}, {"scored_tokens", train_scored}}},
          {"valid", {{"documents", valid_documents}, {"tokens", valid_tokens}, {"scored_tokens", valid_scored}}},
          {"shards", shards}};
}

std::string PrepareStats::counts_text() const {
  return fmt::format(
      "{} records → train {} documents / {} tokens, valid {} documents / {} tokens; dropped {} duplicates, {} empty, "
      "{} too short, {} invalid UTF-8, {} malformed",
      records, train_documents, train_tokens, valid_documents, valid_tokens, duplicates, empty, too_short, invalid_utf8,
      malformed);
}

namespace {

template <typename Visitor>
void visit_fields(PrepareOptions& o, Visitor&& visit) {
  visit("inputs", o.inputs);
  visit("out_dir", o.out_dir);
  visit("format", o.format);
  visit("sample_by", o.sample_by);
  visit("text_field", o.text_field);
  visit("text_template", o.text_template);
  visit("prompt_field", o.prompt_field);
  visit("response_field", o.response_field);
  visit("system_prompt", o.system_prompt);
  visit("objective", o.objective);
  visit("valid_fraction", o.valid_fraction);
  visit("deduplicate", o.deduplicate);
  visit("min_chars", o.min_chars);
  visit("add_eos", o.add_eos);
  visit("shard_tokens", o.shard_tokens);
}

}  // namespace

PrepareOptions PrepareOptions::from_json(const nlohmann::json& json, const std::string& source) {
  return options_from_json<PrepareOptions>(json, source,
                                           [](PrepareOptions& o, auto&& visit) { visit_fields(o, visit); });
}

nlohmann::json PrepareOptions::to_json() const {
  return options_to_json(*this, [](PrepareOptions& o, auto&& visit) { visit_fields(o, visit); });
}

namespace {

// A sample before tokenization: plain text, or a conversation.
struct Sample {
  std::string text;
  ordered_json messages;  // array when the sample is a conversation
};

// CRLF → LF and surrounding whitespace trimmed.
std::string clean_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
    out.push_back(in[i]);
  }
  return std::string(utf8::trim_ascii(out));
}

// The field as text: a string, or a number or boolean as JSON writes it.
std::string field_text(const nlohmann::json& record, const std::string& field, const std::string& where) {
  const auto& value = required_field(record, field, where);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  fail_value(field_name(where, field), "a string, a number or a boolean", value);
}

// "{question}\n{answer}" with each {field} replaced; "{{" and "}}" are literal braces.
std::string apply_text_template(const std::string& pattern, const nlohmann::json& record, const std::string& where) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.compare(i, 2, "{{") == 0 || pattern.compare(i, 2, "}}") == 0) {
      out.push_back(pattern[i]);
      ++i;
    } else if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) fail("--text-template: unclosed '{{' at offset {}", i);
      out += field_text(record, pattern.substr(i + 1, close - i - 1), where);
      i = close;
    } else {
      out.push_back(pattern[i]);
    }
  }
  return out;
}

std::string detect_format(const std::string& path, const nlohmann::json* first_record) {
  if (first_record == nullptr) return "text";
  if (first_record->contains("messages")) return "messages";
  if (first_record->contains("conversations")) return "sharegpt";
  if (first_record->contains("instruction") && first_record->contains("output")) return "alpaca";
  (void)path;
  return "jsonl";
}

ordered_json role_message(const std::string& role, const std::string& content) {
  return ordered_json{{"role", role}, {"content", content}};
}

// A JSON record → a Sample in the given format.
Sample record_to_sample(const nlohmann::json& record, const std::string& format, const PrepareOptions& options,
                        const std::string& where) {
  if (!record.is_object()) fail("{}: expected a JSON object", where);
  Sample sample;
  if (format == "jsonl") {
    if (!options.prompt_field.empty()) {
      sample.messages =
          ordered_json::array({role_message("user", field_text(record, options.prompt_field, where)),
                               role_message("assistant", field_text(record, options.response_field, where))});
    } else if (!options.text_template.empty()) {
      sample.text = apply_text_template(options.text_template, record, where);
    } else {
      sample.text = field_text(record, options.text_field, where);
    }
  } else if (format == "messages") {
    const auto& messages = required_array(record, "messages", where);
    sample.messages = ordered_json::array();
    for (size_t i = 0; i < messages.size(); ++i) {
      const std::string at = fmt::format("{}: messages[{}]", where, i);
      sample.messages.push_back(
          role_message(required_string(messages[i], "role", at), required_string(messages[i], "content", at)));
    }
  } else if (format == "sharegpt") {
    const auto& turns = required_array(record, "conversations", where);
    sample.messages = ordered_json::array();
    for (size_t i = 0; i < turns.size(); ++i) {
      const std::string at = fmt::format("{}: conversations[{}]", where, i);
      const std::string& from = required_string(turns[i], "from", at);
      const std::string role = from == "human" || from == "user"      ? "user"
                               : from == "gpt" || from == "assistant" ? "assistant"
                               : from == "system"                     ? "system"
                                                                      : "";
      if (role.empty()) fail("{}: unknown ShareGPT speaker '{}' (human, gpt, system)", where, from);
      sample.messages.push_back(role_message(role, required_string(turns[i], "value", at)));
    }
  } else if (format == "alpaca") {
    std::string prompt = field_text(record, "instruction", where);
    if (const auto input = optional_string(record, "input", where); input && !input->empty()) prompt += "\n\n" + *input;
    sample.messages = ordered_json::array(
        {role_message("user", prompt), role_message("assistant", field_text(record, "output", where))});
  } else {
    fail("unknown data format '{}' (auto, text, jsonl, messages, sharegpt, alpaca)", format);
  }
  if (sample.messages.is_array()) {
    for (auto& m : sample.messages) m["content"] = clean_text(m["content"].get<std::string>());
    if (!options.system_prompt.empty() && (sample.messages.empty() || sample.messages[0]["role"] != "system"))
      sample.messages.insert(sample.messages.begin(), role_message("system", options.system_prompt));
  }
  return sample;
}

// The text the hash, dedup and length checks see.
std::string sample_key(const Sample& sample) {
  if (!sample.messages.is_array()) return sample.text;
  std::string key;
  for (const auto& m : sample.messages)
    key += m["role"].get<std::string>() + "\x1f" + m["content"].get<std::string>() + "\x1e";
  return key;
}

class Preparer {
 public:
  Preparer(const Tokenizer& tokenizer, const ChatTemplate* chat, const PrepareOptions& options)
      : tokenizer_(tokenizer), chat_(chat), options_(options), fingerprint_(tokenizer_fingerprint(tokenizer)) {}

  void add(Sample sample, const std::string& where) {
    ++stats_.records;
    if (!sample.messages.is_array()) sample.text = clean_text(sample.text);
    const std::string key = sample_key(sample);
    if (utf8::find_invalid(key) != std::string_view::npos) {
      ++stats_.invalid_utf8;
      return;
    }
    const bool empty = sample.messages.is_array() ? !has_assistant_content(sample.messages) : key.empty();
    if (empty) {
      ++stats_.empty;
      return;
    }
    if (static_cast<int64_t>(key.size()) < options_.min_chars) {
      ++stats_.too_short;
      return;
    }
    const std::string digest = sha256_hex(key);
    const DigestPrefix prefix{std::stoull(digest.substr(0, 16), nullptr, 16),
                              std::stoull(digest.substr(16, 16), nullptr, 16)};
    if (options_.deduplicate && !seen_.insert(prefix).second) {
      ++stats_.duplicates;
      return;
    }
    tokens_.clear();
    scored_.clear();
    if (sample.messages.is_array()) {
      encode_conversation(sample.messages, where);
    } else {
      if (options_.objective == "sft")
        fail("{}: objective sft needs conversations (messages, sharegpt, alpaca, or --prompt-field/--response-field)",
             where);
      tokens_ = tokenizer_.encode(sample.text, true);
      if (options_.add_eos && tokenizer_.eos_id()) tokens_.push_back(*tokenizer_.eos_id());
      scored_.assign(tokens_.size(), 1);
    }
    // The digest's first 64 bits, as a fraction of 2^64, decide the split.
    const double u = static_cast<double>(prefix.high) / 18446744073709551616.0;
    const bool valid = u < options_.valid_fraction;
    (valid ? valid_ : train_).add(tokens_, scored_);
    if ((valid ? valid_ : train_).tokens() >= options_.shard_tokens) flush(valid);
  }

  void malformed(const std::string& message) {
    ++stats_.records;
    if (++stats_.malformed <= kExamples) stats_.malformed_examples.push_back(utf8::sanitize(message));
  }

  // Remembers the fields of the first records, to name them when a field the options ask for is missing.
  void note_fields(const nlohmann::json& record) {
    if (!record.is_object() || ++records_noted_ > kRecordsNoted) return;
    auto& fields = stats_.record_fields;
    for (const auto& [key, value] : record.items()) {
      std::string field = utf8::sanitize(key);
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(std::move(field));
    }
  }

  PrepareStats finish() {
    flush(false);
    flush(true);
    return stats_;
  }

 private:
  static bool has_assistant_content(const ordered_json& messages) {
    for (const auto& m : messages) {
      if (m["role"] == "assistant" && !m["content"].get<std::string>().empty()) return true;
    }
    return false;
  }

  void append(const std::string& text, bool scored) {
    if (text.empty()) return;
    const auto ids = tokenizer_.encode(text, false);
    tokens_.insert(tokens_.end(), ids.begin(), ids.end());
    scored_.insert(scored_.end(), ids.size(), scored ? 1 : 0);
  }

  // Splits the rendered conversation into context and assistant text. Exact method: render
  // growing prefixes; what each assistant message adds after the generation prompt is its text.
  // Templates that rewrite earlier turns (Qwen3 drops past think blocks) break the prefix
  // property; for them each assistant span runs from the generation prompt to the end of the
  // message's content in the full rendering, plus the end-of-turn token that follows it.
  void encode_conversation(const ordered_json& messages, const std::string& where) {
    if (chat_ == nullptr) fail("{}: conversations need a chat template", where);
    ChatTemplateOptions with_prompt, without_prompt;
    with_prompt.add_generation_prompt = true;
    const std::string all = chat_->render(messages, without_prompt);
    const auto prefix = [&](size_t count) {
      return ordered_json(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(count));
    };
    std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) of assistant text in `all`
    bool exact = true;
    for (size_t k = 0; k < messages.size() && exact; ++k) {
      if (messages[k]["role"] != "assistant") continue;
      const std::string prompt = chat_->render(prefix(k), with_prompt);
      const std::string full = chat_->render(prefix(k + 1), without_prompt);
      const size_t done = spans.empty() ? 0 : spans.back().second;
      exact = prompt.size() >= done && full.starts_with(prompt) && all.starts_with(full);
      if (exact) spans.emplace_back(prompt.size(), full.size());
    }
    if (!exact) {
      spans.clear();
      for (size_t k = 0; k < messages.size(); ++k) {
        if (messages[k]["role"] != "assistant") continue;
        const std::string prompt = chat_->render(prefix(k), with_prompt);
        const std::string& content = messages[k]["content"].get_ref<const std::string&>();
        const size_t at = all.starts_with(prompt) ? all.find(content, prompt.size()) : std::string::npos;
        if (at == std::string::npos || (!spans.empty() && prompt.size() < spans.back().second))
          fail("{}: cannot locate assistant turn {} in the rendering of chat template '{}' (use objective cpt)", where,
               k, chat_->name());
        size_t end = at + content.size();
        for (const std::string& marker : end_of_turn_markers()) {
          if (!marker.empty() && all.compare(end, marker.size(), marker) == 0) {
            end += marker.size();
            break;
          }
        }
        spans.emplace_back(prompt.size(), end);
      }
    }
    const bool sft = options_.objective == "sft";
    size_t done = 0;
    for (const auto& [begin, end] : spans) {
      append(all.substr(done, begin - done), false);
      append(all.substr(begin, end - begin), sft);
      done = end;
    }
    append(all.substr(done), false);
    if (!sft) scored_.assign(tokens_.size(), 1);
  }

  // Texts that close an assistant turn in common templates, and the tokenizer's EOS.
  std::vector<std::string> end_of_turn_markers() const {
    std::vector<std::string> markers;
    if (tokenizer_.eos_id()) markers.push_back(tokenizer_.token_text(*tokenizer_.eos_id()));
    for (const char* marker : {"<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "</s>", "<|endoftext|>"})
      markers.emplace_back(marker);
    return markers;
  }

  void flush(bool valid) {
    DatasetWriter& writer = valid ? valid_ : train_;
    int& index = valid ? valid_shards_ : train_shards_;
    if (writer.documents() == 0 && index > 0) return;
    const std::string name = fmt::format("{}-{:05d}.mlds", valid ? "valid" : "train", index++);
    nlohmann::json header = {{"tokenizer", {{"sha256", fingerprint_}, {"vocab_size", tokenizer_.vocab_size()}}},
                             {"objective", options_.objective},
                             {"split", valid ? "valid" : "train"}};
    writer.write((fs::path(options_.out_dir) / name).string(), header);
    (valid ? stats_.valid_documents : stats_.train_documents) += writer.documents();
    (valid ? stats_.valid_tokens : stats_.train_tokens) += writer.tokens();
    (valid ? stats_.valid_scored : stats_.train_scored) += writer.scored_tokens();
    stats_.shards.push_back(name);
    writer = DatasetWriter();
  }

  const Tokenizer& tokenizer_;
  const ChatTemplate* chat_;
  const PrepareOptions& options_;
  std::string fingerprint_;
  // The first 128 bits of each kept record's SHA-256: 16 bytes a record (a hex string took three
  // times that with its heap block), and a collision between distinct records stays below 2^-64.
  struct DigestPrefix {
    uint64_t high = 0, low = 0;
    bool operator==(const DigestPrefix&) const = default;
  };
  struct DigestPrefixHash {
    size_t operator()(const DigestPrefix& d) const { return static_cast<size_t>(d.high ^ (d.low >> 1)); }
  };
  std::unordered_set<DigestPrefix, DigestPrefixHash> seen_;
  std::vector<int32_t> tokens_;
  std::vector<uint8_t> scored_;
  DatasetWriter train_, valid_;
  int train_shards_ = 0, valid_shards_ = 0;
  PrepareStats stats_;
  static constexpr int64_t kExamples = 5, kRecordsNoted = 100;
  int64_t records_noted_ = 0;
};

void read_text(const std::string& path, std::istream& in, Preparer& preparer, const PrepareOptions& options,
               Progress& progress) {
  std::string line, sample;
  int64_t line_number = 0;
  const auto emit = [&] {
    if (!sample.empty()) preparer.add(Sample{std::move(sample), nullptr}, fmt::format("{}:{}", path, line_number));
    sample.clear();
  };
  while (std::getline(in, line)) {
    ++line_number;
    progress.advance(static_cast<int64_t>(line.size()) + 1);
    if (options.sample_by == "line") {
      sample = line;
      emit();
    } else if (options.sample_by == "paragraph" && clean_text(line).empty()) {
      emit();
    } else {
      sample += line + "\n";
    }
  }
  emit();
}

// The counts, the first reasons for dropping records and the fields the records do have.
std::string explain_empty(const PrepareStats& stats) {
  std::string text = stats.counts_text();
  for (const std::string& example : stats.malformed_examples) text += "\n  skipped " + example;
  if (!stats.record_fields.empty()) {
    text += "\n  the records have the fields:";
    for (size_t i = 0; i < stats.record_fields.size(); ++i) text += (i > 0 ? ", " : " ") + stats.record_fields[i];
  }
  return text;
}

}  // namespace

PrepareStats prepare_dataset(const Tokenizer& tokenizer, const ChatTemplate* chat, const PrepareOptions& options,
                             const ProgressCallback& report_progress) {
  if (options.inputs.empty()) fail("data prepare: no input files given");
  if (options.objective != "cpt" && options.objective != "sft")
    fail("unknown objective '{}' (cpt, sft)", options.objective);
  if (options.sample_by != "line" && options.sample_by != "paragraph" && options.sample_by != "document")
    fail("--sample-by must be line, paragraph or document, not '{}'", options.sample_by);
  if (!(options.valid_fraction >= 0.0 && options.valid_fraction < 1.0))
    fail("--valid-fraction must be in [0, 1), got {}", options.valid_fraction);
  if (options.prompt_field.empty() != options.response_field.empty())
    fail("--prompt-field and --response-field go together");
  fs::create_directories(options.out_dir);
  for (const auto& entry : fs::directory_iterator(options.out_dir)) {  // stale shards would mix in
    if (entry.path().extension() == ".mlds") fs::remove(entry.path());
  }
  int64_t total_bytes = 0;
  for (const auto& path : options.inputs) {
    if (!fs::is_regular_file(path)) fail("{}: input file not found", path);
    total_bytes += static_cast<int64_t>(fs::file_size(path));
  }
  Preparer preparer(tokenizer, chat, options);
  Progress progress("preparing", total_bytes, "bytes", report_progress);
  for (const auto& path : options.inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open", path);
    std::string format = options.format;
    const bool json_lines = path.ends_with(".jsonl") || path.ends_with(".json");
    if (format == "auto" && !json_lines) format = "text";
    if (format == "text") {
      read_text(path, in, preparer, options, progress);
      continue;
    }
    std::string line;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      progress.advance(static_cast<int64_t>(line.size()) + 1);
      if (clean_text(line).empty()) continue;
      const std::string where = fmt::format("{}:{}", path, line_number);
      nlohmann::json record;
      try {
        record = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        preparer.malformed(fmt::format("{}: invalid JSON: {}", where, e.what()));
        continue;
      }
      if (format == "auto") {
        format = detect_format(path, &record);
        if (format == "jsonl" && options.prompt_field.empty() && options.text_template.empty() &&
            (!record.is_object() || !record.contains(options.text_field)))
          fail(
              "{}: no '{}' field; name the text with --text-field or --text-template, or the pair with "
              "--prompt-field/--response-field",
              where, options.text_field);
      }
      preparer.note_fields(record);
      Sample sample;
      try {
        sample = record_to_sample(record, format, options, where);
      } catch (const Error& e) {
        preparer.malformed(e.what());
        continue;
      }
      preparer.add(std::move(sample), where);
    }
  }
  progress.finish();
  PrepareStats stats = preparer.finish();
  if (stats.train_documents == 0) fail("data prepare: no training documents left: {}", explain_empty(stats));
  nlohmann::json manifest = {
      {"inputs", options.inputs},
      {"objective", options.objective},
      {"format", options.format},
      {"valid_fraction", options.valid_fraction},
      {"deduplicate", options.deduplicate},
      {"tokenizer", {{"sha256", tokenizer_fingerprint(tokenizer)}, {"vocab_size", tokenizer.vocab_size()}}},
      {"stats", stats.to_json()}};
  write_file_atomically((fs::path(options.out_dir) / "dataset.json").string(), manifest.dump(2) + "\n");
  return stats;
}

PrepareStats prepare_dataset(const std::string& model, const PrepareOptions& options,
                             const ProgressCallback& progress) {
  const auto tokenizer = Tokenizer::from_path(model);
  std::optional<ChatTemplate> chat;
  const bool plain_text = options.format == "text" || (options.format == "jsonl" && options.prompt_field.empty());
  if (!plain_text) chat = ChatTemplate::from_path(model);
  return prepare_dataset(*tokenizer, chat ? &*chat : nullptr, options, progress);
}

}  // namespace medllm
