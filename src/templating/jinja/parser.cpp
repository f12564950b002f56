#include "templating/jinja/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>

#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

namespace {

class Parser {
 public:
  Parser(const SourceText& source, const std::vector<Token>& tokens, uint32_t max_nesting)
      : source_(source), tokens_(tokens), max_nesting_(max_nesting) {}

  std::unique_ptr<Program> run() {
    auto program = std::make_unique<Program>(0);
    while (current_ < tokens_.size()) program->body.push_back(parse_any());
    seal(*program);
    return program;
  }

 private:
  // Bounds the parser's own recursion (and so the stack it uses) on deeply nested input.
  class Nesting {
   public:
    explicit Nesting(Parser& parser) : parser_(parser) {
      if (++parser_.recursion_ > parser_.max_nesting_) {
        parser_.error(parser_.position(), fmt::format("template nests deeper than {} levels", parser_.max_nesting_));
      }
    }
    ~Nesting() { --parser_.recursion_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& parser_;
  };

  [[noreturn]] void error(size_t offset, std::string_view message) const { syntax_error(source_, offset, message); }

  // Offset of the current token, or the end of the source.
  size_t position() const { return current_ < tokens_.size() ? tokens_[current_].offset : source_.text().size(); }

  const Token& peek() const {
    if (current_ >= tokens_.size()) error(position(), "unexpected end of template");
    return tokens_[current_];
  }

  const Token& take() {
    const Token& token = peek();
    ++current_;
    return token;
  }

  const Token& expect(TokenType type, std::string_view message) {
    if (current_ >= tokens_.size()) error(position(), fmt::format("unexpected end of template: {}", message));
    const Token& token = tokens_[current_++];
    if (token.type != type) {
      error(token.offset, fmt::format("{}, got {} '{}'", message, token_type_name(token.type), token.value));
    }
    return token;
  }

  void expect_identifier(std::string_view name) {
    if (!is_identifier({name})) error(position(), fmt::format("expected '{}'", name));
    ++current_;
  }

  bool is(TokenType type) const { return current_ < tokens_.size() && tokens_[current_].type == type; }

  bool is_identifier(std::initializer_list<std::string_view> names) const {
    if (current_ + names.size() > tokens_.size()) return false;
    size_t i = current_;
    for (std::string_view name : names) {
      if (tokens_[i].type != TokenType::Identifier || tokens_[i].value != name) return false;
      ++i;
    }
    return true;
  }

  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (current_ + 1 >= tokens_.size()) return false;
    if (tokens_[current_].type != TokenType::OpenStatement || tokens_[current_ + 1].type != TokenType::Identifier) {
      return false;
    }
    return std::find(names.begin(), names.end(), tokens_[current_ + 1].value) != names.end();
  }

  // Records the subtree height and enforces the nesting limit.
  template <typename T>
  std::unique_ptr<T> seal(std::unique_ptr<T> node) {
    seal(*node);
    return node;
  }
  void seal(Node& node) {
    uint32_t deepest = 0;
    for_each_child(node, [&](const Node& child) { deepest = std::max(deepest, child.depth); });
    node.depth = deepest + 1;
    if (node.depth > max_nesting_) {
      error(node.offset, fmt::format("template nests deeper than {} levels", max_nesting_));
    }
  }

  // Parses statements until one of the given closing statements ({% endif %}, ...) comes next.
  Block parse_until(std::initializer_list<std::string_view> names, std::string_view what) {
    Block block;
    while (!is_statement(names)) {
      if (current_ >= tokens_.size()) error(position(), fmt::format("unexpected end of template: missing {}", what));
      block.push_back(parse_any());
    }
    return block;
  }

  void expect_end(std::string_view name) {
    expect(TokenType::OpenStatement, fmt::format("expected {{% {} %}}", name));
    expect_identifier(name);
    expect(TokenType::CloseStatement, "expected '%}'");
  }

