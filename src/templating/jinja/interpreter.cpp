#include "templating/jinja/interpreter.hpp"

#include <fmt/format.h>

#include <cmath>
#include <unordered_set>

#include "templating/jinja/builtins.hpp"
#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

namespace {

// {% break %} / {% continue %} travel up to the nearest loop, even out of a macro called inside
// it (as the reference's control-flow exceptions do).
struct BreakSignal {
  size_t offset;
};
struct ContinueSignal {
  size_t offset;
};

// Whether a macro (or call block) body reads `kwargs` / `varargs` before declaring it, in the
// order Jinja's compiler visits the tree: only then does the macro accept extra arguments.
class SpecialArgumentScan {
 public:
  SpecialArgumentScan(const Block& params, const Block& body) {
    for (const auto& param : params) declare_param(*param);
    for (const auto& statement : body) visit(*statement);
  }
  bool kwargs = false, varargs = false;

 private:
  void declare_name(const std::string& name) {
    if (name == "kwargs" || name == "varargs") declared_.insert(name);
  }
  void declare_param(const Node& param) {
    declare_name(param.kind == NodeKind::Identifier ? static_cast<const Identifier&>(param).name
                                                    : static_cast<const KeywordArgument&>(param).key);
  }
  void declare_target(const Node& target) {
    if (target.kind == NodeKind::Identifier) declare_name(static_cast<const Identifier&>(target).name);
    if (target.kind == NodeKind::TupleLiteral) {
      for (const auto& item : static_cast<const ListLiteral&>(target).items) declare_target(*item);
    }
  }
  void visit_defaults(const Block& params) {
    for (const auto& param : params) {
      if (param->kind == NodeKind::KeywordArgument) visit(*static_cast<const KeywordArgument&>(*param).value);
    }
  }
  void visit_filter(const Node& filter) {
    if (filter.kind == NodeKind::CallExpression) {
      for (const auto& arg : static_cast<const CallExpression&>(filter).args) visit(*arg);
    }
  }
  void visit_all(const Block& block) {
    for (const auto& node : block) visit(*node);
  }
  void visit(const Node& node) {
    switch (node.kind) {
      case NodeKind::For: {
        const auto& n = static_cast<const For&>(node);
        declare_target(*n.loopvar);
        if (n.iterable->kind == NodeKind::SelectExpression) {
          const auto& select = static_cast<const SelectExpression&>(*n.iterable);
          visit(*select.lhs), visit_all(n.body), visit_all(n.default_block), visit(*select.test);
        } else {
          visit(*n.iterable), visit_all(n.body), visit_all(n.default_block);
        }
        return;
      }
      case NodeKind::Set: {
        const auto& n = static_cast<const Set&>(node);
        declare_target(*n.assignee);
        if (n.value) visit(*n.value);
        visit_all(n.body);
        return;
      }
      case NodeKind::Macro: {
        const auto& n = static_cast<const Macro&>(node);
        for (const auto& param : n.params) declare_param(*param);
        visit_defaults(n.params), visit_all(n.body);
        return;
      }
      case NodeKind::CallStatement: {
        const auto& n = static_cast<const CallStatement&>(node);
        visit(*n.call);
        if (n.caller_params) {
          for (const auto& param : *n.caller_params) declare_param(*param);
          visit_defaults(*n.caller_params);
        }
        visit_all(n.body);
        return;
      }
      case NodeKind::FilterStatement: {
        const auto& n = static_cast<const FilterStatement&>(node);
        visit_all(n.body), visit_filter(*n.filter);
        return;
      }
      case NodeKind::Identifier: {
        const std::string& name = static_cast<const Identifier&>(node).name;
        if (declared_.count(name) == 0) {
          if (name == "kwargs") kwargs = true;
          if (name == "varargs") varargs = true;
        }
        return;
      }
      case NodeKind::MemberExpression: {
        const auto& n = static_cast<const MemberExpression&>(node);
        visit(*n.object);
        if (n.computed) visit(*n.property);
        return;
      }
      case NodeKind::FilterExpression: {
        const auto& n = static_cast<const FilterExpression&>(node);
        visit(*n.operand), visit_filter(*n.filter);
        return;
      }
      case NodeKind::TestExpression:
        visit(*static_cast<const TestExpression&>(node).operand);
        return;
      case NodeKind::SelectExpression: {
        const auto& n = static_cast<const SelectExpression&>(node);
        visit(*n.test), visit(*n.lhs);
        return;
      }
      default:
        for_each_child(node, [&](const Node& child) { visit(child); });
    }
  }

