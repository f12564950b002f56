#pragma once
// What templates get without defining it: global functions and constants, the `is` tests, the
// methods of strings/arrays/objects, and the `|` filters — each as @huggingface/jinja has it
// (including what it rejects: an unknown filter or test is an error, as there).

#include <ctime>
#include <string>
#include <string_view>

#include "templating/jinja/ast.hpp"
#include "templating/jinja/value.hpp"

namespace medllm::jinja {

class Interpreter;
class Environment;

// The names every template sees in its global scope: true/false/none (and True/False/None),
// raise_exception, range, strftime_now. `namespace` is separate: every scope has its own.
std::vector<std::pair<std::string, Value>> global_values();
Value namespace_function();

// The `is` tests (defined, none, string, mapping, iterable, ...). second is the test's
// argument where one exists (selectattr's value). Throws EvalError for an unknown test.
bool run_test(const std::string& name, const Value& operand, const Value* second);
bool is_known_test(const std::string& name);

// obj.name for built-ins: string methods (strip, split, startswith, ...) and length, array
// length, object get/items/keys/values/dictsort. Undefined when there is none.
Value builtin_member(const Value& object, const std::string& name);

// operand | filter, where filter is an Identifier or a CallExpression node.
Value apply_filter(Interpreter& interpreter, const Value& operand, const Node& filter, Environment* env);

// Python's strftime for the directives @huggingface/jinja knows (%Y %m %d %b %B %H %M %%);
// others are left as written. Month names in English.
std::string strftime_subset(const std::tm& time, std::string_view format);

}  // namespace medllm::jinja
