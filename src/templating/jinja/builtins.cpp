#include "templating/jinja/builtins.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "templating/jinja/diagnostics.hpp"
#include "templating/jinja/interpreter.hpp"
#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

namespace {

using Args = std::vector<Value>;

const Value* arg(const Args& args, size_t i) {
  return i < args.size() ? &args[i] : nullptr;
}

// Global functions --------------------------------------------------------------------------

Value raise_exception(Interpreter& interpreter, Environment*, Args& args) {
  // The reference throws new Error(first argument's JavaScript value).
  const std::string message = args.empty() || args[0].is_undefined()
                                  ? std::string()
                                  : raw_string(args[0], interpreter.limits().max_output_bytes);
  throw EvalError(fmt::format("raise_exception: {}", js::to_well_formed(message)));
}

Value range(Interpreter& interpreter, Environment*, Args& args) {
  auto number = [](const Value* value) -> std::optional<double> {
    if (value == nullptr || value->is_undefined()) return std::nullopt;
    if (!value->is_number())
      throw EvalError(fmt::format("range() arguments must be numbers, got {}", value->type_name()));
    return value->as_number();
  };
  std::optional<double> start = number(arg(args, 0)), stop = number(arg(args, 1));
  const double step = number(arg(args, 2)).value_or(1.0);
  if (!stop) {
    stop = start;
    start = 0.0;
  }
  if (step == 0) throw EvalError("range() step must not be zero");
  std::vector<Value> out;
  if (!start || !stop) return interpreter.make_array(std::move(out));
  const size_t limit = interpreter.limits().max_items;
  auto push = [&](double i) {
    if (out.size() >= limit) throw EvalError(fmt::format("range() exceeds the limit of {} elements", limit));
    out.push_back(Value::number(i));
  };
  if (step > 0) {
    for (double i = *start; i < *stop; i += step) push(i);
  } else {
    for (double i = *start; i > *stop; i += step) push(i);
  }
  return interpreter.make_array(std::move(out));
}

Value strftime_now(Interpreter& interpreter, Environment*, Args& args) {
  if (args.empty() || !args[0].is_string()) throw EvalError("strftime_now() expects a format string");
  return interpreter.make_string(strftime_subset(interpreter.now(), args[0].as_string()));
}

std::pair<std::string, Value> namespace_entry(const Value& pair) {
  std::vector<Value> values;
  if (pair.is_array()) {
    values = pair.items();
  } else if (pair.is_string()) {
    for (auto& character : js::code_points(pair.as_string())) values.push_back(Value::string(std::move(character)));
  }
  if (values.size() != 2) throw EvalError("namespace expected an object or an iterable of [key, value] pairs");
  if (!values[0].is_string()) throw EvalError("namespace keys must be strings");
  return {values[0].as_string(), values[1]};
}

Value make_namespace(Interpreter& interpreter, Environment*, Args& args) {
  std::vector<Value> positional = args;
  std::optional<Value> keywords;
  if (!positional.empty() && positional.back().kind() == Value::Kind::KeywordArguments) {
    keywords = positional.back();
    positional.pop_back();
  }
  if (positional.size() > 1) {
    throw EvalError(fmt::format("namespace expected at most 1 argument, got {}", positional.size()));
  }
  ObjectData entries;
  if (positional.size() == 1) {
    const Value& source = positional[0];
    if (source.is_mapping()) {
      for (const auto& [key, value] : source.entries().entries()) entries.set(key, value);
    } else if (source.is_array()) {
      for (const auto& pair : source.items()) {
        auto [key, value] = namespace_entry(pair);
        entries.set(key, std::move(value));
      }
    } else {
      throw EvalError(fmt::format("'{}' object is not iterable", source.type_name()));
    }
  }
  if (keywords) {
    for (const auto& [key, value] : keywords->entries().entries()) entries.set(key, value);
  }
  return interpreter.make_namespace(std::move(entries));
}

// String methods ----------------------------------------------------------------------------

bool starts_or_ends_with(const std::string& text, const Args& args, bool at_start, const char* name) {
  if (args.empty()) throw EvalError(fmt::format("{}() requires at least one argument", name));
  auto test = [&](const std::string& affix) {
    if (affix.size() > text.size()) return false;
    return at_start ? text.compare(0, affix.size(), affix) == 0
                    : text.compare(text.size() - affix.size(), affix.size(), affix) == 0;
  };
  const Value& pattern = args[0];
  if (pattern.is_string()) return test(pattern.as_string());
  if (pattern.is_array()) {
    for (const auto& item : pattern.items()) {
      if (!item.is_string()) throw EvalError(fmt::format("{}() tuple elements must be strings", name));
      if (test(item.as_string())) return true;
    }
    return false;
  }
  throw EvalError(fmt::format("{}() argument must be a string or tuple of strings", name));
}

// Python's str.split as the reference implements it (on JavaScript strings).
Value split(Interpreter& interpreter, const std::string& text, const Args& args) {
  const Value separator = args.size() > 0 && !args[0].is_absent() ? args[0] : Value::null();
  if (!separator.is_string() && !separator.is_null()) throw EvalError("sep argument must be a string or null");
  const Value max_value = args.size() > 1 && !args[1].is_absent() ? args[1] : Value::integer(-1);
  if (max_value.kind() != Value::Kind::Integer) throw EvalError("maxsplit argument must be a number");
  const double max_split = max_value.as_number();
  const size_t limit = interpreter.limits().max_items;
  std::vector<std::string> parts;
  auto push = [&](std::string part) {
    if (parts.size() >= limit) throw EvalError(fmt::format("split() exceeds the limit of {} elements", limit));
    parts.push_back(std::move(part));
  };
  if (separator.is_null()) {
    const std::string trimmed = js::trim(text, true, false);
    size_t i = 0;
    while (i < trimmed.size()) {
      size_t next = i;
      if (js::is_whitespace(js::next_code_point(trimmed, next))) {
        i = next;
        continue;
      }
      const size_t start = i;
      while (i < trimmed.size()) {
        next = i;
        if (js::is_whitespace(js::next_code_point(trimmed, next))) break;
        i = next;
      }
      if (max_split != -1 && static_cast<double>(parts.size()) >= max_split) {
        push(trimmed.substr(start));
        break;
      }
      push(trimmed.substr(start, i - start));
    }
  } else {
    const std::string& sep = separator.as_string();
    if (sep.empty()) throw EvalError("empty separator");
    size_t start = 0;
    for (size_t found = text.find(sep); found != std::string::npos; found = text.find(sep, start)) {
      push(text.substr(start, found - start));
      start = found + sep.size();
    }
    push(text.substr(start));
    const double length = static_cast<double>(parts.size());
    if (max_split != -1 && length > max_split) {
      // result.push(result.splice(maxsplit).join(sep)), with splice's clamping of its start.
      const double from = max_split < 0 ? std::max(length + max_split, 0.0) : std::min(max_split, length);
      std::string tail;
      for (size_t k = static_cast<size_t>(from); k < parts.size(); ++k) {
        if (k > static_cast<size_t>(from)) tail += sep;
        tail += parts[k];
      }
      parts.resize(static_cast<size_t>(from));
      parts.push_back(std::move(tail));
    }
  }
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto& part : parts) out.push_back(Value::string(std::move(part)));
  return interpreter.make_array(std::move(out));
}

