#include "serve/openai_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <unordered_map>
#include <utility>

#include "core/json_file.hpp"
#include "core/utf8.hpp"

namespace medllm::serve {

RequestError::RequestError(std::string message_, std::string param_, int status_)
    : status(status_), message(std::move(message_)), param(std::move(param_)) {}

nlohmann::json RequestError::to_json() const {
  const auto or_null = [](const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); };
  // Sanitized because anyone may build a RequestError, and dump() throws on invalid UTF-8.
  return {{"error",
           {{"message", utf8::sanitize(message)},
            {"type", utf8::sanitize(type)},
            {"param", or_null(utf8::sanitize(param))},
            {"code", or_null(utf8::sanitize(code))}}}};
}

namespace {

using ordered_json = nlohmann::ordered_json;

// Copying, comparing and dumping a JSON value recurse, and so does a chat template walking the
// messages; past this depth a hostile body could overflow the stack. OpenAI requests need a few.
constexpr size_t kMaxDepth = 64;
constexpr int64_t kMaxLogprobs = 20;  // OpenAI allows 5 for completions; vLLM 20, which costs nothing more here
constexpr int kMaxN = 16;
constexpr size_t kMaxStops = 4;

[[noreturn]] void reject(std::string param, std::string message) {
  throw RequestError(std::move(message), std::move(param));
}

std::string quote(const ordered_json& value) {
  return json_for_message(nlohmann::json(value));
}

[[noreturn]] void wrong(const std::string& param, std::string_view expected, const ordered_json& got) {
  reject(param, fmt::format("'{}' must be {}, got {}", param, expected, quote(got)));
}

// Builds the DOM the way nlohmann's own parser does (a repeated key keeps its first place and its
// last value), but finds repeated keys through a hash index: ordered_json's own insertion searches
// the members linearly, so a body of a few megabytes with distinct keys would take minutes. Also
// stops at kMaxDepth while the nesting is being read.
class OrderedDomBuilder final : public nlohmann::json_sax<ordered_json> {
 public:
  ordered_json take() { return std::move(root_); }

