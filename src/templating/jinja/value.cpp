#include "templating/jinja/value.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/utf8.hpp"
#include "templating/jinja/diagnostics.hpp"
#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

namespace {

constexpr size_t kIndexThreshold = 8;

void check_size(size_t size, size_t max_bytes) {
  if (size > max_bytes) throw EvalError(fmt::format("string exceeds the limit of {} bytes", max_bytes));
}

void check_level(uint32_t level) {
  if (level > kMaxValueDepth) throw EvalError(fmt::format("value nested deeper than {} levels", kMaxValueDepth));
}

uint32_t depth_of(const std::vector<Value>& items) {
  uint32_t deepest = 0;
  for (const auto& item : items) deepest = std::max(deepest, item.depth());
  return deepest + 1;
}

void append_display(std::string& out, const Value& value, size_t max_bytes, uint32_t level);
void append_json(std::string& out, const Value& value, const JsonOptions& options, size_t max_bytes, uint32_t level);

[[noreturn]] void absent_error() {
  throw EvalError("Cannot read properties of undefined");
}

void append_raw(std::string& out, const Value& value, size_t max_bytes, uint32_t level) {
  check_level(level);
  switch (value.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null:
      out += "undefined";
      break;  // the reference's NullValue holds undefined
    case Value::Kind::Boolean:
      out += value.as_bool() ? "true" : "false";
      break;
    case Value::Kind::Integer:
    case Value::Kind::Float:
      out += js::number_to_string(value.as_number());
      break;
    case Value::Kind::String:
      js::append(out, value.as_string());
      break;
    case Value::Kind::Array:
    case Value::Kind::Tuple: {
      // Array.prototype.toString: the elements' own toString(), comma-separated.
      bool first = true;
      for (const auto& item : value.items()) {
        if (!first) out += ',';
        first = false;
        if (item.is_absent()) continue;  // join() writes a bare undefined as ""
        append_display(out, item, max_bytes, level + 1);
        check_size(out.size(), max_bytes);
      }
      break;
    }
    case Value::Kind::Object:
    case Value::Kind::KeywordArguments:
    case Value::Kind::Namespace:
      out += "[object Map]";
      break;
    case Value::Kind::Function:
      throw EvalError(fmt::format("cannot convert function '{}' to a string", value.function().name));
    case Value::Kind::Absent:
      absent_error();
  }
  check_size(out.size(), max_bytes);
}

void append_display(std::string& out, const Value& value, size_t max_bytes, uint32_t level) {
  check_level(level);
  switch (value.kind()) {
    case Value::Kind::Float:
      out += js::float_to_string(value.as_number());
      break;
    case Value::Kind::Array:
    case Value::Kind::Object:
    case Value::Kind::Namespace: {
      JsonOptions options;
      options.undefined_as_null = false;
      append_json(out, value, options, max_bytes, level);
      break;
    }
    case Value::Kind::Tuple:
    case Value::Kind::KeywordArguments:
      throw EvalError(fmt::format("Cannot convert to JSON: {}", value.type_name()));
    default:
      append_raw(out, value, max_bytes, level);
  }
  check_size(out.size(), max_bytes);
}

// An approximation of String.prototype.localeCompare (ICU root collation) for sort_keys:
// punctuation < digits < letters, letters case-insensitively first, then lowercase first.
int locale_compare(const std::string& a, const std::string& b) {
  auto primary = [](char32_t c) -> std::pair<int, char32_t> {
    if (c < 0x80) {
      if (c >= '0' && c <= '9') return {1, c};
      if (c >= 'A' && c <= 'Z') return {2, c + 0x20};
      if (c >= 'a' && c <= 'z') return {2, c};
      return {0, c};
    }
    return {3, c};
  };
  size_t i = 0, j = 0;
  int tertiary = 0;
  while (i < a.size() && j < b.size()) {
    const char32_t x = js::next_code_point(a, i), y = js::next_code_point(b, j);
    const auto px = primary(x), py = primary(y);
    if (px != py) return px < py ? -1 : 1;
    if (tertiary == 0 && x != y) tertiary = x > y ? -1 : 1;  // lowercase (larger code) first
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return tertiary;
}

void append_json(std::string& out, const Value& value, const JsonOptions& options, size_t max_bytes, uint32_t level) {
  check_level(level);
  const bool indenting = options.indent && *options.indent != 0 && !std::isnan(*options.indent);
  std::string_view item_separator = ", ", key_separator = ": ";
  if (options.separators) {
    item_separator = options.separators->first;
    key_separator = options.separators->second;
  } else if (indenting) {
    item_separator = ",";
  }
  std::string indent_unit;
  if (indenting) {
    const double width = *options.indent;
    if (width < 0 || std::isinf(width))
      throw EvalError(fmt::format("Invalid count value: {}", js::number_to_string(width)));
    check_size(static_cast<size_t>(std::min(width, 1e18)), max_bytes);
    indent_unit.assign(static_cast<size_t>(width), ' ');
  }
  auto padding = [&](uint32_t depth) {
    std::string pad = "\n";
    for (uint32_t k = 0; k < depth; ++k) {
      pad += indent_unit;
      check_size(pad.size(), max_bytes);
    }
    return pad;
  };
  switch (value.kind()) {
    case Value::Kind::Null:
      out += "null";
      break;
    case Value::Kind::Undefined:
      out += options.undefined_as_null ? "null" : "undefined";
      break;
    case Value::Kind::Integer:
    case Value::Kind::Float:
      out += std::isfinite(value.as_number()) ? js::number_to_string(value.as_number()) : "null";
      break;
    case Value::Kind::Boolean:
      out += value.as_bool() ? "true" : "false";
      break;
    case Value::Kind::String:
      js::append_json_string(out, value.as_string(), options.ensure_ascii);
      break;
    case Value::Kind::Array: {
      const auto& items = value.items();
      const bool pretty = indenting && !items.empty();
      const std::string base = pretty ? padding(level) : "", children = pretty ? base + indent_unit : "";
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += item_separator;
        if (pretty) out += children;
        append_json(out, items[i], options, max_bytes, level + 1);
        check_size(out.size(), max_bytes);
      }
      if (pretty) out += base;
      out += ']';
      break;
    }
    case Value::Kind::Object:
    case Value::Kind::Namespace: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : value.entries().entries()) entries.push_back(&entry);
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto* x, const auto* y) { return locale_compare(x->first, y->first) < 0; });
      }
      const bool pretty = indenting && !entries.empty();
      const std::string base = pretty ? padding(level) : "", children = pretty ? base + indent_unit : "";
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_separator;
        if (pretty) out += children;
        js::append_json_string(out, entries[i]->first, options.ensure_ascii);
        out += key_separator;
        append_json(out, entries[i]->second, options, max_bytes, level + 1);
        check_size(out.size(), max_bytes);
      }
      if (pretty) out += base;
      out += '}';
      break;
    }
    case Value::Kind::Tuple:
    case Value::Kind::KeywordArguments:
    case Value::Kind::Function:
      throw EvalError(fmt::format("Cannot convert to JSON: {}", value.type_name()));
    case Value::Kind::Absent:
      absent_error();
  }
  check_size(out.size(), max_bytes);
}