  NodePtr parse_any() {
    Nesting nesting(*this);
    const Token& token = peek();
    switch (token.type) {
      case TokenType::Comment:
        ++current_;
        return std::make_unique<Comment>(token.offset);
      case TokenType::Text:
        ++current_;
        return std::make_unique<StringLiteral>(token.offset, token.value);
      case TokenType::OpenStatement:
        return parse_statement();
      case TokenType::OpenExpression: {
        ++current_;
        NodePtr result = parse_expression();
        expect(TokenType::CloseExpression, "expected '}}'");
        return result;
      }
      default:
        error(token.offset, fmt::format("unexpected token {} '{}'", token_type_name(token.type), token.value));
    }
  }

  NodePtr parse_statement() {
    const size_t start = take().offset;  // {%
    const Token& keyword = peek();
    if (keyword.type != TokenType::Identifier) {
      error(keyword.offset, fmt::format("unknown statement, got {}", token_type_name(keyword.type)));
    }
    const std::string name = keyword.value;
    ++current_;
    if (name == "set") return parse_set(start);
    if (name == "if") {
      NodePtr result = parse_if(start);
      expect_end("endif");
      return result;
    }
    if (name == "macro") return parse_macro(start);
    if (name == "for") return parse_for(start);
    if (name == "call") return parse_call_statement(start);
    if (name == "filter") return parse_filter_statement(start);
    if (name == "break" || name == "continue") {
      expect(TokenType::CloseStatement, "expected '%}'");
      return std::make_unique<SimpleStatement>(name == "break" ? NodeKind::Break : NodeKind::Continue, start);
    }
    error(keyword.offset, fmt::format("unknown statement type: {}", name));
  }

  NodePtr parse_set(size_t start) {
    auto node = std::make_unique<Set>(start);
    node->assignee = parse_expression_sequence(false);
    if (is(TokenType::Equals)) {
      ++current_;
      node->value = parse_expression_sequence(false);
    } else {
      expect(TokenType::CloseStatement, "expected '%}' or '='");
      node->body = parse_until({"endset"}, "{% endset %}");
      expect(TokenType::OpenStatement, "expected {% endset %}");
      expect_identifier("endset");
    }
    expect(TokenType::CloseStatement, "expected '%}'");
    return seal(std::move(node));
  }

  NodePtr parse_if(size_t start) {
    Nesting nesting(*this);
    auto node = std::make_unique<If>(start);
    node->test = parse_expression();
    expect(TokenType::CloseStatement, "expected '%}'");
    node->body = parse_until({"elif", "else", "endif"}, "{% endif %}");
    if (is_statement({"elif"})) {
      const size_t elif_start = tokens_[current_].offset;
      current_ += 2;
      node->alternate.push_back(parse_if(elif_start));
    } else if (is_statement({"else"})) {
      current_ += 2;
      expect(TokenType::CloseStatement, "expected '%}'");
      node->alternate = parse_until({"endif"}, "{% endif %}");
    }
    return seal(std::move(node));
  }

  NodePtr parse_macro(size_t start) {
    auto node = std::make_unique<Macro>(start);
    NodePtr name = parse_primary();
    if (name->kind != NodeKind::Identifier) error(name->offset, "expected identifier following macro statement");
    node->name = static_cast<Identifier&>(*name).name;
    node->params = parse_args(true);
    expect(TokenType::CloseStatement, "expected '%}'");
    node->body = parse_until({"endmacro"}, "{% endmacro %}");
    expect_end("endmacro");
    return seal(std::move(node));
  }