  bool null() override { return add(nullptr); }
  bool boolean(bool value) override { return add(value); }
  bool number_integer(number_integer_t value) override { return add(value); }
  bool number_unsigned(number_unsigned_t value) override { return add(value); }
  bool number_float(number_float_t value, const string_t&) override { return add(value); }
  bool string(string_t& value) override { return add(std::move(value)); }
  bool binary(binary_t&) override { return false; }  // JSON text has none
  bool start_object(std::size_t) override { return open(ordered_json::object()); }
  bool key(string_t& key) override {
    key_ = std::move(key);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(ordered_json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    std::string_view detail = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
    if (const size_t end = detail.find("] "); detail.starts_with("[json.exception.") && end != detail.npos) {
      detail.remove_prefix(end + 2);
    }
    if (detail.size() > 300) detail = detail.substr(0, 300);
    std::string message = "request body is not valid JSON: " + utf8::sanitize(detail);
    // Syntax errors (ids 1xx) name their line and column already; a number too large does not.
    if (e.id / 100 != 1) message += fmt::format(" (at byte {})", position);
    reject("", std::move(message));
  }

 private:
  struct Open {
    ordered_json* value;
    std::unordered_map<std::string, size_t> index;  // key -> member position (objects only)
  };

  ordered_json* place(ordered_json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Open& parent = stack_.back();
    if (parent.value->is_array()) {
      parent.value->push_back(std::move(value));
      return &parent.value->back();
    }
    auto& members = parent.value->get_ref<ordered_json::object_t&>();
    const auto [it, inserted] = parent.index.try_emplace(key_, members.size());
    if (!inserted) return &(members.begin()[it->second].second = std::move(value));
    members.emplace_back(std::move(key_), std::move(value));  // the vector's, skipping the linear search
    return &members.back().second;
  }

  bool add(ordered_json&& value) {
    place(std::move(value));
    return true;
  }

  bool open(ordered_json&& container) {
    if (stack_.size() >= kMaxDepth) {
      reject("", fmt::format("request body is nested deeper than {} levels", kMaxDepth));
    }
    ordered_json* placed = place(std::move(container));
    stack_.push_back({placed, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  ordered_json root_;
  std::vector<Open> stack_;
  std::string key_;
};

ordered_json parse_body(std::string_view body) {
  if (const size_t bad = utf8::find_invalid(body); bad != std::string_view::npos) {
    reject("", fmt::format("request body is not valid UTF-8 (byte {})", bad));
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    reject("", "request body is empty; expected a JSON object");
  }
  // nlohmann's lexer takes a NUL byte for the end of the input and would ignore whatever follows it;
  // JSON allows none, not even inside strings.
  if (const size_t nul = body.find('\0'); nul != std::string_view::npos) {
    reject("", fmt::format("request body is not valid JSON: NUL byte at byte {}", nul));
  }
  OrderedDomBuilder builder;
  ordered_json::sax_parse(body.data(), body.data() + body.size(), &builder);
  ordered_json root = builder.take();
  if (!root.is_object()) reject("", fmt::format("request body must be a JSON object, got {}", quote(root)));
  return root;
}

// The member `name` of an object, or nullptr when it is absent or null.
const ordered_json* field(const ordered_json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// A whole number saturated to the int64 range, or nullopt. Whole floats count, as they do for
// vLLM's pydantic models: Python clients send 16.0.
std::optional<int64_t> whole_number(const ordered_json& value) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (value.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), kMax));
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_number_float()) return std::nullopt;
  const double x = value.get<double>();
  if (std::trunc(x) != x) return std::nullopt;
  if (x >= 0x1p63) return kMax;
  if (x < -0x1p63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

int64_t as_integer(const ordered_json& value, const std::string& param, int64_t low, int64_t high,
                   std::string_view expected) {
  const std::optional<int64_t> x = whole_number(value);
  if (!x || *x < low || *x > high) wrong(param, expected, value);
  return *x;
}

template <typename Accept>
double as_number(const ordered_json& value, const std::string& param, std::string_view expected, Accept accept) {
  if (!value.is_number() || !accept(value.get<double>())) wrong(param, expected, value);
  return value.get<double>();
}

bool as_bool(const ordered_json& value, const std::string& param) {
  if (!value.is_boolean()) wrong(param, "a boolean", value);
  return value.get<bool>();
}

const std::string& as_string(const ordered_json& value, const std::string& param) {
  if (!value.is_string()) wrong(param, "a string", value);
  return value.get_ref<const std::string&>();
}

uint64_t as_seed(const ordered_json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) return static_cast<uint64_t>(value.get<int64_t>());
  if (value.is_number_float()) {
    const double x = value.get<double>();
    if (std::trunc(x) == x && x >= -0x1p63 && x < 0x1p63) return static_cast<uint64_t>(static_cast<int64_t>(x));
  }
  wrong("seed", "a 64-bit integer", value);
}

std::vector<std::string> stop_strings(const ordered_json& value) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().empty()) wrong("stop", "a non-empty string", value);
    return {value.get<std::string>()};
  }
  if (!value.is_array() || value.size() > kMaxStops) {
    wrong("stop", fmt::format("a string or an array of at most {} non-empty strings", kMaxStops), value);
  }
  std::vector<std::string> stops;
  for (size_t i = 0; i < value.size(); ++i) {
    const ordered_json& item = value[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      reject("stop", fmt::format("'stop[{}]' must be a non-empty string, got {}", i, quote(item)));
    }
    stops.push_back(item.get<std::string>());
  }
  return stops;
}

std::vector<std::pair<int32_t, float>> as_logit_bias(const ordered_json& value) {
  if (!value.is_object()) wrong("logit_bias", "an object mapping token ids to numbers between -100 and 100", value);
  std::vector<std::pair<int32_t, float>> biases;
  for (const auto& [key, bias] : value.items()) {
    int64_t id = -1;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (error != std::errc() || end != key.data() + key.size() || key.empty() || id < 0 ||
        id > std::numeric_limits<int32_t>::max()) {
      reject("logit_bias", fmt::format("'logit_bias' keys must be token ids (0, 1, ...), got {}", quote(key)));
    }
    if (!bias.is_number() || bias.get<double>() < -100 || bias.get<double>() > 100) {
      wrong(fmt::format("logit_bias.{}", key), "a number between -100 and 100", bias);
    }
    biases.emplace_back(static_cast<int32_t>(id), static_cast<float>(bias.get<double>()));
  }
  return biases;
}