// The reference's replace(): count null or negative replaces all; "" matches between characters.
std::string replace_text(const std::string& text, const std::string& old_value, const std::string& new_value,
                         const Value& count, size_t max_bytes) {
  if (count.kind() == Value::Kind::Integer && count.as_number() == 0) return text;
  double remaining = count.is_null() || count.as_number() < 0 ? INFINITY : count.as_number();
  std::string out;
  auto emit = [&](std::string_view piece) {
    js::append(out, piece);
    if (out.size() > max_bytes) throw EvalError(fmt::format("string exceeds the limit of {} bytes", max_bytes));
  };
  if (old_value.empty()) {
    size_t i = 0;
    while (true) {
      if (remaining > 0) {
        --remaining;
        emit(new_value);
      }
      if (i >= text.size()) break;
      const size_t start = i;
      js::next_code_point(text, i);
      emit(std::string_view(text).substr(start, i - start));
    }
    return out;
  }
  size_t start = 0;
  for (size_t found = text.find(old_value); found != std::string::npos; found = text.find(old_value, start)) {
    emit(std::string_view(text).substr(start, found - start));
    if (remaining > 0) {
      --remaining;
      emit(new_value);
    } else {
      emit(old_value);
    }
    start = found + old_value.size();
  }
  emit(std::string_view(text).substr(start));
  return out;
}