  NodePtr parse_for(size_t start) {
    auto node = std::make_unique<For>(start);
    node->loopvar = parse_expression_sequence(true);
    if (node->loopvar->kind != NodeKind::Identifier && node->loopvar->kind != NodeKind::TupleLiteral) {
      error(node->loopvar->offset, fmt::format("expected identifier/tuple for the loop variable, got {} instead",
                                               node_kind_name(node->loopvar->kind)));
    }
    if (!is_identifier({"in"})) error(position(), "expected `in` keyword following loop variable");
    ++current_;
    node->iterable = parse_expression();
    expect(TokenType::CloseStatement, "expected '%}'");
    node->body = parse_until({"endfor", "else"}, "{% endfor %}");
    if (is_statement({"else"})) {
      current_ += 2;
      expect(TokenType::CloseStatement, "expected '%}'");
      node->default_block = parse_until({"endfor"}, "{% endfor %}");
    }
    expect_end("endfor");
    return seal(std::move(node));
  }

  NodePtr parse_call_statement(size_t start) {
    auto node = std::make_unique<CallStatement>(start);
    if (is(TokenType::OpenParen)) node->caller_params = parse_args(true);
    NodePtr callee = parse_primary();
    if (callee->kind != NodeKind::Identifier) error(callee->offset, "expected identifier following call statement");
    auto call = std::make_unique<CallExpression>(callee->offset);
    call->callee = std::move(callee);
    call->args = parse_args(false);
    node->call = seal(std::move(call));
    expect(TokenType::CloseStatement, "expected '%}'");
    node->body = parse_until({"endcall"}, "{% endcall %}");
    expect_end("endcall");
    return seal(std::move(node));
  }

  NodePtr parse_filter_statement(size_t start) {
    auto node = std::make_unique<FilterStatement>(start);
    node->filter = parse_primary();
    if (node->filter->kind == NodeKind::Identifier && is(TokenType::OpenParen)) {
      node->filter = parse_call(std::move(node->filter));
    }
    expect(TokenType::CloseStatement, "expected '%}'");
    node->body = parse_until({"endfilter"}, "{% endfilter %}");
    expect_end("endfilter");
    return seal(std::move(node));
  }

  // One expression, or a tuple when commas follow: `a, b` (primary expressions only for loop targets).
  NodePtr parse_expression_sequence(bool primary) {
    const size_t start = position();
    NodePtr first = primary ? parse_primary() : parse_expression();
    if (!is(TokenType::Comma)) return first;
    auto tuple = std::make_unique<ListLiteral>(NodeKind::TupleLiteral, start);
    tuple->items.push_back(std::move(first));
    while (is(TokenType::Comma)) {
      ++current_;
      tuple->items.push_back(primary ? parse_primary() : parse_expression());
    }
    return seal(std::move(tuple));
  }

  NodePtr parse_expression() {
    Nesting nesting(*this);
    return parse_if_expression();
  }

  NodePtr parse_if_expression() {
    NodePtr a = parse_logical_or();
    if (!is_identifier({"if"})) return a;
    ++current_;
    NodePtr test = parse_logical_or();
    if (is_identifier({"else"})) {
      ++current_;
      auto node = std::make_unique<Ternary>(a->offset);
      node->condition = std::move(test);
      node->true_expr = std::move(a);
      node->false_expr = parse_expression();
      return seal(std::move(node));
    }
    auto node = std::make_unique<SelectExpression>(a->offset);
    node->lhs = std::move(a);
    node->test = std::move(test);
    return seal(std::move(node));
  }

  NodePtr binary(const Token& op_token, BinaryOp op, NodePtr left, NodePtr right) {
    auto node = std::make_unique<BinaryExpression>(op_token.offset, op, op_token.value);
    node->left = std::move(left);
    node->right = std::move(right);
    return seal(std::move(node));
  }

  NodePtr parse_logical_or() {
    NodePtr left = parse_logical_and();
    while (is_identifier({"or"})) {
      const Token& op = take();
      left = binary(op, BinaryOp::Or, std::move(left), parse_logical_and());
    }
    return left;
  }

  NodePtr parse_logical_and() {
    NodePtr left = parse_logical_not();
    while (is_identifier({"and"})) {
      const Token& op = take();
      left = binary(op, BinaryOp::And, std::move(left), parse_logical_not());
    }
    return left;
  }