// JavaScript's primitive view of a value for ==: objects (arrays, maps, functions) compare by
// identity with each other and through their string form with primitives.
enum class Raw { Undefined, Null, Boolean, Number, String, Object };

Raw raw_kind(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null:
      return Raw::Undefined;  // the reference's NullValue holds undefined
    case Value::Kind::Absent:
      absent_error();
    case Value::Kind::Boolean:
      return Raw::Boolean;
    case Value::Kind::Integer:
    case Value::Kind::Float:
      return Raw::Number;
    case Value::Kind::String:
      return Raw::String;
    default:
      return Raw::Object;
  }
}

struct Primitive {
  Raw kind;
  double number = 0;
  std::string text;
};

Primitive to_primitive(const Value& value) {
  switch (raw_kind(value)) {
    case Raw::Boolean:
      return {Raw::Number, value.as_bool() ? 1.0 : 0.0, {}};
    case Raw::Number:
      return {Raw::Number, value.as_number(), {}};
    case Raw::String:
      return {Raw::String, 0, value.as_string()};
    case Raw::Object: {
      if (value.kind() == Value::Kind::Function)
        return {Raw::String, 0, fmt::format("function {}", value.function().name)};
      return {Raw::String, 0, raw_string(value, size_t{64} << 20)};
    }
    default:
      return {raw_kind(value), 0, {}};
  }
}

}  // namespace