Value call_string_method(Interpreter& interpreter, const std::string& text, const std::string& name, Args& args) {
  if (name == "upper") return interpreter.make_string(js::to_upper(text));
  if (name == "lower") return interpreter.make_string(js::to_lower(text));
  // strip/lstrip/rstrip ignore their argument: the reference trims all whitespace.
  if (name == "strip") return Value::string(js::trim(text));
  if (name == "lstrip") return Value::string(js::trim(text, true, false));
  if (name == "rstrip") return Value::string(js::trim(text, false, true));
  if (name == "title") return Value::string(js::title_case(text));
  if (name == "capitalize") return interpreter.make_string(js::capitalize(text));
  if (name == "startswith") return Value::boolean(starts_or_ends_with(text, args, true, "startswith"));
  if (name == "endswith") return Value::boolean(starts_or_ends_with(text, args, false, "endswith"));
  if (name == "split") return split(interpreter, text, args);
  if (name == "replace") {
    if (args.size() < 2) throw EvalError("replace() requires at least two arguments");
    if (!args[0].is_string() || !args[1].is_string()) throw EvalError("replace() arguments must be strings");
    Value count = Value::null();
    if (args.size() > 2) {
      if (args[2].kind() == Value::Kind::KeywordArguments) {
        const Value* given = args[2].entries().find("count");
        count = given ? *given : Value::null();
      } else {
        count = args[2];
      }
    }
    if (count.kind() != Value::Kind::Integer && !count.is_null()) {
      throw EvalError("replace() count argument must be a number or null");
    }
    return interpreter.make_string(
        replace_text(text, args[0].as_string(), args[1].as_string(), count, interpreter.limits().max_output_bytes));
  }
  throw EvalError(fmt::format("unknown string method {}", name));
}

// Object methods ----------------------------------------------------------------------------

Value object_items(Interpreter& interpreter, const ObjectData& entries) {
  std::vector<Value> items;
  for (const auto& [key, value] : entries.entries()) items.push_back(Value::array({Value::string(key), value}));
  return interpreter.make_array(std::move(items));
}

Value dictsort(Interpreter& interpreter, const ObjectData& entries, const Args& args) {
  std::vector<Value> positional;
  const ObjectData* keywords = nullptr;
  for (const auto& a : args) {
    if (a.kind() == Value::Kind::KeywordArguments) {
      keywords = &a.entries();
    } else {
      positional.push_back(a);
    }
  }
  auto option = [&](size_t index, const char* key, Value fallback) {
    if (index < positional.size() && !positional[index].is_absent()) return positional[index];
    if (keywords != nullptr) {
      if (const Value* value = keywords->find(key); value && !value->is_absent()) return *value;
    }
    return fallback;
  };
  const Value case_sensitive = option(0, "case_sensitive", Value::boolean(false));
  if (case_sensitive.kind() != Value::Kind::Boolean) throw EvalError("case_sensitive must be a boolean");
  const Value by = option(1, "by", Value::string("key"));
  if (!by.is_string()) throw EvalError("by must be a string");
  if (by.as_string() != "key" && by.as_string() != "value") throw EvalError("by must be either 'key' or 'value'");
  const Value reverse = option(2, "reverse", Value::boolean(false));
  if (reverse.kind() != Value::Kind::Boolean) throw EvalError("reverse must be a boolean");

  std::vector<Value> items;
  for (const auto& [key, value] : entries.entries()) items.push_back(Value::array({Value::string(key), value}));
  const size_t index = by.as_string() == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const int result = compare_values(a.items()[index], b.items()[index], case_sensitive.as_bool());
    return (reverse.as_bool() ? -result : result) < 0;
  });
  return interpreter.make_array(std::move(items));
}

Value call_object_method(Interpreter& interpreter, const Value& object, const std::string& name, Args& args) {
  const ObjectData& entries = object.entries();
  if (name == "get") {
    if (args.empty()) throw EvalError("Object key must be a string: got undefined");
    if (!args[0].is_string()) throw EvalError(fmt::format("Object key must be a string: got {}", args[0].type_name()));
    if (const Value* found = entries.find(args[0].as_string()); found && !found->is_absent()) return *found;
    return args.size() > 1 && !args[1].is_absent() ? args[1] : Value::null();
  }
  if (name == "items") return object_items(interpreter, entries);
  if (name == "keys") {
    std::vector<Value> keys;
    for (const auto& entry : entries.entries()) keys.push_back(Value::string(entry.first));
    return interpreter.make_array(std::move(keys));
  }
  if (name == "values") {
    std::vector<Value> values;
    for (const auto& entry : entries.entries()) values.push_back(entry.second);
    return interpreter.make_array(std::move(values));
  }
  if (name == "dictsort") return dictsort(interpreter, entries, args);
  throw EvalError(fmt::format("unknown object method {}", name));
}

bool is_string_method(const std::string& name) {
  static const char* const kNames[] = {"upper",  "lower",      "strip",    "title", "capitalize", "rstrip",
                                       "lstrip", "startswith", "endswith", "split", "replace"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; });
}

bool is_object_method(const std::string& name) {
  return name == "get" || name == "items" || name == "keys" || name == "values" || name == "dictsort";
}