void parse_sampling_extras(const ordered_json& body, CommonRequest& out) {
  if (const auto* v = field(body, "logit_bias")) out.logit_bias = as_logit_bias(*v);
  if (const auto* v = field(body, "top_k")) {
    out.top_k = static_cast<int>(
        as_integer(*v, "top_k", -1, std::numeric_limits<int32_t>::max(), "-1, 0 (off) or a positive integer"));
  }
  if (const auto* v = field(body, "min_p")) {
    out.min_p = as_number(*v, "min_p", "a number between 0 and 1", [](double x) { return x >= 0 && x <= 1; });
  }
  if (const auto* v = field(body, "repetition_penalty")) {
    out.repetition_penalty = as_number(*v, "repetition_penalty", "a number greater than 0 and at most 10",
                                       [](double x) { return x > 0 && x <= 10; });
  }
}

// Fields this server does not honour, with why; a body holding one (not null) is refused.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kUnsupported = {{
    {"grammar", "grammar-constrained output is not supported yet"},
    {"json_schema", "JSON-schema-constrained output is not supported yet"},
    {"guided_json", "guided decoding is not supported yet"},
    {"guided_regex", "guided decoding is not supported yet"},
    {"guided_choice", "guided decoding is not supported yet"},
    {"guided_grammar", "guided decoding is not supported yet"},
    {"best_of", "best_of is not supported; use n"},
    {"reasoning_effort", "reasoning_effort is not supported"},
    {"prediction", "predicted outputs are not supported"},
    {"audio", "audio output is not supported"},
}};

// Refuses every member of body that is not in `known` (a null member counts as absent).
void refuse_unknown_fields(const ordered_json& body, std::span<const std::string_view> known) {
  for (const auto& [name, value] : body.items()) {
    if (value.is_null() || std::find(known.begin(), known.end(), name) != known.end()) continue;
    for (const auto& [unsupported, why] : kUnsupported) {
      if (name == unsupported) reject(name, fmt::format("'{}': {}", name, why));
    }
    reject(name, fmt::format("Unrecognized request argument supplied: '{}' (this server does not implement it)",
                             utf8::sanitize(name)));
  }
}

constexpr std::string_view kCommonFields[] = {"model",
                                              "temperature",
                                              "top_p",
                                              "seed",
                                              "stop",
                                              "n",
                                              "stream",
                                              "stream_options",
                                              "presence_penalty",
                                              "frequency_penalty",
                                              "user",
                                              "logit_bias",
                                              "top_k",
                                              "min_p",
                                              "repetition_penalty"};

std::vector<std::string_view> fields_with(std::initializer_list<std::string_view> own) {
  std::vector<std::string_view> known(std::begin(kCommonFields), std::end(kCommonFields));
  known.insert(known.end(), own.begin(), own.end());
  return known;
}

void parse_common(const ordered_json& body, CommonRequest& out) {
  if (const auto* v = field(body, "model")) out.model = as_string(*v, "model");
  if (const auto* v = field(body, "temperature")) {
    out.temperature =
        as_number(*v, "temperature", "a number between 0 and 2", [](double x) { return x >= 0 && x <= 2; });
  }
  if (const auto* v = field(body, "top_p")) {
    out.top_p =
        as_number(*v, "top_p", "a number greater than 0 and at most 1", [](double x) { return x > 0 && x <= 1; });
  }
  if (const auto* v = field(body, "seed")) out.seed = as_seed(*v);
  if (const auto* v = field(body, "stop")) out.stop = stop_strings(*v);
  if (const auto* v = field(body, "n")) {
    out.n = static_cast<int>(as_integer(*v, "n", 1, kMaxN, fmt::format("an integer between 1 and {}", kMaxN)));
  }
  if (const auto* v = field(body, "stream")) out.stream = as_bool(*v, "stream");
  if (const auto* v = field(body, "stream_options")) {
    if (!v->is_object()) wrong("stream_options", "an object", *v);
    if (!out.stream) reject("stream_options", "'stream_options' is only allowed when 'stream' is true");
    if (const auto* usage = field(*v, "include_usage")) {
      out.include_usage = as_bool(*usage, "stream_options.include_usage");
    }
  }
  const auto penalty = [](double x) { return x >= -2 && x <= 2; };
  if (const auto* v = field(body, "presence_penalty")) {
    out.presence_penalty = as_number(*v, "presence_penalty", "a number between -2 and 2", penalty);
  }
  if (const auto* v = field(body, "frequency_penalty")) {
    out.frequency_penalty = as_number(*v, "frequency_penalty", "a number between -2 and 2", penalty);
  }
  if (const auto* v = field(body, "user")) (void)as_string(*v, "user");  // an end-user id: no effect on output
  parse_sampling_extras(body, out);
}