const Value* ObjectData::find(std::string_view key) const {
  if (!index_.empty()) {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

void ObjectData::set(const std::string& key, Value value) {
  if (!index_.empty()) {
    if (const auto it = index_.find(key); it != index_.end()) {
      entries_[it->second].second = std::move(value);
      return;
    }
  } else {
    for (auto& entry : entries_) {
      if (entry.first == key) {
        entry.second = std::move(value);
        return;
      }
    }
  }
  entries_.emplace_back(key, std::move(value));
  if (!index_.empty()) {
    index_.emplace(key, entries_.size() - 1);
  } else if (entries_.size() > kIndexThreshold) {
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }
}

void ObjectData::clear() {
  std::vector<std::pair<std::string, Value>> doomed;
  doomed.swap(entries_);
  index_.clear();
}

Value Value::null() {
  Value v;
  v.kind_ = Kind::Null;
  return v;
}

Value Value::boolean(bool value) {
  Value v;
  v.kind_ = Kind::Boolean;
  v.data_ = value;
  return v;
}

Value Value::integer(double value) {
  Value v;
  v.kind_ = Kind::Integer;
  v.data_ = value;
  return v;
}

Value Value::floating(double value) {
  Value v;
  v.kind_ = Kind::Float;
  v.data_ = value;
  return v;
}

Value Value::number(double value) {
  return std::isfinite(value) && std::trunc(value) == value ? integer(value) : floating(value);
}

Value Value::string(std::string value) {
  Value v;
  v.kind_ = Kind::String;
  v.data_ = std::make_shared<const std::string>(std::move(value));
  return v;
}

Value Value::array(std::vector<Value> items) {
  const uint32_t depth = depth_of(items);
  check_level(depth);
  Value v;
  v.kind_ = Kind::Array;
  v.data_ = std::make_shared<const ArrayData>(ArrayData{std::move(items), depth});
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = array(std::move(items));
  v.kind_ = Kind::Tuple;
  return v;
}

Value Value::object(ObjectData data, Kind kind) {
  uint32_t deepest = 0;
  for (const auto& entry : data.entries()) deepest = std::max(deepest, entry.second.depth());
  data.depth = deepest + 1;
  check_level(data.depth);
  Value v;
  v.kind_ = kind;
  v.data_ = std::make_shared<ObjectData>(std::move(data));
  return v;
}

Value Value::absent() {
  Value v;
  v.kind_ = Kind::Absent;
  return v;
}

Value Value::function(std::string name, NativeFunction call) {
  Value v;
  v.kind_ = Kind::Function;
  v.data_ = std::make_shared<const FunctionData>(FunctionData{std::move(name), std::move(call)});
  return v;
}

const char* Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined:
      return "UndefinedValue";
    case Kind::Null:
      return "NullValue";
    case Kind::Boolean:
      return "BooleanValue";
    case Kind::Integer:
      return "IntegerValue";
    case Kind::Float:
      return "FloatValue";
    case Kind::String:
      return "StringValue";
    case Kind::Array:
      return "ArrayValue";
    case Kind::Tuple:
      return "TupleValue";
    case Kind::Object:
      return "ObjectValue";
    case Kind::KeywordArguments:
      return "KeywordArgumentsValue";
    case Kind::Namespace:
      return "NamespaceValue";
    case Kind::Function:
      return "FunctionValue";
    case Kind::Absent:
      return "undefined";
  }
  return "?";
}

const void* Value::identity() const {
  switch (kind_) {
    case Kind::Array:
    case Kind::Tuple:
      return std::get<std::shared_ptr<const ArrayData>>(data_).get();
    case Kind::Object:
    case Kind::KeywordArguments:
    case Kind::Namespace:
      return std::get<std::shared_ptr<ObjectData>>(data_).get();
    case Kind::Function:
      return std::get<std::shared_ptr<const FunctionData>>(data_).get();
    default:
      return nullptr;
  }
}

uint32_t Value::depth() const {
  switch (kind_) {
    case Kind::Array:
    case Kind::Tuple:
      return std::get<std::shared_ptr<const ArrayData>>(data_)->depth;
    case Kind::Object:
    case Kind::KeywordArguments:
    case Kind::Namespace:
      return std::get<std::shared_ptr<ObjectData>>(data_)->depth;
    default:
      return 0;
  }
}

bool raw_truthy(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null:
      return false;
    case Value::Kind::Boolean:
      return value.as_bool();
    case Value::Kind::Integer:
    case Value::Kind::Float:
      return value.as_number() != 0 && !std::isnan(value.as_number());
    case Value::Kind::String:
      return !value.as_string().empty();
    default:
      return true;
  }
}

bool truthy(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null:
    case Value::Kind::Boolean:
    case Value::Kind::Integer:
    case Value::Kind::Float:
    case Value::Kind::String:
    case Value::Kind::Namespace:
    case Value::Kind::Function:
      return raw_truthy(value);  // the two differ only for containers
    case Value::Kind::Array:
    case Value::Kind::Tuple:
      return !value.items().empty();
    case Value::Kind::Object:
    case Value::Kind::KeywordArguments:
      return value.entries().size() > 0;
    case Value::Kind::Absent:
      absent_error();
  }
  return false;
}

std::string display_string(const Value& value, size_t max_bytes) {
  std::string out;
  append_display(out, value, max_bytes, 0);
  return out;
}