  std::unordered_set<std::string> declared_;
};

bool numeric_like(const Value& v) {
  return v.is_number() || v.kind() == Value::Kind::Boolean;
}
double numeric_value(const Value& v) {
  return v.kind() == Value::Kind::Boolean ? (v.as_bool() ? 1.0 : 0.0) : v.as_number();
}

// Python-style slicing as the reference's slice() computes it (with JavaScript number rules).
std::vector<size_t> slice_indices(size_t size, const Value& start_value, const Value& stop_value,
                                  const Value& step_value) {
  const double length = static_cast<double>(size);
  const double step = step_value.is_undefined() ? 1.0 : step_value.as_number();
  auto js_min = [](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); };
  auto js_max = [](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); };
  const double direction = std::isnan(step) ? NAN : (step > 0 ? 1.0 : step < 0 ? -1.0 : 0.0);
  double start = 0, stop = 0;
  if (direction >= 0) {
    start = start_value.is_undefined() ? 0.0 : start_value.as_number();
    start = start < 0 ? js_max(length + start, 0) : js_min(start, length);
    stop = stop_value.is_undefined() ? length : stop_value.as_number();
    stop = stop < 0 ? js_max(length + stop, 0) : js_min(stop, length);
  } else {
    start = start_value.is_undefined() ? length - 1 : start_value.as_number();
    start = start < 0 ? js_max(length + start, -1) : js_min(start, length - 1);
    stop = stop_value.is_undefined() ? -1.0 : stop_value.as_number();
    stop = stop < -1 ? js_max(length + stop, -1) : js_min(stop, length - 1);
  }
  std::vector<size_t> indices;
  for (double i = start; direction * i < direction * stop; i += step) {
    if (i >= 0 && i < length) indices.push_back(static_cast<size_t>(i));
  }
  return indices;
}

}  // namespace

std::tm system_local_time() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return local;
}

const Value* Environment::find_local(const std::string& name) const {
  const auto it = variables_.find(name);
  return it == variables_.end() ? nullptr : &it->second;
}

