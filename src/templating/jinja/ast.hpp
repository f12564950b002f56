#pragma once
// The syntax tree of a template: the node kinds of @huggingface/jinja's ast.ts, one struct each.
// Text between tags is a StringLiteral statement, as in the reference.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace medllm::jinja {

enum class NodeKind : uint8_t {
  Program,
  If,
  For,
  Break,
  Continue,
  Set,
  Macro,
  Comment,
  CallStatement,
  FilterStatement,
  MemberExpression,
  CallExpression,
  Identifier,
  IntegerLiteral,
  FloatLiteral,
  StringLiteral,
  ArrayLiteral,
  TupleLiteral,
  ObjectLiteral,
  BinaryExpression,
  FilterExpression,
  SelectExpression,
  TestExpression,
  UnaryExpression,
  SliceExpression,
  KeywordArgument,
  Spread,
  KeywordSpread,
  Ternary,
};

const char* node_kind_name(NodeKind kind);

struct Node {
  Node(NodeKind k, size_t at) : kind(k), offset(at) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const NodeKind kind;
  const size_t offset;  // byte offset in the template source (for error messages)
  uint32_t depth = 1;   // height of the subtree, bounded by the parser
};

using NodePtr = std::unique_ptr<Node>;
using Block = std::vector<NodePtr>;

struct Program : Node {
  explicit Program(size_t at) : Node(NodeKind::Program, at) {}
  Block body;
};

struct If : Node {
  explicit If(size_t at) : Node(NodeKind::If, at) {}
  NodePtr test;
  Block body, alternate;
};

struct For : Node {
  explicit For(size_t at) : Node(NodeKind::For, at) {}
  NodePtr loopvar;   // Identifier or TupleLiteral
  NodePtr iterable;  // may be a SelectExpression (`for x in xs if cond`)
  Block body, default_block;
};

struct Set : Node {
  explicit Set(size_t at) : Node(NodeKind::Set, at) {}
  NodePtr assignee;
  NodePtr value;  // null for the block form {% set x %}...{% endset %}
  Block body;
};

struct Macro : Node {
  explicit Macro(size_t at) : Node(NodeKind::Macro, at) {}
  std::string name;
  Block params;  // Identifier or KeywordArgument (name=default)
  Block body;
};

struct CallStatement : Node {
  explicit CallStatement(size_t at) : Node(NodeKind::CallStatement, at) {}
  NodePtr call;  // CallExpression
  std::optional<Block> caller_params;
  Block body;
};

struct FilterStatement : Node {
  explicit FilterStatement(size_t at) : Node(NodeKind::FilterStatement, at) {}
  NodePtr filter;  // Identifier or CallExpression
  Block body;
};

struct MemberExpression : Node {
  explicit MemberExpression(size_t at) : Node(NodeKind::MemberExpression, at) {}
  NodePtr object, property;
  bool computed = false;  // obj[expr] rather than obj.name
};

struct CallExpression : Node {
  explicit CallExpression(size_t at) : Node(NodeKind::CallExpression, at) {}
  NodePtr callee;
  Block args;
};

struct Identifier : Node {
  Identifier(size_t at, std::string n) : Node(NodeKind::Identifier, at), name(std::move(n)) {}
  std::string name;
};

struct NumericLiteral : Node {
  NumericLiteral(NodeKind k, size_t at, double v) : Node(k, at), value(v) {}
  double value;  // IntegerLiteral or FloatLiteral (numbers are JavaScript doubles)
};

struct StringLiteral : Node {
  StringLiteral(size_t at, std::string v) : Node(NodeKind::StringLiteral, at), value(std::move(v)) {}
  std::string value;
};

struct ListLiteral : Node {  // ArrayLiteral or TupleLiteral
  ListLiteral(NodeKind k, size_t at) : Node(k, at) {}
  Block items;
};

struct ObjectLiteral : Node {
  explicit ObjectLiteral(size_t at) : Node(NodeKind::ObjectLiteral, at) {}
  std::vector<std::pair<NodePtr, NodePtr>> entries;
};

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Concat,
  Mul,
  Div,
  FloorDiv,
  Mod,
  Pow,
  Eq,
  Ne,
  Lt,
  Gt,
  Le,
  Ge,
  And,
  Or,
  In,
  NotIn
};

struct BinaryExpression : Node {
  BinaryExpression(size_t at, BinaryOp o, std::string text)
      : Node(NodeKind::BinaryExpression, at), op(o), op_text(std::move(text)) {}
  BinaryOp op;
  std::string op_text;
  NodePtr left, right;
};

struct FilterExpression : Node {
  explicit FilterExpression(size_t at) : Node(NodeKind::FilterExpression, at) {}
  NodePtr operand;
  NodePtr filter;  // Identifier or CallExpression (anything else fails when evaluated)
};

struct SelectExpression : Node {
  explicit SelectExpression(size_t at) : Node(NodeKind::SelectExpression, at) {}
  NodePtr lhs, test;
};

struct TestExpression : Node {
  explicit TestExpression(size_t at) : Node(NodeKind::TestExpression, at) {}
  NodePtr operand;
  bool negate = false;
  std::string test;
};

struct UnaryExpression : Node {
  UnaryExpression(size_t at, std::string o) : Node(NodeKind::UnaryExpression, at), op(std::move(o)) {}
  std::string op;  // "not", "-", "+"
  NodePtr argument;
};

struct SliceExpression : Node {
  explicit SliceExpression(size_t at) : Node(NodeKind::SliceExpression, at) {}
  NodePtr start, stop, step;  // each may be null
};

struct KeywordArgument : Node {
  explicit KeywordArgument(size_t at) : Node(NodeKind::KeywordArgument, at) {}
  std::string key;
  NodePtr value;
};

struct SpreadExpression : Node {  // Spread (*x) or KeywordSpread (**x)
  SpreadExpression(NodeKind k, size_t at) : Node(k, at) {}
  NodePtr argument;
};

struct Ternary : Node {
  explicit Ternary(size_t at) : Node(NodeKind::Ternary, at) {}
  NodePtr condition, true_expr, false_expr;
};

struct Comment : Node {
  explicit Comment(size_t at) : Node(NodeKind::Comment, at) {}
};

struct SimpleStatement : Node {  // Break, Continue
  SimpleStatement(NodeKind k, size_t at) : Node(k, at) {}
};

// Calls fn on each direct child in the order of the reference's node fields (the order in which
// its interpreter and Jinja's compiler visit them).
void for_each_child(const Node& node, const std::function<void(const Node&)>& fn);

}  // namespace medllm::jinja