std::string raw_string(const Value& value, size_t max_bytes) {
  std::string out;
  append_raw(out, value, max_bytes, 0);
  return out;
}

std::string to_json(const Value& value, const JsonOptions& options, size_t max_bytes) {
  std::string out;
  append_json(out, value, options, max_bytes, 0);
  return out;
}

bool loose_equals(const Value& a, const Value& b) {
  const Raw ka = raw_kind(a), kb = raw_kind(b);
  if (ka == kb) return strict_equals(a, b);
  const bool a_nullish = ka == Raw::Undefined || ka == Raw::Null, b_nullish = kb == Raw::Undefined || kb == Raw::Null;
  if (a_nullish || b_nullish) return a_nullish && b_nullish;
  const Primitive pa = to_primitive(a), pb = to_primitive(b);
  if (pa.kind == Raw::String && pb.kind == Raw::String) return pa.text == pb.text;
  const double x = pa.kind == Raw::Number ? pa.number : js::string_to_number(pa.text);
  const double y = pb.kind == Raw::Number ? pb.number : js::string_to_number(pb.text);
  return x == y;
}

bool strict_equals(const Value& a, const Value& b) {
  const Raw ka = raw_kind(a);
  if (ka != raw_kind(b)) return false;
  switch (ka) {
    case Raw::Undefined:
    case Raw::Null:
      return true;
    case Raw::Boolean:
      return a.as_bool() == b.as_bool();
    case Raw::Number:
      return a.as_number() == b.as_number();
    case Raw::String:
      return a.as_string() == b.as_string();
    case Raw::Object:
      return a.identity() == b.identity();
  }
  return false;
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  if (a.is_absent() || b.is_absent()) absent_error();
  if (a.is_null() && b.is_null()) return 0;
  if (a.is_null() || b.is_null())
    throw EvalError(fmt::format("Cannot compare {} with {}", a.type_name(), b.type_name()));
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_undefined() || b.is_undefined()) {
    throw EvalError(fmt::format("Cannot compare {} with {}", a.type_name(), b.type_name()));
  }
  auto numeric = [](const Value& v) -> std::optional<double> {
    if (v.is_number()) return v.as_number();
    if (v.kind() == Value::Kind::Boolean) return v.as_bool() ? 1.0 : 0.0;
    return std::nullopt;
  };
  const auto x = numeric(a), y = numeric(b);
  if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
  if (a.kind() != b.kind()) {
    throw EvalError(fmt::format("Cannot compare different types: {} and {}", a.type_name(), b.type_name()));
  }
  if (!a.is_string()) throw EvalError(fmt::format("Cannot compare type: {}", a.type_name()));
  if (case_sensitive) return js::compare(a.as_string(), b.as_string());
  return js::compare(js::to_lower(a.as_string()), js::to_lower(b.as_string()));
}

namespace {

// "0", "1", ... up to 2^32 - 2 without leading zeros: the keys JavaScript orders first.
std::optional<uint64_t> array_index(const std::string& key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  uint64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= 4294967295ULL) return std::nullopt;
  return value;
}

// Strings built in C++ may hold invalid UTF-8 (parsed JSON never does): U+FFFD, as Node would see.
std::string valid_utf8(const std::string& text) {
  return utf8::find_invalid(text) == std::string::npos ? text : utf8::sanitize(text);
}

Value from_json_at(const nlohmann::ordered_json& json, uint32_t level) {
  check_level(level);
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      return Value::null();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::number(static_cast<double>(json.get<int64_t>()));
    case nlohmann::ordered_json::value_t::number_unsigned:
      return Value::number(static_cast<double>(json.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float:
      return Value::number(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value::string(valid_utf8(json.get_ref<const std::string&>()));
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json_at(item, level + 1));
      return Value::array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      std::vector<std::pair<uint64_t, const std::string*>> indices;
      for (const auto& [key, item] : json.items()) {
        if (const auto index = array_index(key)) indices.emplace_back(*index, &key);
      }
      std::sort(indices.begin(), indices.end());
      ObjectData data;
      for (const auto& [index, key] : indices) data.set(*key, from_json_at(json.at(*key), level + 1));
      for (const auto& [key, item] : json.items()) {
        if (!array_index(key)) data.set(valid_utf8(key), from_json_at(item, level + 1));
      }
      return Value::object(std::move(data));
    }
    case nlohmann::ordered_json::value_t::binary:
      throw EvalError("binary JSON values are not supported");
  }
  return Value();
}

}  // namespace

Value from_json(const nlohmann::ordered_json& json) {
  return from_json_at(json, 0);
}

}  // namespace medllm::jinja