// Counts evaluation recursion; the limit keeps hostile templates from exhausting the stack.
class DepthGuard {
 public:
  explicit DepthGuard(Interpreter& interpreter) : interpreter_(interpreter) {
    if (++interpreter_.depth_ > interpreter_.limits_.max_depth) {
      --interpreter_.depth_;
      throw EvalError(
          fmt::format("template evaluation nested deeper than {} levels (recursion?)", interpreter_.limits_.max_depth));
    }
  }
  ~DepthGuard() { --interpreter_.depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Interpreter& interpreter_;
};

Interpreter::Interpreter(const SourceText& source, const Limits& limits, Clock clock)
    : source_(source), limits_(limits), clock_(std::move(clock)), namespace_function_(namespace_function()) {}

Interpreter::~Interpreter() {
  // Namespaces are the only mutable values, so every reference cycle passes through one:
  // emptying them all frees everything this render built.
  for (const auto& entries : namespaces_) entries->clear();
}

std::tm Interpreter::now() const {
  return clock_ ? clock_() : system_local_time();
}

Value Interpreter::make_string(std::string text) const {
  if (text.size() > limits_.max_output_bytes) {
    throw EvalError(fmt::format("string exceeds the limit of {} bytes", limits_.max_output_bytes));
  }
  return Value::string(std::move(text));
}

Value Interpreter::make_array(std::vector<Value> items) const {
  if (items.size() > limits_.max_items) {
    throw EvalError(fmt::format("array exceeds the limit of {} elements", limits_.max_items));
  }
  return Value::array(std::move(items));
}

Value Interpreter::make_namespace(ObjectData entries) {
  Value value = Value::object(std::move(entries), Value::Kind::Namespace);
  namespaces_.push_back(value.shared_entries());
  return value;
}

Environment* Interpreter::new_environment(Environment* parent) {
  return &environments_.emplace_back(parent);
}

void Interpreter::count_step() {
  if (++steps_ > limits_.max_steps) {
    throw EvalError(fmt::format("template evaluation exceeded {} steps", limits_.max_steps));
  }
}

Value Interpreter::lookup(const std::string& name, Environment* env) const {
  // Every scope of the reference starts with its own `namespace`, so it is found in the
  // innermost scope unless that very scope assigned the name.
  if (name == "namespace") {
    const Value* own = env->find_local(name);
    return own ? *own : namespace_function_;
  }
  for (Environment* scope = env; scope != nullptr; scope = scope->parent()) {
    if (const Value* value = scope->find_local(name)) return value->is_absent() ? Value() : *value;
  }
  return Value();
}

std::string Interpreter::run(const Program& program, const nlohmann::ordered_json& variables) {
  Environment* global = new_environment(nullptr);
  for (auto& [name, value] : global_values()) global->set(name, std::move(value));
  if (!variables.is_null()) {
    if (!variables.is_object()) throw Error("template variables must be a JSON object");
    for (const auto& [name, json] : variables.items()) {
      if (name == "namespace" || global->find_local(name))
        throw Error(fmt::format("Variable already declared: {}", name));
      try {
        global->set(name, from_json(json));
      } catch (const EvalError& e) {
        throw Error(fmt::format("template variable '{}': {}", name, e.what()));
      }
    }
  }
  std::string out;
  try {
    exec_block(program.body, global, out);
  } catch (const BreakSignal& signal) {
    throw Error(source_.describe(signal.offset, "{% break %} outside of a loop"));
  } catch (const ContinueSignal& signal) {
    throw Error(source_.describe(signal.offset, "{% continue %} outside of a loop"));
  }
  return js::to_well_formed(out);
}

Value Interpreter::evaluate(const Node& node, Environment* env) {
  try {
    DepthGuard guard(*this);
    count_step();
    return eval_dispatch(node, env);
  } catch (const EvalError& e) {
    throw Error(source_.describe(node.offset, e.what()));
  }
}

void Interpreter::exec(const Node& node, Environment* env, std::string& out) {
  try {
    DepthGuard guard(*this);
    count_step();
    exec_dispatch(node, env, out);
  } catch (const EvalError& e) {
    throw Error(source_.describe(node.offset, e.what()));
  }
}

void Interpreter::exec_block(const Block& block, Environment* env, std::string& out) {
  for (const auto& node : block) exec(*node, env, out);
}

std::string Interpreter::render_block(const Block& block, Environment* env) {
  std::string out;
  exec_block(block, env, out);
  return out;
}

void Interpreter::append_output(std::string& out, const Value& value) {
  if (value.is_absent()) throw EvalError("Cannot read properties of undefined (reading 'type')");
  if (value.is_null() || value.is_undefined()) return;
  if (value.is_string()) {
    js::append(out, value.as_string());
  } else {
    js::append(out, display_string(value, limits_.max_output_bytes));
  }
  if (out.size() > limits_.max_output_bytes) {
    throw EvalError(fmt::format("output exceeds the limit of {} bytes", limits_.max_output_bytes));
  }
}

void Interpreter::exec_dispatch(const Node& node, Environment* env, std::string& out) {
  switch (node.kind) {
    case NodeKind::Set:
      exec_set(static_cast<const Set&>(node), env);
      return;
    case NodeKind::If: {
      const auto& n = static_cast<const If&>(node);
      exec_block(truthy(evaluate(*n.test, env)) ? n.body : n.alternate, env, out);
      return;
    }
    case NodeKind::For:
      exec_for(static_cast<const For&>(node), env, out);
      return;
    case NodeKind::Macro:
      exec_macro(static_cast<const Macro&>(node), env);
      return;
    case NodeKind::CallStatement:
      append_output(out, exec_call_statement(static_cast<const CallStatement&>(node), env));
      return;
    case NodeKind::FilterStatement: {
      const auto& n = static_cast<const FilterStatement&>(node);
      const Value rendered = make_string(render_block(n.body, env));
      append_output(out, apply_filter(*this, rendered, *n.filter, env));
      return;
    }
    case NodeKind::Break:
      throw BreakSignal{node.offset};
    case NodeKind::Continue:
      throw ContinueSignal{node.offset};
    case NodeKind::Comment:
      return;
    default:
      append_output(out, eval_dispatch(node, env));
  }
}

Value Interpreter::eval_dispatch(const Node& node, Environment* env) {
  switch (node.kind) {
    case NodeKind::IntegerLiteral:
      return Value::integer(static_cast<const NumericLiteral&>(node).value);
    case NodeKind::FloatLiteral:
      return Value::floating(static_cast<const NumericLiteral&>(node).value);
    case NodeKind::StringLiteral:
      return Value::string(static_cast<const StringLiteral&>(node).value);
    case NodeKind::ArrayLiteral:
    case NodeKind::TupleLiteral: {
      std::vector<Value> items;
      for (const auto& item : static_cast<const ListLiteral&>(node).items) items.push_back(evaluate(*item, env));
      return node.kind == NodeKind::ArrayLiteral ? Value::array(std::move(items)) : Value::tuple(std::move(items));
    }
    case NodeKind::ObjectLiteral:
      return eval_object_literal(static_cast<const ObjectLiteral&>(node), env);
    case NodeKind::Identifier:
      return lookup(static_cast<const Identifier&>(node).name, env);
    case NodeKind::CallExpression:
      return eval_call(static_cast<const CallExpression&>(node), env);
    case NodeKind::MemberExpression:
      return eval_member(static_cast<const MemberExpression&>(node), env);
    case NodeKind::UnaryExpression:
      return eval_unary(static_cast<const UnaryExpression&>(node), env);
    case NodeKind::BinaryExpression:
      return eval_binary(static_cast<const BinaryExpression&>(node), env);
    case NodeKind::FilterExpression: {
      const auto& n = static_cast<const FilterExpression&>(node);
      const Value operand = evaluate(*n.operand, env);
      return apply_filter(*this, operand, *n.filter, env);
    }
    case NodeKind::TestExpression:
      return eval_test(static_cast<const TestExpression&>(node), env);
    case NodeKind::SelectExpression: {
      const auto& n = static_cast<const SelectExpression&>(node);
      if (!truthy(evaluate(*n.test, env))) return Value();
      return evaluate(*n.lhs, env);
    }
    case NodeKind::Ternary: {
      const auto& n = static_cast<const Ternary&>(node);
      return evaluate(truthy(evaluate(*n.condition, env)) ? *n.true_expr : *n.false_expr, env);
    }
    case NodeKind::Comment:
      return Value::null();
    default:
      throw EvalError(fmt::format("Unknown node type: {}", node_kind_name(node.kind)));
  }
}

Value Interpreter::eval_object_literal(const ObjectLiteral& node, Environment* env) {
  ObjectData entries;
  for (const auto& [key_node, value_node] : node.entries) {
    const Value key = evaluate(*key_node, env);
    if (!key.is_string()) throw EvalError(fmt::format("Object keys must be strings: got {}", key.type_name()));
    entries.set(key.as_string(), evaluate(*value_node, env));
  }
  return Value::object(std::move(entries));
}

Value Interpreter::eval_binary(const BinaryExpression& node, Environment* env) {
  const Value left = evaluate(*node.left, env);
  if (node.op == BinaryOp::And) return truthy(left) ? evaluate(*node.right, env) : left;
  if (node.op == BinaryOp::Or) return truthy(left) ? left : evaluate(*node.right, env);
  const Value right = evaluate(*node.right, env);
  const BinaryOp op = node.op;
  if (left.is_absent() || right.is_absent()) throw EvalError("Cannot read properties of undefined (reading 'value')");
  if (op == BinaryOp::Eq) return Value::boolean(loose_equals(left, right));
  if (op == BinaryOp::Ne) return Value::boolean(!loose_equals(left, right));
  const size_t max_bytes = limits_.max_output_bytes;

  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && (op == BinaryOp::In || op == BinaryOp::NotIn)) {
      return Value::boolean(op == BinaryOp::NotIn);  // anything in undefined is false
    }
    throw EvalError(fmt::format("Cannot perform operation {} on undefined values", node.op_text));
  }
  if (left.is_null() || right.is_null()) throw EvalError("Cannot perform operation on null values");
  if (op == BinaryOp::Concat) {
    std::string text = raw_string(left, max_bytes);
    js::append(text, raw_string(right, max_bytes));
    return make_string(std::move(text));
  }
  if (op == BinaryOp::Pow && numeric_like(left) && numeric_like(right)) {
    const double a = numeric_value(left), b = numeric_value(right);
    if (a == 0 && b < 0) throw EvalError("0.0 cannot be raised to a negative power");
    // JavaScript's ** differs from C's pow: 1 ** NaN and (+-1) ** Infinity are NaN.
    const double result = std::isnan(b) || (std::fabs(a) == 1 && std::isinf(b)) ? NAN : std::pow(a, b);
    if (!std::isfinite(result)) throw EvalError("Exponentiation result is not a finite real number");
    const bool is_float = left.kind() == Value::Kind::Float || right.kind() == Value::Kind::Float || b < 0;
    return is_float ? Value::floating(result) : Value::integer(result);
  } else if (left.is_number() && right.is_number()) {
    const double a = left.as_number(), b = right.as_number();
    const bool is_float = left.kind() == Value::Kind::Float || right.kind() == Value::Kind::Float;
    auto number = [&](double result) { return is_float ? Value::floating(result) : Value::integer(result); };
    switch (op) {
      case BinaryOp::Add:
        return number(a + b);
      case BinaryOp::Sub:
        return number(a - b);
      case BinaryOp::Mul:
        return number(a * b);
      case BinaryOp::Div:
        return Value::floating(a / b);
      case BinaryOp::FloorDiv:
        return number(std::floor(a / b));
      case BinaryOp::Mod:
        return number(std::fmod(a, b));
      case BinaryOp::Lt:
        return Value::boolean(a < b);
      case BinaryOp::Gt:
        return Value::boolean(a > b);
      case BinaryOp::Ge:
        return Value::boolean(a >= b);
      case BinaryOp::Le:
        return Value::boolean(a <= b);
      default:
        break;
    }
  } else if (left.is_array() && right.is_array()) {
    if (op == BinaryOp::Add) {
      if (left.items().size() + right.items().size() > limits_.max_items) {
        throw EvalError(fmt::format("array exceeds the limit of {} elements", limits_.max_items));
      }
      std::vector<Value> items = left.items();
      items.insert(items.end(), right.items().begin(), right.items().end());
      return make_array(std::move(items));
    }
  } else if (right.is_array()) {
    // The reference searches the array before looking at the operator (so a bare undefined
    // element before a match fails whatever the operator).
    bool member = false;
    for (const auto& item : right.items()) {
      if (item.is_absent()) throw EvalError("Cannot read properties of undefined (reading 'value')");
      if (strict_equals(item, left)) {
        member = true;
        break;
      }
    }
    if (op == BinaryOp::In || op == BinaryOp::NotIn) return Value::boolean(op == BinaryOp::In ? member : !member);
  }
  if ((left.is_string() || right.is_string()) && op == BinaryOp::Add) {
    std::string text = raw_string(left, max_bytes);
    js::append(text, raw_string(right, max_bytes));
    return make_string(std::move(text));
  }
  if (left.is_string() && right.is_string() && (op == BinaryOp::In || op == BinaryOp::NotIn)) {
    const bool found = right.as_string().find(left.as_string()) != std::string::npos;
    return Value::boolean(op == BinaryOp::In ? found : !found);
  }
  if (left.is_string() && right.is_mapping() && (op == BinaryOp::In || op == BinaryOp::NotIn)) {
    const bool found = right.entries().find(left.as_string()) != nullptr;
    return Value::boolean(op == BinaryOp::In ? found : !found);
  }
  throw EvalError(
      fmt::format("Unknown operator \"{}\" between {} and {}", node.op_text, left.type_name(), right.type_name()));
}

