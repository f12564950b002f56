// The `|` filters, dispatched as @huggingface/jinja's applyFilter does: first by whether the
// filter is called with arguments, then by the operand's type.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "templating/jinja/builtins.hpp"
#include "templating/jinja/diagnostics.hpp"
#include "templating/jinja/interpreter.hpp"
#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

namespace {

using Args = std::vector<Value>;

// A key equal for two values exactly when JavaScript's SameValueZero says so (Set membership).
std::string same_value_key(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null:  // the reference's NullValue holds undefined too
      return "u";
    case Value::Kind::Boolean:
      return value.as_bool() ? "t" : "f";
    case Value::Kind::Integer:
    case Value::Kind::Float: {
      double number = value.as_number();
      if (std::isnan(number)) return "#NaN";
      if (number == 0) number = 0;  // +0 and -0 are the same
      return fmt::format("#{}", number);
    }
    case Value::Kind::String:
      return fmt::format("s{}", value.as_string());
    default:
      return fmt::format("@{}", value.identity());
  }
}

// args.at(i) ?? kwargs.get(key) ?? fallback
Value option(const Args& args, size_t index, const ObjectData& keywords, const char* key, Value fallback) {
  if (index < args.size() && !args[index].is_absent()) return args[index];
  if (const Value* value = keywords.find(key); value && !value->is_absent()) return *value;
  return fallback;
}

// kwargs.get(key), where a stored bare undefined counts as missing.
const Value* keyword(const ObjectData& keywords, const char* key) {
  const Value* value = keywords.find(key);
  return value && !value->is_absent() ? value : nullptr;
}

// Array.prototype.join of the elements' JavaScript values (null and undefined join as "").
std::string join_values(const std::vector<Value>& items, const std::string& separator, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) js::append(out, separator);
    if (!items[i].is_null() && !items[i].is_undefined()) js::append(out, raw_string(items[i], max_bytes));
    if (out.size() > max_bytes) throw EvalError(fmt::format("string exceeds the limit of {} bytes", max_bytes));
  }
  return out;
}

// The reference's getAttributeValue: "a.b.0" through objects and arrays, undefined if missing.
Value attribute_value(const Value& item, const std::string& path) {
  Value value = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (value.is_attribute_container()) {
      const Value* found = value.entries().find(part);
      value = found ? *found : Value();
    } else if (value.is_array()) {
      const double index = js::parse_int(part);
      if (std::isnan(index) || index < 0 || index >= static_cast<double>(value.items().size())) return Value();
      value = value.items()[static_cast<size_t>(index)];
    } else {
      return Value();
    }
    if (dot == std::string::npos) return value;
    start = dot + 1;
  }
}

// Array.prototype.sort with the reference's comparator; bare undefined elements go last without
// being compared, as JavaScript sorts them.
std::vector<Value> sorted(std::vector<Value> items, bool reverse, bool case_sensitive, const Value& attribute) {
  const auto absent_begin =
      std::stable_partition(items.begin(), items.end(), [](const Value& item) { return !item.is_absent(); });
  auto key = [&](const Value& item) {
    if (attribute.is_null()) return item;
    const std::string path =
        attribute.is_string() ? attribute.as_string() : js::number_to_string(attribute.as_number());
    return attribute_value(item, path);
  };
  std::stable_sort(items.begin(), absent_begin, [&](const Value& a, const Value& b) {
    const int result = compare_values(key(a), key(b), case_sensitive);
    return (reverse ? -result : result) < 0;
  });
  return items;
}

std::string indent_lines(const std::string& text, const std::string& indent, bool first, bool blank, size_t max_bytes) {
  std::string out;
  size_t start = 0, line = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    const std::string_view piece =
        std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line > 0) out += '\n';
    if (!((!first && line == 0) || (!blank && piece.empty()))) out += indent;
    out += piece;
    if (out.size() > max_bytes) throw EvalError(fmt::format("string exceeds the limit of {} bytes", max_bytes));
    if (end == std::string::npos) break;
    start = end + 1;
    ++line;
  }
  return out;
}