  NodePtr parse_logical_not() {
    NodePtr result;
    while (is_identifier({"not"})) {
      Nesting nesting(*this);
      const Token& op = take();
      auto node = std::make_unique<UnaryExpression>(op.offset, "not");
      node->argument = parse_logical_not();
      result = seal(std::move(node));
    }
    return result ? std::move(result) : parse_comparison();
  }

  NodePtr parse_comparison() {
    NodePtr left = parse_additive();
    while (true) {
      if (is_identifier({"not", "in"})) {
        Token op{TokenType::Identifier, "not in", tokens_[current_].offset};
        current_ += 2;
        left = binary(op, BinaryOp::NotIn, std::move(left), parse_additive());
      } else if (is_identifier({"in"})) {
        const Token& op = take();
        left = binary(op, BinaryOp::In, std::move(left), parse_additive());
      } else if (is(TokenType::ComparisonBinaryOperator)) {
        const Token& op = take();
        const BinaryOp kind = op.value == "=="   ? BinaryOp::Eq
                              : op.value == "!=" ? BinaryOp::Ne
                              : op.value == "<"  ? BinaryOp::Lt
                              : op.value == ">"  ? BinaryOp::Gt
                              : op.value == "<=" ? BinaryOp::Le
                                                 : BinaryOp::Ge;
        left = binary(op, kind, std::move(left), parse_additive());
      } else {
        return left;
      }
    }
  }

  NodePtr parse_additive() {
    NodePtr left = parse_multiplicative();
    while (is(TokenType::AdditiveBinaryOperator)) {
      const Token& op = take();
      const BinaryOp kind = op.value == "+" ? BinaryOp::Add : op.value == "-" ? BinaryOp::Sub : BinaryOp::Concat;
      left = binary(op, kind, std::move(left), parse_multiplicative());
    }
    return left;
  }

  NodePtr parse_multiplicative() {
    NodePtr left = parse_power();
    while (is(TokenType::MultiplicativeBinaryOperator)) {
      const Token& op = take();
      const BinaryOp kind = op.value == "*"    ? BinaryOp::Mul
                            : op.value == "/"  ? BinaryOp::Div
                            : op.value == "//" ? BinaryOp::FloorDiv
                                               : BinaryOp::Mod;
      left = binary(op, kind, std::move(left), parse_power());
    }
    return left;
  }

  NodePtr parse_power() {
    NodePtr left = parse_test();
    while (is(TokenType::ExponentiationBinaryOperator)) {  // left-associative, as in Jinja
      const Token& op = take();
      left = binary(op, BinaryOp::Pow, std::move(left), parse_test());
    }
    return left;
  }

  NodePtr parse_test() {
    NodePtr operand = parse_filter();
    while (is_identifier({"is"})) {
      const size_t at = take().offset;
      const bool negate = is_identifier({"not"});
      if (negate) ++current_;
      NodePtr test = parse_primary();
      if (test->kind != NodeKind::Identifier) error(test->offset, "expected identifier for the test");
      auto node = std::make_unique<TestExpression>(at);
      node->operand = std::move(operand);
      node->negate = negate;
      node->test = static_cast<Identifier&>(*test).name;
      operand = seal(std::move(node));
    }
    return operand;
  }

  NodePtr parse_filter() {
    NodePtr operand = parse_unary_sign();
    while (is(TokenType::Pipe)) {
      const size_t at = take().offset;
      NodePtr filter = parse_primary();
      if (filter->kind != NodeKind::Identifier) error(filter->offset, "expected identifier for the filter");
      if (is(TokenType::OpenParen)) filter = parse_call(std::move(filter));
      auto node = std::make_unique<FilterExpression>(at);
      node->operand = std::move(operand);
      node->filter = std::move(filter);
      operand = seal(std::move(node));
    }
    return operand;
  }