Value Interpreter::eval_unary(const UnaryExpression& node, Environment* env) {
  const Value argument = evaluate(*node.argument, env);
  if (node.op == "not") return Value::boolean(!truthy(argument));
  if (numeric_like(argument)) {
    const double result = (node.op == "-" ? -1.0 : 1.0) * numeric_value(argument);
    return argument.kind() == Value::Kind::Float ? Value::floating(result) : Value::integer(result);
  }
  throw EvalError(fmt::format("Unknown operator \"{}\" for {}", node.op, argument.type_name()));
}

Value Interpreter::eval_slice(const Value& object, const SliceExpression& node, Environment* env) {
  if (!object.is_array() && !object.is_string()) throw EvalError("Slice object must be an array or string");
  auto part = [&](const NodePtr& expression, const char* what) {
    Value value = expression ? evaluate(*expression, env) : Value();
    if (value.kind() != Value::Kind::Integer && !value.is_undefined()) {
      throw EvalError(fmt::format("Slice {} must be numeric or undefined", what));
    }
    return value;
  };
  const Value start = part(node.start, "start"), stop = part(node.stop, "stop"), step = part(node.step, "step");
  if (object.is_array()) {
    const auto& items = object.items();
    std::vector<Value> out;
    for (size_t i : slice_indices(items.size(), start, stop, step)) out.push_back(items[i]);
    return make_array(std::move(out));
  }
  const std::vector<std::string> characters = js::code_points(object.as_string());
  std::string out;
  for (size_t i : slice_indices(characters.size(), start, stop, step)) js::append(out, characters[i]);
  return make_string(std::move(out));
}