Value tojson_filter(Interpreter& interpreter, const Value& operand, const ObjectData& keywords) {
  JsonOptions options;
  const Value* indent = keyword(keywords, "indent");
  if (indent && !indent->is_null()) {
    if (indent->kind() != Value::Kind::Integer) throw EvalError("If set, indent must be a number");
    options.indent = indent->as_number();
  }
  if (const Value* ensure_ascii = keyword(keywords, "ensure_ascii")) {
    if (ensure_ascii->kind() != Value::Kind::Boolean) throw EvalError("If set, ensure_ascii must be a boolean");
    options.ensure_ascii = ensure_ascii->as_bool();
  }
  if (const Value* sort_keys = keyword(keywords, "sort_keys")) {
    if (sort_keys->kind() != Value::Kind::Boolean) throw EvalError("If set, sort_keys must be a boolean");
    options.sort_keys = sort_keys->as_bool();
  }
  if (const Value* separators = keyword(keywords, "separators"); separators && !separators->is_null()) {
    if (!separators->is_array()) throw EvalError("If set, separators must be a tuple of two strings");
    const auto& pair = separators->items();
    if (pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      throw EvalError("separators must be a tuple of two strings");
    }
    options.separators = std::make_pair(pair[0].as_string(), pair[1].as_string());
  }
  return interpreter.make_string(to_json(operand, options, interpreter.limits().max_output_bytes));
}

Value select_or_reject(Interpreter& interpreter, const Value& operand, const CallExpression& filter,
                       const std::string& name, Environment* env) {
  const bool select = name == "selectattr";
  for (const auto& item : operand.items()) {
    if (!item.is_attribute_container()) {
      throw EvalError(fmt::format("`{}` can only be applied to array of objects", name));
    }
  }
  for (const auto& argument : filter.args) {
    if (argument->kind != NodeKind::StringLiteral)
      throw EvalError(fmt::format("arguments of `{}` must be strings", name));
  }
  std::vector<Value> values;
  for (const auto& argument : filter.args) values.push_back(interpreter.evaluate(*argument, env));
  if (values.empty()) throw EvalError(fmt::format("`{}` needs an attribute name", name));
  if (values.size() > 1 && !is_known_test(values[1].as_string())) {
    throw EvalError(fmt::format("Unknown test: {}", values[1].as_string()));
  }
  const std::string& attribute = values[0].as_string();
  const Value* test_value = values.size() > 2 ? &values[2] : nullptr;
  std::vector<Value> out;
  for (const auto& item : operand.items()) {
    const Value* found = item.entries().find(attribute);
    bool result = false;
    if (found != nullptr) {
      result = values.size() > 1 ? run_test(values[1].as_string(), *found, test_value) : truthy(*found);
    }
    if (result == select) out.push_back(item);
  }
  return interpreter.make_array(std::move(out));
}

Value map_filter(Interpreter& interpreter, const Value& operand, const ObjectData& keywords) {
  const Value* attribute = keyword(keywords, "attribute");
  if (attribute == nullptr) {
    throw EvalError("`map` expressions without `attribute` set are not currently supported.");
  }
  if (!attribute->is_string()) throw EvalError("attribute must be a string");
  const Value* fallback = keyword(keywords, "default");
  std::vector<Value> out;
  for (const auto& item : operand.items()) {
    if (!item.is_attribute_container()) throw EvalError("items in map must be an object");
    Value value = attribute_value(item, attribute->as_string());
    if (value.is_undefined() && fallback != nullptr) value = *fallback;
    out.push_back(std::move(value));
  }
  return interpreter.make_array(std::move(out));
}