  NodePtr parse_unary_sign() {
    if (current_ < tokens_.size()) {
      const Token& token = tokens_[current_];
      if ((token.type == TokenType::UnaryOperator || token.type == TokenType::AdditiveBinaryOperator) &&
          (token.value == "-" || token.value == "+")) {
        Nesting nesting(*this);
        ++current_;
        auto node = std::make_unique<UnaryExpression>(token.offset, token.value);
        node->argument = parse_unary_sign();
        return seal(std::move(node));
      }
    }
    NodePtr member = parse_member(parse_primary());
    if (is(TokenType::OpenParen)) return parse_call(std::move(member));
    return member;
  }

  NodePtr parse_call(NodePtr callee) {
    Nesting nesting(*this);
    auto call = std::make_unique<CallExpression>(callee->offset);
    call->callee = std::move(callee);
    call->args = parse_args(false);
    NodePtr expression = parse_member(seal(std::move(call)));
    if (is(TokenType::OpenParen)) expression = parse_call(std::move(expression));
    return expression;
  }

  // (a, b=1, *c, **d) in calls; (a, b=default) in macro and caller parameter lists.
  Block parse_args(bool parameters) {
    expect(TokenType::OpenParen, "expected '(' for the argument list");
    Block args;
    std::set<std::string> names;
    bool saw_keyword = false, saw_spread = false;
    while (!is(TokenType::CloseParen)) {
      const size_t at = position();
      const bool keyword_spread = is(TokenType::ExponentiationBinaryOperator);
      const bool spread = is(TokenType::MultiplicativeBinaryOperator) && tokens_[current_].value == "*";
      if (parameters && (keyword_spread || spread)) {
        error(at, "argument unpacking is not allowed in parameter declarations");
      }
      if (keyword_spread) {
        ++current_;
        auto node = std::make_unique<SpreadExpression>(NodeKind::KeywordSpread, at);
        node->argument = parse_expression();
        args.push_back(seal(std::move(node)));
        if (is(TokenType::Comma)) ++current_;
        if (!is(TokenType::CloseParen)) error(position(), "`**` must be applied to the final argument");
        break;
      }
      NodePtr argument;
      if (spread) {
        if (saw_spread) error(at, "only one `*` argument unpacking is allowed");
        saw_spread = true;
        ++current_;
        auto node = std::make_unique<SpreadExpression>(NodeKind::Spread, at);
        node->argument = parse_expression();
        argument = seal(std::move(node));
      } else {
        argument = parse_expression();
        if (is(TokenType::Equals)) {
          ++current_;
          if (argument->kind != NodeKind::Identifier) {
            error(argument->offset, parameters ? "expected identifier for parameter declaration"
                                               : "expected identifier for keyword argument");
          }
          auto keyword = std::make_unique<KeywordArgument>(argument->offset);
          keyword->key = static_cast<Identifier&>(*argument).name;
          keyword->value = parse_expression();
          argument = seal(std::move(keyword));
        }
        if (parameters) {
          if (argument->kind != NodeKind::Identifier && argument->kind != NodeKind::KeywordArgument) {
            error(argument->offset, "expected identifier for parameter declaration");
          }
          const std::string& name = argument->kind == NodeKind::Identifier
                                        ? static_cast<Identifier&>(*argument).name
                                        : static_cast<KeywordArgument&>(*argument).key;
          if (!names.insert(name).second) error(argument->offset, fmt::format("duplicate parameter name: {}", name));
        }
        if (argument->kind == NodeKind::KeywordArgument) {
          saw_keyword = true;
        } else if (saw_keyword) {
          error(argument->offset, parameters ? "non-default argument follows default argument"
                                             : "positional arguments must come before keyword arguments");
        } else if (saw_spread) {
          error(argument->offset, "positional arguments must not follow `*` argument unpacking");
        }
      }
      args.push_back(std::move(argument));
      if (is(TokenType::Comma)) ++current_;
    }
    expect(TokenType::CloseParen, "expected ')' closing the argument list");
    return args;
  }