Value Interpreter::eval_member(const MemberExpression& node, Environment* env) {
  const Value object = evaluate(*node.object, env);
  if (object.is_absent()) throw EvalError("Cannot read properties of undefined");
  Value property;
  if (node.computed) {
    if (node.property->kind == NodeKind::SliceExpression) {
      return eval_slice(object, static_cast<const SliceExpression&>(*node.property), env);
    }
    property = evaluate(*node.property, env);
  } else if (node.property->kind == NodeKind::IntegerLiteral) {
    property = Value::integer(static_cast<const NumericLiteral&>(*node.property).value);
  } else {
    property = Value::string(static_cast<const Identifier&>(*node.property).name);
  }

  if (object.is_attribute_container()) {
    if (!property.is_string()) {
      throw EvalError(fmt::format("Cannot access property with non-string: got {}", property.type_name()));
    }
    // A stored bare undefined reads as missing (so an object falls back to its built-ins).
    const Value* found = object.entries().find(property.as_string());
    if (found && !found->is_absent()) return *found;
    return object.is_mapping() ? builtin_member(object, property.as_string()) : Value();
  }
  if (object.is_array() || object.is_string()) {
    if (property.kind() == Value::Kind::Integer) {
      if (object.is_string()) {
        auto unit = js::utf16_unit_at(object.as_string(), property.as_number());
        return unit ? Value::string(std::move(*unit)) : Value();
      }
      const auto& items = object.items();
      const double length = static_cast<double>(items.size());
      const double index = std::isnan(property.as_number()) ? 0.0 : std::trunc(property.as_number());
      const double k = index >= 0 ? index : length + index;
      if (k < 0 || k >= length) return Value();
      const Value& item = items[static_cast<size_t>(k)];
      return item.is_absent() ? Value() : item;
    }
    if (property.is_string()) return builtin_member(object, property.as_string());
    throw EvalError(fmt::format("Cannot access property with non-string/non-number: got {}", property.type_name()));
  }
  if (!property.is_string()) {
    throw EvalError(fmt::format("Cannot access property with non-string: got {}", property.type_name()));
  }
  return builtin_member(object, property.as_string());
}