// operand | name
Value plain_filter(Interpreter& interpreter, const Value& operand, const std::string& name) {
  const size_t max_bytes = interpreter.limits().max_output_bytes;
  if (name == "safe") return operand;
  if (operand.is_absent()) throw EvalError(fmt::format("Cannot read properties of undefined (filter {})", name));
  if (name == "tojson") return interpreter.make_string(to_json(operand, {}, max_bytes));

  if (operand.is_array()) {
    const auto& items = operand.items();
    if (name == "list") return operand;
    if (name == "first") return items.empty() ? Value::absent() : items.front();
    if (name == "last") return items.empty() ? Value::absent() : items.back();
    if (name == "length") return Value::integer(static_cast<double>(items.size()));
    if (name == "reverse") return interpreter.make_array(std::vector<Value>(items.rbegin(), items.rend()));
    if (name == "sort") return interpreter.make_array(sorted(items, false, false, Value::null()));
    if (name == "join") return interpreter.make_string(join_values(items, "", max_bytes));
    if (name == "string") {
      JsonOptions options;
      options.undefined_as_null = false;
      return interpreter.make_string(to_json(operand, options, max_bytes));
    }
    if (name == "unique") {
      std::vector<Value> out;
      std::unordered_set<std::string> seen;
      for (const auto& item : items) {
        if (item.is_absent()) throw EvalError("Cannot read properties of undefined (reading 'value')");
        if (seen.insert(same_value_key(item)).second) out.push_back(item);
      }
      return interpreter.make_array(std::move(out));
    }
    throw EvalError(fmt::format("Unknown ArrayValue filter: {}", name));
  }
  if (operand.is_string()) {
    const std::string& text = operand.as_string();
    if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(text)));
    if (name == "upper") return interpreter.make_string(js::to_upper(text));
    if (name == "lower") return interpreter.make_string(js::to_lower(text));
    if (name == "title") return Value::string(js::title_case(text));
    if (name == "capitalize") return interpreter.make_string(js::capitalize(text));
    if (name == "trim") return Value::string(js::trim(text));
    if (name == "indent") return interpreter.make_string(indent_lines(text, "    ", false, false, max_bytes));
    if (name == "join" || name == "string") return operand;
    if (name == "int") {
      const double value = js::parse_int(text);
      return Value::integer(std::isnan(value) ? 0.0 : value);
    }
    if (name == "float") {
      const double value = js::parse_float(text);
      return Value::floating(std::isnan(value) ? 0.0 : value);
    }
    throw EvalError(fmt::format("Unknown StringValue filter: {}", name));
  }
  if (operand.is_number()) {
    const double value = operand.as_number();
    if (name == "abs") {
      return operand.kind() == Value::Kind::Integer ? Value::integer(std::fabs(value))
                                                    : Value::floating(std::fabs(value));
    }
    if (name == "int") return Value::integer(std::floor(value));
    if (name == "float") return Value::floating(value);
    if (name == "string") return Value::string(display_string(operand, max_bytes));
    throw EvalError(fmt::format("Unknown NumericValue filter: {}", name));
  }
  if (operand.is_mapping()) {
    if (name == "items") {
      std::vector<Value> items;
      for (const auto& [key, value] : operand.entries().entries()) {
        items.push_back(Value::array({Value::string(key), value}));
      }
      return interpreter.make_array(std::move(items));
    }
    if (name == "length") return Value::integer(static_cast<double>(operand.entries().size()));
    const Value method = builtin_member(operand, name);
    if (method.kind() == Value::Kind::Function) {
      Args none;
      return interpreter.call(method, none, nullptr);
    }
    throw EvalError(fmt::format("Unknown ObjectValue filter: {}", name));
  }
  if (operand.kind() == Value::Kind::Boolean) {
    const bool value = operand.as_bool();
    if (name == "bool") return operand;
    if (name == "int") return Value::integer(value ? 1 : 0);
    if (name == "float") return Value::floating(value ? 1.0 : 0.0);
    if (name == "string") return Value::string(value ? "true" : "false");
    throw EvalError(fmt::format("Unknown BooleanValue filter: {}", name));
  }
  throw EvalError(fmt::format("Cannot apply filter \"{}\" to type: {}", name, operand.type_name()));
}