const char* const kMonthsLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
const char* const kMonthsShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::vector<std::pair<std::string, Value>> global_values() {
  std::vector<std::pair<std::string, Value>> globals;
  globals.emplace_back("false", Value::boolean(false));
  globals.emplace_back("true", Value::boolean(true));
  globals.emplace_back("none", Value::null());
  globals.emplace_back("raise_exception", Value::function("raise_exception", raise_exception));
  globals.emplace_back("range", Value::function("range", range));
  globals.emplace_back("strftime_now", Value::function("strftime_now", strftime_now));
  globals.emplace_back("True", Value::boolean(true));
  globals.emplace_back("False", Value::boolean(false));
  globals.emplace_back("None", Value::null());
  return globals;
}

Value namespace_function() {
  return Value::function("namespace", make_namespace);
}

bool is_known_test(const std::string& name) {
  static const char* const kNames[] = {"boolean", "callable", "odd",       "even",     "false",   "true",     "none",
                                       "string",  "number",   "integer",   "iterable", "mapping", "sequence", "lower",
                                       "upper",   "defined",  "undefined", "equalto",  "eq"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; });
}

bool run_test(const std::string& name, const Value& operand, const Value* second) {
  using Kind = Value::Kind;
  const Kind kind = operand.kind();
  if (kind == Kind::Absent) {
    // The reference's instanceof tests answer false for a bare undefined; the others fail on it.
    if (name == "callable" || name == "mapping" || name == "number" || name == "integer" || name == "sequence") {
      return false;
    }
    if (!is_known_test(name)) throw EvalError(fmt::format("Unknown test: {}", name));
    throw EvalError(fmt::format("Cannot read properties of undefined (test '{}')", name));
  }
  if (name == "boolean") return kind == Kind::Boolean;
  if (name == "callable") return kind == Kind::Function;
  if (name == "odd" || name == "even") {
    if (kind != Kind::Integer) throw EvalError(fmt::format("cannot {} on {}", name, operand.type_name()));
    const double remainder = std::fmod(operand.as_number(), 2.0);
    return name == "odd" ? remainder != 0 : remainder == 0;
  }
  if (name == "false") return kind == Kind::Boolean && !operand.as_bool();
  if (name == "true") return kind == Kind::Boolean && operand.as_bool();
  if (name == "none") return kind == Kind::Null;
  if (name == "string") return kind == Kind::String;
  if (name == "number") return operand.is_number();
  if (name == "integer") return kind == Kind::Integer;
  if (name == "iterable") return kind == Kind::Array || kind == Kind::String;  // not tuples (type check)
  if (name == "mapping") return operand.is_mapping();
  if (name == "sequence") return operand.is_array() || operand.is_mapping() || kind == Kind::String;
  if (name == "lower" || name == "upper") {
    if (kind != Kind::String) return false;
    const std::string& text = operand.as_string();
    return text == (name == "lower" ? js::to_lower(text) : js::to_upper(text));
  }
  if (name == "defined") return kind != Kind::Undefined;
  if (name == "undefined") return kind == Kind::Undefined;
  if (name == "equalto" || name == "eq") {
    if (second == nullptr) throw EvalError(fmt::format("test '{}' needs a value to compare with", name));
    return strict_equals(operand, *second);
  }
  throw EvalError(fmt::format("Unknown test: {}", name));
}

Value builtin_member(const Value& object, const std::string& name) {
  if (object.is_string()) {
    if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(object.as_string())));
    if (!is_string_method(name)) return Value();
    return Value::function(name, [object, name](Interpreter& interpreter, Environment*, Args& args) {
      return call_string_method(interpreter, object.as_string(), name, args);
    });
  }
  if (object.is_array()) {
    if (name == "length") return Value::integer(static_cast<double>(object.items().size()));
    return Value();
  }
  if (object.is_mapping() && is_object_method(name)) {
    return Value::function(name, [object, name](Interpreter& interpreter, Environment*, Args& args) {
      return call_object_method(interpreter, object, name, args);
    });
  }
  return Value();
}

std::string strftime_subset(const std::tm& time, std::string_view format) {
  auto pad2 = [](int n) { return fmt::format("{:02d}", n); };
  const int month = std::clamp(time.tm_mon, 0, 11);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    switch (format[i + 1]) {
      case 'Y':
        out += std::to_string(time.tm_year + 1900);
        break;
      case 'm':
        out += pad2(time.tm_mon + 1);
        break;
      case 'd':
        out += pad2(time.tm_mday);
        break;
      case 'b':
        out += kMonthsShort[month];
        break;
      case 'B':
        out += kMonthsLong[month];
        break;
      case 'H':
        out += pad2(time.tm_hour);
        break;
      case 'M':
        out += pad2(time.tm_min);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += format[i];
        continue;  // not a directive: keep the '%' and look at the next character
    }
    ++i;
  }
  return out;
}

}  // namespace medllm::jinja