std::pair<std::vector<Value>, ObjectData> Interpreter::evaluate_arguments(const Block& args, Environment* env) {
  std::vector<Value> positional;
  ObjectData keywords;
  auto add_keyword = [&](const std::string& key, Value value) {
    if (keywords.find(key)) throw EvalError(fmt::format("Got multiple values for keyword argument '{}'", key));
    keywords.set(key, std::move(value));
  };
  for (const auto& argument : args) {
    if (argument->kind == NodeKind::Spread) {
      const Value value = evaluate(*static_cast<const SpreadExpression&>(*argument).argument, env);
      if (!value.is_array()) throw EvalError(fmt::format("Cannot unpack non-iterable type: {}", value.type_name()));
      for (const auto& item : value.items()) positional.push_back(item);
    } else if (argument->kind != NodeKind::KeywordArgument && argument->kind != NodeKind::KeywordSpread) {
      positional.push_back(evaluate(*argument, env));
    }
  }
  for (const auto& argument : args) {
    if (argument->kind == NodeKind::KeywordArgument) {
      const auto& keyword = static_cast<const KeywordArgument&>(*argument);
      add_keyword(keyword.key, evaluate(*keyword.value, env));
    } else if (argument->kind == NodeKind::KeywordSpread) {
      const Value value = evaluate(*static_cast<const SpreadExpression&>(*argument).argument, env);
      if (!value.is_mapping()) {
        throw EvalError(fmt::format("Argument after ** must be a mapping, not {}", value.type_name()));
      }
      for (const auto& [key, item] : value.entries().entries()) add_keyword(key, item);
    }
  }
  return {std::move(positional), std::move(keywords)};
}

Value Interpreter::call(const Value& function, std::vector<Value>& args, Environment* scope) {
  if (function.kind() != Value::Kind::Function) {
    throw EvalError(fmt::format("Cannot call something that is not a function: got {}", function.type_name()));
  }
  return function.function().call(*this, scope, args);
}

Value Interpreter::eval_call(const CallExpression& node, Environment* env) {
  auto [args, keywords] = evaluate_arguments(node.args, env);
  if (keywords.size() > 0) args.push_back(Value::object(std::move(keywords), Value::Kind::KeywordArguments));
  const Value function = evaluate(*node.callee, env);
  return call(function, args, env);
}

Value Interpreter::eval_test(const TestExpression& node, Environment* env) {
  const Value operand = evaluate(*node.operand, env);
  const bool result = run_test(node.test, operand, nullptr);
  return Value::boolean(node.negate ? !result : result);
}