  // The inside of obj[...]: an index or a slice [start:stop:step].
  NodePtr parse_subscript(size_t at) {
    std::vector<NodePtr> slices;
    bool is_slice = false;
    while (!is(TokenType::CloseSquareBracket)) {
      if (is(TokenType::Colon)) {
        slices.push_back(nullptr);
        ++current_;
        is_slice = true;
      } else {
        slices.push_back(parse_expression());
        if (is(TokenType::Colon)) {
          ++current_;
          is_slice = true;
        }
      }
    }
    if (slices.empty()) error(at, "expected at least one argument for member/slice expression");
    if (!is_slice) return std::move(slices[0]);
    if (slices.size() > 3) error(at, "expected 0-3 arguments for slice expression");
    auto node = std::make_unique<SliceExpression>(at);
    node->start = std::move(slices[0]);
    if (slices.size() > 1) node->stop = std::move(slices[1]);
    if (slices.size() > 2) node->step = std::move(slices[2]);
    return seal(std::move(node));
  }

  NodePtr parse_member(NodePtr object) {
    while (is(TokenType::Dot) || is(TokenType::OpenSquareBracket)) {
      const Token& op = take();
      const bool computed = op.type == TokenType::OpenSquareBracket;
      auto node = std::make_unique<MemberExpression>(op.offset);
      if (computed) {
        node->property = parse_subscript(op.offset);
        expect(TokenType::CloseSquareBracket, "expected ']'");
      } else {
        node->property = parse_primary();
        if (node->property->kind != NodeKind::Identifier && node->property->kind != NodeKind::IntegerLiteral) {
          error(node->property->offset, "expected identifier or integer following dot operator");
        }
      }
      node->object = std::move(object);
      node->computed = computed;
      object = seal(std::move(node));
    }
    return object;
  }

  NodePtr parse_primary() {
    const Token& token = take();
    switch (token.type) {
      case TokenType::NumericLiteral: {
        const bool is_float = token.value.find('.') != std::string::npos;
        const double value = js::string_to_number(token.value);
        return std::make_unique<NumericLiteral>(is_float ? NodeKind::FloatLiteral : NodeKind::IntegerLiteral,
                                                token.offset, value);
      }
      case TokenType::StringLiteral: {
        std::string value = token.value;
        while (is(TokenType::StringLiteral)) value += take().value;  // 'a' 'b' is 'ab'
        return std::make_unique<StringLiteral>(token.offset, std::move(value));
      }
      case TokenType::Identifier:
        return std::make_unique<Identifier>(token.offset, token.value);
      case TokenType::OpenParen: {
        NodePtr expression = parse_expression_sequence(false);
        expect(TokenType::CloseParen, "expected ')'");
        return expression;
      }
      case TokenType::OpenSquareBracket: {
        auto node = std::make_unique<ListLiteral>(NodeKind::ArrayLiteral, token.offset);
        while (!is(TokenType::CloseSquareBracket)) {
          node->items.push_back(parse_expression());
          if (is(TokenType::Comma)) ++current_;
        }
        ++current_;
        return seal(std::move(node));
      }
      case TokenType::OpenCurlyBracket: {
        auto node = std::make_unique<ObjectLiteral>(token.offset);
        while (!is(TokenType::CloseCurlyBracket)) {
          NodePtr key = parse_expression();
          expect(TokenType::Colon, "expected ':' between key and value in object literal");
          NodePtr value = parse_expression();
          node->entries.emplace_back(std::move(key), std::move(value));
          if (is(TokenType::Comma)) ++current_;
        }
        ++current_;
        return seal(std::move(node));
      }
      default:
        error(token.offset, fmt::format("unexpected token {} '{}'", token_type_name(token.type), token.value));
    }
  }

  const SourceText& source_;
  const std::vector<Token>& tokens_;
  const uint32_t max_nesting_;
  size_t current_ = 0;
  uint32_t recursion_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse(const SourceText& source, const std::vector<Token>& tokens, uint32_t max_nesting) {
  return Parser(source, tokens, max_nesting).run();
}

}  // namespace medllm::jinja