std::variant<std::string, std::vector<int32_t>> as_prompt(const ordered_json& value) {
  constexpr std::string_view kExpected = "a string or an array of token ids";
  const ordered_json* single = &value;
  // SDKs wrap a single prompt in an array: ["text"] or [[1, 2, 3]].
  if (value.is_array() && !value.empty() && (value[0].is_string() || value[0].is_array())) {
    if (value.size() > 1) {
      const bool batch =
          std::all_of(value.begin(), value.end(), [](const auto& p) { return p.is_string() || p.is_array(); });
      if (!batch) wrong("prompt", kExpected, value);
      reject("prompt", "batched prompts are not supported; send one request per prompt");
    }
    single = &value[0];
  }
  if (single->is_string()) {
    if (single->get_ref<const std::string&>().empty()) reject("prompt", "'prompt' must not be empty");
    return single->get<std::string>();
  }
  if (!single->is_array()) wrong("prompt", kExpected, value);
  if (single->empty()) reject("prompt", "'prompt' must not be empty");
  std::vector<int32_t> tokens;
  tokens.reserve(single->size());
  for (const ordered_json& id : *single) {
    const std::optional<int64_t> x = whole_number(id);
    if (!x || *x < 0 || *x > std::numeric_limits<int32_t>::max()) {
      reject("prompt", fmt::format("'prompt' token ids must be integers between 0 and {}, got {}",
                                   std::numeric_limits<int32_t>::max(), quote(id)));
    }
    tokens.push_back(static_cast<int32_t>(*x));
  }
  return tokens;
}

// Joins the text parts of an array content; anything else (images, audio, files) is refused rather
// than silently dropped, so the model never answers a question it was not shown.
std::string content_text(const ordered_json& parts, const std::string& param) {
  std::string text;
  for (size_t j = 0; j < parts.size(); ++j) {
    const ordered_json& part = parts[j];
    const ordered_json* type = part.is_object() ? field(part, "type") : nullptr;
    const ordered_json* part_text = part.is_object() ? field(part, "text") : nullptr;
    if (type && type->is_string() && *type != "text") {
      reject(param, fmt::format("only text content is supported; '{}[{}]' is a {} part", param, j, quote(*type)));
    }
    if (!type || *type != "text" || !part_text || !part_text->is_string()) {
      reject(param, fmt::format("'{}[{}]' must be a text part {{\"type\": \"text\", \"text\": \"...\"}}, got {}", param,
                                j, quote(part)));
    }
    text += part_text->get_ref<const std::string&>();
  }
  return text;
}

