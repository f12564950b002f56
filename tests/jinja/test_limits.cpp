// Hostile templates and inputs: every limit ends the render with a clear Error, never a crash,
// a hang or unbounded memory.

#include <gtest/gtest.h>

#include <chrono>

#include "templating/jinja/template.hpp"

namespace medllm::jinja {
namespace {

using Json = nlohmann::ordered_json;

std::string error_of(const std::string& source, const Limits& limits = {}, const Json& vars = Json::object()) {
  try {
    Template(source).render(vars, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JinjaLimits, StepsBoundLoops) {
  Limits limits;
  limits.max_steps = 100000;
  const auto start = std::chrono::steady_clock::now();
  const std::string error = error_of(
      "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
      "{% endfor %}{% endfor %}",
      limits);
  EXPECT_TRUE(contains(error, "exceeded 100000 steps")) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(JinjaLimits, StepsBoundExponentialRecursion) {
  Limits limits;
  limits.max_steps = 200000;
  const std::string error = error_of(
      "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}", limits);
  EXPECT_TRUE(contains(error, "exceeded 200000 steps")) << error;
}

TEST(JinjaLimits, DepthBoundsRecursion) {
  const std::string error = error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_TRUE(contains(error, "nested deeper than 400 levels")) << error;
  EXPECT_TRUE(contains(error, "line 1")) << error;
}

TEST(JinjaLimits, StringSizeIsBounded) {
  Limits limits;
  limits.max_output_bytes = 1 << 16;
  const std::string doubling = "{% set s = 'xy' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s }}";
  EXPECT_TRUE(contains(error_of(doubling, limits), "exceeds the limit of 65536 bytes")) << error_of(doubling, limits);
  EXPECT_TRUE(contains(error_of("{% for i in range(100000) %}0123456789{% endfor %}", limits), "output exceeds"));
  EXPECT_TRUE(contains(error_of("{{ 'x'|indent(1000000, true) }}", limits), "exceeds"));
  EXPECT_TRUE(
      contains(error_of("{% set s = 'x' %}{% for i in range(20) %}{% set s = s|replace('', s) %}{% endfor %}", limits),
               "exceeds"));
  EXPECT_TRUE(contains(error_of("{{ range(100000)|tojson(indent=1) }}", limits), "exceeds"));
}

TEST(JinjaLimits, ArrayLengthIsBounded) {
  Limits limits;
  limits.max_items = 1000;
  EXPECT_TRUE(contains(error_of("{{ range(100000000)|length }}", limits), "range() exceeds the limit of 1000"));
  EXPECT_TRUE(contains(error_of("{% set a = [1] %}{% for i in range(64) %}{% set a = a + a %}{% endfor %}", limits),
                       "array exceeds the limit of 1000 elements"));
}

TEST(JinjaLimits, ValueNestingIsBounded) {
  EXPECT_TRUE(contains(error_of("{% set a = [] %}{% for i in range(100000) %}{% set a = [a] %}{% endfor %}"),
                       "value nested deeper than 512 levels"));
  // A namespace can contain itself; printing it stops at the nesting limit.
  EXPECT_TRUE(contains(error_of("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}"), "value nested deeper"));
  EXPECT_TRUE(contains(error_of("{% set ns = namespace() %}{% set ns.self = [ns] %}{{ ns|tojson }}"), "nested deeper"));
  Json deep = Json::array();
  for (int i = 0; i < 2000; ++i) deep = Json::array({deep});
  EXPECT_TRUE(contains(error_of("{{ x }}", {}, Json{{"x", deep}}), "nested deeper"));
}

TEST(JinjaLimits, TemplateSurvivesFailedRenders) {
  const Template compiled("{% if fail %}{{ raise_exception('no') }}{% endif %}ok");
  EXPECT_THROW(compiled.render(Json{{"fail", true}}), Error);
  EXPECT_EQ(compiled.render(Json{{"fail", false}}), "ok");
}

TEST(JinjaLimits, CallerEscapingItsBlockStaysValid) {
  // `caller` stored in a namespace outlives its call block; calling it later still works.
  EXPECT_EQ(Template("{% set ns = namespace() %}{% macro keep() %}{% set ns.c = caller %}{% endmacro %}"
                     "{% for i in [1] %}{% call keep() %}inner{{ i }}{% endcall %}{% endfor %}{{ ns.c() }}")
                .render(Json::object()),
            "inner1");
}

}  // namespace
}  // namespace medllm::jinja