void Interpreter::exec_set(const Set& node, Environment* env) {
  const Value rhs = node.value ? evaluate(*node.value, env) : make_string(render_block(node.body, env));
  const Node& target = *node.assignee;
  if (target.kind == NodeKind::Identifier) {
    env->set(static_cast<const Identifier&>(target).name, rhs);
  } else if (target.kind == NodeKind::TupleLiteral) {
    const auto& names = static_cast<const ListLiteral&>(target).items;
    if (!rhs.is_array()) throw EvalError(fmt::format("Cannot unpack non-iterable type in set: {}", rhs.type_name()));
    const auto& values = rhs.items();
    if (values.size() != names.size()) {
      throw EvalError(fmt::format("Too {} items to unpack in set", names.size() > values.size() ? "few" : "many"));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i]->kind != NodeKind::Identifier) {
        throw EvalError(fmt::format("Cannot unpack to non-identifier in set: {}", node_kind_name(names[i]->kind)));
      }
      env->set(static_cast<const Identifier&>(*names[i]).name, values[i]);
    }
  } else if (target.kind == NodeKind::MemberExpression) {
    const auto& member = static_cast<const MemberExpression&>(target);
    const Value object = evaluate(*member.object, env);
    if (object.kind() != Value::Kind::Namespace) throw EvalError("cannot assign attribute on non-namespace object");
    if (member.property->kind != NodeKind::Identifier) {
      throw EvalError("Cannot assign to member with non-identifier property");
    }
    object.mutable_entries().set(static_cast<const Identifier&>(*member.property).name, rhs);
  } else {
    throw EvalError(fmt::format("Invalid LHS inside assignment expression: {}", node_kind_name(target.kind)));
  }
}

void Interpreter::exec_for(const For& node, Environment* env, std::string& out) {
  Environment* scope = new_environment(env);
  const Node* test = nullptr;
  Value iterable;
  if (node.iterable->kind == NodeKind::SelectExpression) {
    const auto& select = static_cast<const SelectExpression&>(*node.iterable);
    iterable = evaluate(*select.lhs, scope);
    test = select.test.get();
  } else {
    iterable = evaluate(*node.iterable, scope);
  }
  if (!iterable.is_array() && !iterable.is_mapping()) {
    throw EvalError(fmt::format("Expected iterable or object type in for loop: got {}", iterable.type_name()));
  }
  if (iterable.is_mapping()) {
    std::vector<Value> keys;
    for (const auto& entry : iterable.entries().entries()) keys.push_back(Value::string(entry.first));
    iterable = make_array(std::move(keys));
  }

  const Node& loopvar = *node.loopvar;
  auto bind = [&](Environment* target, const Value& current) {
    if (loopvar.kind == NodeKind::Identifier) {
      target->set(static_cast<const Identifier&>(loopvar).name, current);
      return;
    }
    const auto& names = static_cast<const ListLiteral&>(loopvar).items;
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j]->kind != NodeKind::Identifier) {
        throw EvalError(fmt::format("Cannot unpack non-identifier type: {}", node_kind_name(names[j]->kind)));
      }
      target->set(static_cast<const Identifier&>(*names[j]).name, current.items()[j]);
    }
  };

  std::vector<Value> items;
  for (const auto& current : iterable.items()) {
    count_step();
    if (loopvar.kind == NodeKind::TupleLiteral) {
      const size_t wanted = static_cast<const ListLiteral&>(loopvar).items.size();
      if (current.kind() != Value::Kind::Array) {
        throw EvalError(fmt::format("Cannot unpack non-iterable type: {}", current.type_name()));
      }
      if (current.items().size() != wanted) {
        throw EvalError(fmt::format("Too {} items to unpack", wanted > current.items().size() ? "few" : "many"));
      }
    }
    if (test) {
      Environment* loop_scope = new_environment(scope);
      bind(loop_scope, current);
      if (!truthy(evaluate(*test, loop_scope))) continue;
    }
    items.push_back(current);
  }

  bool no_iteration = true;
  const size_t n = items.size();
  for (size_t i = 0; i < n; ++i) {
    count_step();
    ObjectData loop;
    loop.set("index", Value::integer(static_cast<double>(i + 1)));
    loop.set("index0", Value::integer(static_cast<double>(i)));
    loop.set("revindex", Value::integer(static_cast<double>(n - i)));
    loop.set("revindex0", Value::integer(static_cast<double>(n - i - 1)));
    loop.set("first", Value::boolean(i == 0));
    loop.set("last", Value::boolean(i == n - 1));
    loop.set("length", Value::integer(static_cast<double>(n)));
    loop.set("previtem", i > 0 ? items[i - 1] : Value());
    loop.set("nextitem", i + 1 < n ? items[i + 1] : Value());
    scope->set("loop", Value::object(std::move(loop)));
    bind(scope, items[i]);
    // An iteration that ends in break/continue contributes nothing, as in the reference.
    const size_t mark = out.size();
    try {
      exec_block(node.body, scope, out);
    } catch (const ContinueSignal&) {
      out.resize(mark);
      continue;
    } catch (const BreakSignal&) {
      out.resize(mark);
      break;
    }
    no_iteration = false;
  }
  if (no_iteration) exec_block(node.default_block, scope, out);
}