void parse_messages(const ordered_json& body, ChatRequest& out) {
  static constexpr std::array<std::string_view, 5> kRoles = {"system", "developer", "user", "assistant", "tool"};
  const ordered_json* messages = field(body, "messages");
  if (!messages) reject("messages", "'messages' is required");
  if (!messages->is_array() || messages->empty()) wrong("messages", "a non-empty array", *messages);
  out.messages_json = *messages;
  for (size_t i = 0; i < messages->size(); ++i) {
    const ordered_json& message = (*messages)[i];
    const std::string at = fmt::format("messages[{}]", i);
    if (!message.is_object()) wrong(at, "an object", message);
    ChatMessage& parsed = out.messages.emplace_back();
    const ordered_json* role = field(message, "role");
    if (!role) reject(at + ".role", fmt::format("'{}.role' is required", at));
    if (!role->is_string() ||
        std::find(kRoles.begin(), kRoles.end(), role->get_ref<const std::string&>()) == kRoles.end()) {
      wrong(at + ".role", "one of system, developer, user, assistant, tool", *role);
    }
    parsed.role = role->get<std::string>();
    const ordered_json* content = field(message, "content");
    // An assistant turn that only called tools has no content.
    if (!content && parsed.role != "assistant") reject(at + ".content", fmt::format("'{}.content' is required", at));
    if (!content) continue;
    if (content->is_string()) {
      parsed.content = content->get<std::string>();
    } else if (content->is_array()) {
      parsed.content = content_text(*content, at + ".content");
      out.messages_json[i]["content"] = parsed.content;
    } else {
      wrong(at + ".content", "a string or an array of text parts", *content);
    }
  }
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body_text) {
  const ordered_json body = parse_body(body_text);
  refuse_unknown_fields(body, fields_with({"prompt", "max_tokens", "echo", "logprobs", "suffix"}));
  CompletionRequest out;
  parse_common(body, out);
  const ordered_json* p = field(body, "prompt");
  if (!p) reject("prompt", "'prompt' is required");
  out.prompt = as_prompt(*p);
  if (const auto* v = field(body, "max_tokens")) {
    out.max_tokens = as_integer(*v, "max_tokens", 0, std::numeric_limits<int64_t>::max(), "a non-negative integer");
  }
  if (const auto* v = field(body, "echo")) out.echo = as_bool(*v, "echo");
  if (const auto* v = field(body, "logprobs")) {
    out.logprobs = static_cast<int>(
        as_integer(*v, "logprobs", 0, kMaxLogprobs, fmt::format("an integer between 0 and {}", kMaxLogprobs)));
  }
  if (const auto* v = field(body, "suffix"); v && *v != "") reject("suffix", "suffix is not supported");
  return out;
}

ChatRequest parse_chat_request(std::string_view body_text) {
  const ordered_json body = parse_body(body_text);
  refuse_unknown_fields(body, fields_with({"messages", "max_tokens", "max_completion_tokens", "logprobs",
                                           "top_logprobs", "response_format", "tools", "functions", "tool_choice",
                                           "function_call", "parallel_tool_calls", "store", "chat_template_kwargs"}));
  ChatRequest out;
  parse_common(body, out);
  parse_messages(body, out);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (const auto* v = field(body, "max_tokens"))
    out.max_tokens = as_integer(*v, "max_tokens", 1, kMax, "a positive integer");
  if (const auto* v = field(body, "max_completion_tokens")) {
    out.max_tokens = as_integer(*v, "max_completion_tokens", 1, kMax, "a positive integer");
  }
  if (const auto* v = field(body, "logprobs")) out.logprobs = as_bool(*v, "logprobs");
  if (const auto* v = field(body, "top_logprobs")) {
    out.top_logprobs = static_cast<int>(
        as_integer(*v, "top_logprobs", 0, kMaxLogprobs, fmt::format("an integer between 0 and {}", kMaxLogprobs)));
    if (!out.logprobs) reject("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  if (const auto* v = field(body, "response_format")) {
    if (!v->is_object()) wrong("response_format", "an object such as {\"type\": \"text\"}", *v);
    const ordered_json* type = field(*v, "type");
    if (type && (*type == "json_object" || *type == "json_schema")) {
      reject("response_format", fmt::format("response_format {} is not supported yet (structured output); use text",
                                            type->get<std::string>()));
    }
    if (!type || *type != "text") wrong("response_format.type", "text", type ? *type : ordered_json());
  }
  // An empty tool list, or a choice of no tool, asks for nothing this server cannot do.
  for (const char* name : {"tools", "functions"}) {
    if (const auto* v = field(body, name); v && *v != ordered_json::array()) reject(name, "tools are not supported");
  }
  for (const char* name : {"tool_choice", "function_call"}) {
    if (const auto* v = field(body, name); v && *v != "none") reject(name, "tools are not supported");
  }
  // Only meaningful with tools, which are refused above.
  if (const auto* v = field(body, "parallel_tool_calls")) (void)as_bool(*v, "parallel_tool_calls");
  if (const auto* v = field(body, "store"); v && *v != false) {
    reject("store", "'store': this server keeps no completions; leave 'store' false or absent");
  }
  if (const auto* v = field(body, "chat_template_kwargs")) {
    if (!v->is_object()) wrong("chat_template_kwargs", "an object", *v);
    out.chat_template_kwargs = *v;
  }
  return out;
}

}  // namespace medllm::serve