// operand | name(args...)
Value called_filter(Interpreter& interpreter, const Value& operand, const CallExpression& filter,
                    const std::string& name, Environment* env) {
  const size_t max_bytes = interpreter.limits().max_output_bytes;
  if (operand.is_absent() && name != "default") {
    throw EvalError(fmt::format("Cannot read properties of undefined (filter {})", name));
  }
  if (name == "tojson") {
    const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
    return tojson_filter(interpreter, operand, keywords);
  }
  if (name == "join") {
    std::vector<Value> values;
    if (operand.is_string()) {
      for (auto& character : js::code_points(operand.as_string()))
        values.push_back(Value::string(std::move(character)));
    } else if (operand.is_array()) {
      values = operand.items();
    } else {
      throw EvalError(fmt::format("Cannot apply filter \"{}\" to type: {}", name, operand.type_name()));
    }
    const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
    const Value separator = option(args, 0, keywords, "separator", Value::string(""));
    if (!separator.is_string()) throw EvalError("separator must be a string");
    return interpreter.make_string(join_values(values, separator.as_string(), max_bytes));
  }
  if (name == "int" || name == "float") {
    const bool is_int = name == "int";
    const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
    const Value fallback = option(args, 0, keywords, "default", is_int ? Value::integer(0) : Value::floating(0));
    if (operand.is_string()) {
      const double value = is_int ? js::parse_int(operand.as_string()) : js::parse_float(operand.as_string());
      if (std::isnan(value)) return fallback;
      return is_int ? Value::integer(value) : Value::floating(value);
    }
    if (operand.is_number()) return operand;
    if (operand.kind() == Value::Kind::Boolean) {
      return is_int ? Value::integer(operand.as_bool() ? 1 : 0) : Value::floating(operand.as_bool() ? 1.0 : 0.0);
    }
    throw EvalError(fmt::format("Cannot apply filter \"{}\" to type: {}", name, operand.type_name()));
  }
  if (name == "default") {
    const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
    const Value fallback = option(args, 0, ObjectData(), "", Value::string(""));
    const Value boolean = option(args, 1, keywords, "boolean", Value::boolean(false));
    if (boolean.kind() != Value::Kind::Boolean) throw EvalError("`default` filter flag must be a boolean");
    if (operand.is_undefined() || (boolean.as_bool() && !truthy(operand))) return fallback;
    return operand;
  }

  if (operand.is_array()) {
    if (name == "sort") {
      const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
      const Value reverse = option(args, 0, keywords, "reverse", Value::boolean(false));
      if (reverse.kind() != Value::Kind::Boolean) throw EvalError("reverse must be a boolean");
      const Value case_sensitive = option(args, 1, keywords, "case_sensitive", Value::boolean(false));
      if (case_sensitive.kind() != Value::Kind::Boolean) throw EvalError("case_sensitive must be a boolean");
      const Value attribute = option(args, 2, keywords, "attribute", Value::null());
      if (!attribute.is_string() && attribute.kind() != Value::Kind::Integer && !attribute.is_null()) {
        throw EvalError("attribute must be a string, integer, or null");
      }
      return interpreter.make_array(sorted(operand.items(), reverse.as_bool(), case_sensitive.as_bool(), attribute));
    }
    if (name == "selectattr" || name == "rejectattr") return select_or_reject(interpreter, operand, filter, name, env);
    if (name == "map") {
      const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
      return map_filter(interpreter, operand, keywords);
    }
    throw EvalError(fmt::format("Unknown ArrayValue filter: {}", name));
  }
  if (operand.is_string()) {
    if (name == "indent") {
      const auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
      const Value width = option(args, 0, keywords, "width", Value::integer(4));
      if (width.kind() != Value::Kind::Integer) throw EvalError("width must be a number");
      const Value first = option(args, 1, keywords, "first", Value::boolean(false));
      const Value blank = option(args, 2, keywords, "blank", Value::boolean(false));
      const double count = width.as_number();
      if (std::isnan(count) || count < 0 || std::isinf(count)) {
        throw EvalError(fmt::format("Invalid count value: {}", js::number_to_string(count)));
      }
      if (count > static_cast<double>(max_bytes))
        throw EvalError(fmt::format("string exceeds the limit of {} bytes", max_bytes));
      const std::string indent(static_cast<size_t>(count), ' ');
      return interpreter.make_string(
          indent_lines(operand.as_string(), indent, raw_truthy(first), raw_truthy(blank), max_bytes));
    }
    if (name == "replace") {
      auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
      args.push_back(Value::object(std::move(keywords), Value::Kind::KeywordArguments));
      const Value method = builtin_member(operand, "replace");
      return interpreter.call(method, args, env);
    }
    throw EvalError(fmt::format("Unknown StringValue filter: {}", name));
  }
  if (operand.is_mapping()) {
    const Value method = builtin_member(operand, name);
    if (method.kind() == Value::Kind::Function) {
      auto [args, keywords] = interpreter.evaluate_arguments(filter.args, env);
      if (keywords.size() > 0) args.push_back(Value::object(std::move(keywords), Value::Kind::KeywordArguments));
      return interpreter.call(method, args, env);
    }
    throw EvalError(fmt::format("Unknown ObjectValue filter: {}", name));
  }
  throw EvalError(fmt::format("Cannot apply filter \"{}\" to type: {}", name, operand.type_name()));
}

}  // namespace

Value apply_filter(Interpreter& interpreter, const Value& operand, const Node& filter, Environment* env) {
  if (filter.kind == NodeKind::Identifier) {
    return plain_filter(interpreter, operand, static_cast<const Identifier&>(filter).name);
  }
  if (filter.kind == NodeKind::CallExpression) {
    const auto& call = static_cast<const CallExpression&>(filter);
    if (call.callee->kind != NodeKind::Identifier) {
      throw EvalError(fmt::format("Unknown filter: {}", node_kind_name(call.callee->kind)));
    }
    return called_filter(interpreter, operand, call, static_cast<const Identifier&>(*call.callee).name, env);
  }
  throw EvalError(fmt::format("Unknown filter: {}", node_kind_name(filter.kind)));
}

}  // namespace medllm::jinja
