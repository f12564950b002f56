#pragma once
// Runtime values of the template interpreter, with @huggingface/jinja's types and semantics:
// numbers are JavaScript doubles (Integer and Float differ only in how they print), objects keep
// insertion order, arrays/objects/functions compare by identity, and a Namespace is the one
// mutable container.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace medllm::jinja {

class Value;
class Interpreter;
class Environment;

// Values nested deeper than this (arrays in arrays..., or a cycle through namespaces) are an
// error: it bounds the recursion of printing, comparing and destroying values.
inline constexpr uint32_t kMaxValueDepth = 512;

struct ArrayData;
class ObjectData;
struct FunctionData;

// A callable: built-in functions, bound string/object methods, macros and `caller`.
using NativeFunction = std::function<Value(Interpreter&, Environment* caller_scope, std::vector<Value>& args)>;

class Value {
 public:
  enum class Kind : uint8_t {
    Undefined,
    Null,
    Boolean,
    Integer,
    Float,
    String,
    Array,
    Tuple,
    Object,
    KeywordArguments,  // the **kwargs of a call, as the reference passes them
    Namespace,
    Function,
    // A bare JavaScript `undefined` rather than an UndefinedValue: what the reference's `first`
    // and `last` return for an empty array. It can be stored (set, arguments, literals) and reads
    // back as undefined, but using it in an expression is an error, as in the reference.
    Absent,
  };

  Value() = default;  // undefined
  static Value null();
  static Value boolean(bool value);
  static Value integer(double value);
  static Value floating(double value);
  static Value number(double value);  // Integer if integral (as JavaScript's Number.isInteger), else Float
  static Value string(std::string value);
  static Value array(std::vector<Value> items);  // throws EvalError when nested too deeply
  static Value tuple(std::vector<Value> items);
  static Value object(ObjectData data, Kind kind = Kind::Object);  // Object, KeywordArguments or Namespace
  static Value function(std::string name, NativeFunction call);
  static Value absent();

  Kind kind() const { return kind_; }
  const char* type_name() const;  // "IntegerValue", "StringValue", ... (the reference's names)

  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_absent() const { return kind_ == Kind::Absent; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_number() const { return kind_ == Kind::Integer || kind_ == Kind::Float; }
  bool is_array() const { return kind_ == Kind::Array || kind_ == Kind::Tuple; }                // instanceof ArrayValue
  bool is_mapping() const { return kind_ == Kind::Object || kind_ == Kind::KeywordArguments; }  // ObjectValue
  bool is_attribute_container() const { return is_mapping() || kind_ == Kind::Namespace; }

  bool as_bool() const { return std::get<bool>(data_); }
  double as_number() const { return std::get<double>(data_); }
  const std::string& as_string() const { return *std::get<std::shared_ptr<const std::string>>(data_); }
  const std::vector<Value>& items() const;
  const ObjectData& entries() const;
  ObjectData& mutable_entries() const;  // namespaces
  std::shared_ptr<ObjectData> shared_entries() const { return std::get<std::shared_ptr<ObjectData>>(data_); }
  const FunctionData& function() const;

  // The identity JavaScript compares arrays, objects and functions by (nullptr for primitives).
  const void* identity() const;
  uint32_t depth() const;

 private:
  Kind kind_ = Kind::Undefined;
  std::variant<std::monostate, bool, double, std::shared_ptr<const std::string>, std::shared_ptr<const ArrayData>,
               std::shared_ptr<ObjectData>, std::shared_ptr<const FunctionData>>
      data_;
};

struct ArrayData {
  std::vector<Value> items;
  uint32_t depth = 1;
};

// An insertion-ordered string -> Value map (JavaScript's Map).
class ObjectData {
 public:
  const Value* find(std::string_view key) const;
  // Replaces the value of an existing key in place (keeping its position) or appends.
  void set(const std::string& key, Value value);
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  void clear();
  uint32_t depth = 1;

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;  // built once the map grows past a few entries
};

struct FunctionData {
  std::string name;
  NativeFunction call;
};

inline const std::vector<Value>& Value::items() const {
  return std::get<std::shared_ptr<const ArrayData>>(data_)->items;
}
inline const ObjectData& Value::entries() const {
  return *std::get<std::shared_ptr<ObjectData>>(data_);
}
inline ObjectData& Value::mutable_entries() const {
  return *std::get<std::shared_ptr<ObjectData>>(data_);
}
inline const FunctionData& Value::function() const {
  return *std::get<std::shared_ptr<const FunctionData>>(data_);
}

// __bool__: empty strings, arrays and objects, 0, NaN, none and undefined are false. An Absent
// value throws (the reference fails reading a property of undefined).
bool truthy(const Value& value);
// JavaScript truthiness of the underlying JavaScript value (a filter's boolean option): as truthy
// for none, undefined, booleans, numbers and strings, but every array and object is true.
bool raw_truthy(const Value& value);

// How a value prints in template output (RuntimeValue.toString): floats as "2.0", arrays and
// objects as JSON with undefined kept as `undefined`. max_bytes bounds the result.
std::string display_string(const Value& value, size_t max_bytes);
// JavaScript's String(value.value), used by `+`, `~` and join: floats as "2", arrays as
// comma-joined elements, objects as "[object Map]".
std::string raw_string(const Value& value, size_t max_bytes);

struct JsonOptions {
  std::optional<double> indent;  // null: one line
  bool ensure_ascii = false;
  std::optional<std::pair<std::string, std::string>> separators;  // item, key
  bool sort_keys = false;
  bool undefined_as_null = true;
};
// The `tojson` filter (Python json.dumps-like separators, insertion key order).
std::string to_json(const Value& value, const JsonOptions& options, size_t max_bytes);

bool loose_equals(const Value& a, const Value& b);   // JavaScript ==
bool strict_equals(const Value& a, const Value& b);  // JavaScript ===
// The reference's compareRuntimeValues (sort, dictsort): numbers (and booleans) with each other,
// strings with strings (case-insensitive unless asked), none with none; anything else throws.
int compare_values(const Value& a, const Value& b, bool case_sensitive);

// JSON -> Value as JavaScript sees JSON.parse output: integral numbers are Integer, object keys
// that are array indices ("0", "1", ...) come first in ascending order, the rest in file order.
Value from_json(const nlohmann::ordered_json& json);

}  // namespace medllm::jinja
