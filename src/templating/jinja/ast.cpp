#include "templating/jinja/ast.hpp"

namespace medllm::jinja {

const char* node_kind_name(NodeKind kind) {
  switch (kind) {
    case NodeKind::Program:
      return "Program";
    case NodeKind::If:
      return "If";
    case NodeKind::For:
      return "For";
    case NodeKind::Break:
      return "Break";
    case NodeKind::Continue:
      return "Continue";
    case NodeKind::Set:
      return "Set";
    case NodeKind::Macro:
      return "Macro";
    case NodeKind::Comment:
      return "Comment";
    case NodeKind::CallStatement:
      return "CallStatement";
    case NodeKind::FilterStatement:
      return "FilterStatement";
    case NodeKind::MemberExpression:
      return "MemberExpression";
    case NodeKind::CallExpression:
      return "CallExpression";
    case NodeKind::Identifier:
      return "Identifier";
    case NodeKind::IntegerLiteral:
      return "IntegerLiteral";
    case NodeKind::FloatLiteral:
      return "FloatLiteral";
    case NodeKind::StringLiteral:
      return "StringLiteral";
    case NodeKind::ArrayLiteral:
      return "ArrayLiteral";
    case NodeKind::TupleLiteral:
      return "TupleLiteral";
    case NodeKind::ObjectLiteral:
      return "ObjectLiteral";
    case NodeKind::BinaryExpression:
      return "BinaryExpression";
    case NodeKind::FilterExpression:
      return "FilterExpression";
    case NodeKind::SelectExpression:
      return "SelectExpression";
    case NodeKind::TestExpression:
      return "TestExpression";
    case NodeKind::UnaryExpression:
      return "UnaryExpression";
    case NodeKind::SliceExpression:
      return "SliceExpression";
    case NodeKind::KeywordArgument:
      return "KeywordArgumentExpression";
    case NodeKind::Spread:
      return "SpreadExpression";
    case NodeKind::KeywordSpread:
      return "KeywordSpreadExpression";
    case NodeKind::Ternary:
      return "Ternary";
  }
  return "?";
}

void for_each_child(const Node& node, const std::function<void(const Node&)>& fn) {
  auto one = [&](const NodePtr& child) {
    if (child) fn(*child);
  };
  auto all = [&](const Block& block) {
    for (const auto& child : block) one(child);
  };
  switch (node.kind) {
    case NodeKind::Program:
      all(static_cast<const Program&>(node).body);
      break;
    case NodeKind::If: {
      const auto& n = static_cast<const If&>(node);
      one(n.test), all(n.body), all(n.alternate);
      break;
    }
    case NodeKind::For: {
      const auto& n = static_cast<const For&>(node);
      one(n.loopvar), one(n.iterable), all(n.body), all(n.default_block);
      break;
    }
    case NodeKind::Set: {
      const auto& n = static_cast<const Set&>(node);
      one(n.assignee), one(n.value), all(n.body);
      break;
    }
    case NodeKind::Macro: {
      const auto& n = static_cast<const Macro&>(node);
      all(n.params), all(n.body);
      break;
    }
    case NodeKind::CallStatement: {
      const auto& n = static_cast<const CallStatement&>(node);
      one(n.call);
      if (n.caller_params) all(*n.caller_params);
      all(n.body);
      break;
    }
    case NodeKind::FilterStatement: {
      const auto& n = static_cast<const FilterStatement&>(node);
      one(n.filter), all(n.body);
      break;
    }
    case NodeKind::MemberExpression: {
      const auto& n = static_cast<const MemberExpression&>(node);
      one(n.object), one(n.property);
      break;
    }
    case NodeKind::CallExpression: {
      const auto& n = static_cast<const CallExpression&>(node);
      one(n.callee), all(n.args);
      break;
    }
    case NodeKind::ArrayLiteral:
    case NodeKind::TupleLiteral:
      all(static_cast<const ListLiteral&>(node).items);
      break;
    case NodeKind::ObjectLiteral:
      for (const auto& [key, value] : static_cast<const ObjectLiteral&>(node).entries) one(key), one(value);
      break;
    case NodeKind::BinaryExpression: {
      const auto& n = static_cast<const BinaryExpression&>(node);
      one(n.left), one(n.right);
      break;
    }
    case NodeKind::FilterExpression: {
      const auto& n = static_cast<const FilterExpression&>(node);
      one(n.operand), one(n.filter);
      break;
    }
    case NodeKind::SelectExpression: {
      const auto& n = static_cast<const SelectExpression&>(node);
      one(n.lhs), one(n.test);
      break;
    }
    case NodeKind::TestExpression:
      one(static_cast<const TestExpression&>(node).operand);
      break;
    case NodeKind::UnaryExpression:
      one(static_cast<const UnaryExpression&>(node).argument);
      break;
    case NodeKind::SliceExpression: {
      const auto& n = static_cast<const SliceExpression&>(node);
      one(n.start), one(n.stop), one(n.step);
      break;
    }
    case NodeKind::KeywordArgument:
      one(static_cast<const KeywordArgument&>(node).value);
      break;
    case NodeKind::Spread:
    case NodeKind::KeywordSpread:
      one(static_cast<const SpreadExpression&>(node).argument);
      break;
    case NodeKind::Ternary: {
      const auto& n = static_cast<const Ternary&>(node);
      one(n.condition), one(n.true_expr), one(n.false_expr);
      break;
    }
    case NodeKind::Break:
    case NodeKind::Continue:
    case NodeKind::Comment:
    case NodeKind::Identifier:
    case NodeKind::IntegerLiteral:
    case NodeKind::FloatLiteral:
    case NodeKind::StringLiteral:
      break;
  }
}

}  // namespace medllm::jinja
