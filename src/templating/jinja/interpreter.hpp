#pragma once
// Evaluates a parsed template with @huggingface/jinja's semantics: scopes (a for loop gets one
// scope for all its iterations, macros see their caller's scope), loop variables, break/continue,
// macros with defaults/varargs/kwargs, call blocks, filter blocks, namespaces.
//
// Template source and variables are untrusted, so every render is bounded: evaluation steps,
// recursion depth, string sizes and array lengths all have limits, and exceeding one is an Error
// naming the line and column of the template where it happened.

#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "templating/jinja/ast.hpp"
#include "templating/jinja/diagnostics.hpp"
#include "templating/jinja/value.hpp"

namespace medllm::jinja {

struct Limits {
  size_t max_output_bytes = size_t{32} << 20;  // the output and every string built on the way
  uint64_t max_steps = 20'000'000;             // expressions, statements and loop iterations
  uint32_t max_depth = 400;                    // evaluation recursion (nesting, macro calls)
  uint32_t max_nesting = 256;                  // syntax nesting accepted by the parser
  size_t max_items = size_t{1} << 22;          // elements of one array (range, +, split, ...)
};

// What strftime_now() reads: the local date and time. Tests inject a fixed one.
using Clock = std::function<std::tm()>;
std::tm system_local_time();

// One scope. Lookups walk up to the global scope; assignments stay in the scope they are made in.
class Environment {
 public:
  explicit Environment(Environment* parent) : parent_(parent) {}
  Environment* parent() const { return parent_; }
  const Value* find_local(const std::string& name) const;
  void set(const std::string& name, Value value) { variables_[name] = std::move(value); }

 private:
  Environment* parent_;
  std::unordered_map<std::string, Value> variables_;
};

class Interpreter {
 public:
  Interpreter(const SourceText& source, const Limits& limits, Clock clock);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Renders the program with the given variables (a JSON object; JSON values convert as
  // JavaScript's JSON.parse output would). Throws Error with the template line and column.
  std::string run(const Program& program, const nlohmann::ordered_json& variables);

  // For the built-in functions and filters (builtins.cpp).
  const Limits& limits() const { return limits_; }
  std::tm now() const;
  Value make_string(std::string text) const;         // checks the size limit
  Value make_array(std::vector<Value> items) const;  // checks the length limit
  Value make_namespace(ObjectData entries);          // the one mutable value: tracked for cleanup
  Value evaluate(const Node& node, Environment* env);
  // Positional arguments (with *spread) and keyword arguments (with **spread) of a call.
  std::pair<std::vector<Value>, ObjectData> evaluate_arguments(const Block& args, Environment* env);
  Value call(const Value& function, std::vector<Value>& args, Environment* scope);
  Value lookup(const std::string& name, Environment* env) const;

 private:
  friend class DepthGuard;
  void exec(const Node& node, Environment* env, std::string& out);
  void exec_block(const Block& block, Environment* env, std::string& out);
  std::string render_block(const Block& block, Environment* env);
  void append_output(std::string& out, const Value& value);
  void count_step();
  Environment* new_environment(Environment* parent);

  Value eval_dispatch(const Node& node, Environment* env);
  void exec_dispatch(const Node& node, Environment* env, std::string& out);
  Value eval_binary(const BinaryExpression& node, Environment* env);
  Value eval_unary(const UnaryExpression& node, Environment* env);
  Value eval_member(const MemberExpression& node, Environment* env);
  Value eval_slice(const Value& object, const SliceExpression& node, Environment* env);
  Value eval_call(const CallExpression& node, Environment* env);
  Value eval_test(const TestExpression& node, Environment* env);
  Value eval_object_literal(const ObjectLiteral& node, Environment* env);
  void exec_set(const Set& node, Environment* env);
  void exec_for(const For& node, Environment* env, std::string& out);
  void exec_macro(const Macro& node, Environment* env);
  Value exec_call_statement(const CallStatement& node, Environment* env);
  void bind_arguments(const std::string& display_name, const Block& params, bool wants_kwargs, bool wants_varargs,
                      std::vector<Value> args, Environment* scope);

  const SourceText& source_;
  const Limits limits_;
  Clock clock_;
  uint64_t steps_ = 0;
  uint32_t depth_ = 0;
  Value namespace_function_;
  std::deque<Environment> environments_;  // every scope of this render; freed together at the end
  std::vector<std::shared_ptr<ObjectData>> namespaces_;
};

}  // namespace medllm::jinja