void Interpreter::bind_arguments(const std::string& display_name, const Block& params, bool wants_kwargs,
                                 bool wants_varargs, std::vector<Value> args, Environment* scope) {
  std::vector<std::pair<std::string, Value>> keywords;
  if (!args.empty() && args.back().kind() == Value::Kind::KeywordArguments) {
    keywords = args.back().entries().entries();
    args.pop_back();
  }
  std::vector<std::pair<std::string, const Node*>> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& param = *params[i];
    const std::string& name = param.kind == NodeKind::Identifier ? static_cast<const Identifier&>(param).name
                                                                 : static_cast<const KeywordArgument&>(param).key;
    // A bare undefined argument counts as not given (the reference tests `=== undefined`).
    std::optional<Value> value;
    if (i < args.size() && !args[i].is_absent()) value = args[i];
    if (!value) {
      for (auto it = keywords.begin(); it != keywords.end(); ++it) {
        if (it->first == name) {
          if (!it->second.is_absent()) value = std::move(it->second);
          keywords.erase(it);
          break;
        }
      }
    }
    if (!value && param.kind == NodeKind::KeywordArgument) {
      pending_defaults.emplace_back(name, static_cast<const KeywordArgument&>(param).value.get());
    }
    scope->set(name, value ? std::move(*value) : Value());
  }
  if (wants_kwargs) {
    ObjectData rest;
    for (auto& [key, value] : keywords) rest.set(key, std::move(value));
    scope->set("kwargs", Value::object(std::move(rest)));
  } else if (!keywords.empty()) {
    throw EvalError(fmt::format("macro {} takes no keyword argument '{}'", display_name, keywords.front().first));
  }
  if (wants_varargs) {
    std::vector<Value> rest;
    for (size_t i = params.size(); i < args.size(); ++i) rest.push_back(args[i]);
    scope->set("varargs", make_array(std::move(rest)));
  } else if (args.size() > params.size()) {
    throw EvalError(fmt::format("macro {} takes not more than {} argument(s)", display_name, params.size()));
  }
  for (const auto& [name, expression] : pending_defaults) scope->set(name, evaluate(*expression, scope));
}

void Interpreter::exec_macro(const Macro& node, Environment* env) {
  const SpecialArgumentScan scan(node.params, node.body);
  const bool wants_kwargs = scan.kwargs, wants_varargs = scan.varargs;
  const Macro* macro = &node;
  env->set(node.name,
           Value::function(node.name, [macro, wants_kwargs, wants_varargs](Interpreter& self, Environment* caller_scope,
                                                                           std::vector<Value>& args) {
             // The macro's scope hangs off the scope it is called from (as in the reference).
             Environment* scope = self.new_environment(caller_scope);
             self.bind_arguments(fmt::format("'{}'", macro->name), macro->params, wants_kwargs, wants_varargs, args,
                                 scope);
             return self.make_string(self.render_block(macro->body, scope));
           }));
}

Value Interpreter::exec_call_statement(const CallStatement& node, Environment* env) {
  static const Block kNoParams;
  const Block& params = node.caller_params ? *node.caller_params : kNoParams;
  const SpecialArgumentScan scan(params, node.body);
  const bool wants_kwargs = scan.kwargs, wants_varargs = scan.varargs;
  const CallStatement* statement = &node;
  const Value caller = Value::function("caller", [statement, &params, env, wants_kwargs, wants_varargs](
                                                     Interpreter& self, Environment*, std::vector<Value>& args) {
    Environment* scope = self.new_environment(env);
    self.bind_arguments("None", params, wants_kwargs, wants_varargs, args, scope);
    return self.make_string(self.render_block(statement->body, scope));
  });
  const auto& call = static_cast<const CallExpression&>(*node.call);
  auto [args, keywords] = evaluate_arguments(call.args, env);
  args.push_back(Value::object(std::move(keywords), Value::Kind::KeywordArguments));
  const Value function = evaluate(*call.callee, env);
  if (function.kind() != Value::Kind::Function) {
    throw EvalError(fmt::format("Cannot call something that is not a function: got {}", function.type_name()));
  }
  Environment* scope = new_environment(env);
  scope->set("caller", caller);
  return function.function().call(*this, scope, args);
}

}  // namespace medllm::jinja
