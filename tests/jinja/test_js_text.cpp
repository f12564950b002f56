// JavaScript string and number semantics the interpreter relies on (js_text.hpp).

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "templating/jinja/js_text.hpp"

namespace medllm::jinja::js {
namespace {

TEST(JsNumbers, NumberToStringLikeJavaScript) {
  EXPECT_EQ(number_to_string(0), "0");
  EXPECT_EQ(number_to_string(-0.0), "0");
  EXPECT_EQ(number_to_string(42), "42");
  EXPECT_EQ(number_to_string(-3), "-3");
  EXPECT_EQ(number_to_string(2.5), "2.5");
  EXPECT_EQ(number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(number_to_string(1e21), "1e+21");
  EXPECT_EQ(number_to_string(1e20), "100000000000000000000");
  EXPECT_EQ(number_to_string(12345678901234567890.0), "12345678901234567000");
  EXPECT_EQ(number_to_string(0.000001), "0.000001");
  EXPECT_EQ(number_to_string(1e-7), "1e-7");
  EXPECT_EQ(number_to_string(1.5e-10), "1.5e-10");
  EXPECT_EQ(number_to_string(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(number_to_string(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(number_to_string(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(number_to_string(std::nan("")), "NaN");
  EXPECT_EQ(number_to_string(5e-324), "5e-324");
  EXPECT_EQ(number_to_string(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST(JsNumbers, FloatToStringKeepsOneDecimal) {
  EXPECT_EQ(float_to_string(3.0), "3.0");
  EXPECT_EQ(float_to_string(-0.0), "-0.0");
  EXPECT_EQ(float_to_string(2.5), "2.5");
  EXPECT_EQ(float_to_string(1152921504606846976.0), "1152921504606846976.0");  // toFixed(1) is exact
  EXPECT_EQ(float_to_string(1e21), "1e+21");
  EXPECT_EQ(float_to_string(std::numeric_limits<double>::infinity()), "Infinity");
}

TEST(JsNumbers, ParseIntAndParseFloat) {
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int(" \u3000 12abc"), 12);
  EXPECT_EQ(parse_int("-7.9"), -7);
  EXPECT_TRUE(std::isnan(parse_int("abc")));
  EXPECT_TRUE(std::isnan(parse_int("")));
  EXPECT_EQ(parse_float("3.25e2"), 325);
  EXPECT_EQ(parse_float("  .5x"), 0.5);
  EXPECT_EQ(parse_float("1.e1"), 10);
  EXPECT_EQ(parse_float("-Infinityx"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_float("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_float("1e-400"), 0);
  EXPECT_EQ(parse_float("2e"), 2);
  EXPECT_TRUE(std::isnan(parse_float("e5")));
}

TEST(JsNumbers, StringToNumberNeedsTheWholeString) {
  EXPECT_EQ(string_to_number(""), 0);
  EXPECT_EQ(string_to_number("  \n"), 0);
  EXPECT_EQ(string_to_number(" 12 "), 12);
  EXPECT_EQ(string_to_number("0x1F"), 31);
  EXPECT_EQ(string_to_number("0b101"), 5);
  EXPECT_EQ(string_to_number("-1.5e3"), -1500);
  EXPECT_TRUE(std::isnan(string_to_number("12px")));
  EXPECT_TRUE(std::isnan(string_to_number("1e")));
}

TEST(JsStrings, LengthAndIndexingCountUtf16Units) {
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("日本語"), 3u);
  EXPECT_EQ(utf16_length("a😀b"), 4u);
  EXPECT_EQ(utf16_unit_at("日本語", 1).value(), "本");
  EXPECT_EQ(utf16_unit_at("日本語", -1).value(), "語");
  EXPECT_FALSE(utf16_unit_at("abc", 3).has_value());
  EXPECT_FALSE(utf16_unit_at("abc", -4).has_value());
  // Half of an emoji is a lone surrogate (WTF-8), which leaves the interpreter as U+FFFD.
  const std::string high = utf16_unit_at("a😀b", 1).value();
  EXPECT_EQ(high, "\xED\xA0\xBD");
  EXPECT_EQ(to_well_formed(high), "\uFFFD");
  // Appending the other half re-forms the character.
  std::string joined = high;
  append(joined, utf16_unit_at("a😀b", 2).value());
  EXPECT_EQ(joined, "😀");
}

TEST(JsStrings, CodePointsAndComparison) {
  const auto points = code_points("a😀日");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[1], "😀");
  EXPECT_LT(compare("a", "b"), 0);
  EXPECT_GT(compare("b", "B"), 0);
  EXPECT_EQ(compare("x", "x"), 0);
  // UTF-16 order: a supplementary character (surrogates 0xD8..) sorts before U+FF21.
  EXPECT_LT(compare("😀", "Ａ"), 0);
}

TEST(JsStrings, TrimUsesJavaScriptWhitespace) {
  EXPECT_EQ(trim(" \t\n x y \r\n"), "x y");
  EXPECT_EQ(trim("\u3000全角\u3000"), "全角");
  EXPECT_EQ(trim("\u00a0\ufeffz\u2028"), "z");
  EXPECT_EQ(trim("  a  ", true, false), "a  ");
  EXPECT_EQ(trim("  a  ", false, true), "  a");
  EXPECT_EQ(trim("\u200bz"), "\u200bz");  // zero-width space is not whitespace
}

TEST(JsStrings, CaseMapping) {
  EXPECT_EQ(to_upper("straße"), "STRASSE");
  EXPECT_EQ(to_upper("àéî αβγ ς абв ａｂｃ"), "ÀÉÎ ΑΒΓ Σ АБВ ＡＢＣ");
  EXPECT_EQ(to_lower("ÀÉÎ ΑΒΓ АБВ ＡＢＣ İ"), "àéî αβγ абв ａｂｃ i\u0307");
  EXPECT_EQ(to_upper("日本語"), "日本語");
  // Beyond the Latin/Greek/Cyrillic blocks, as String.prototype.toUpperCase/toLowerCase map them
  // (Unicode full case mapping): Georgian Mkhedruli, Cherokee, Deseret, ligatures, final sigma
  // where a word ends, lone surrogates unchanged.
  EXPECT_EQ(to_upper("ა ꭰ 𐐨 ﬃ ŉ"), "Ა Ꭰ 𐐀 FFI ʼN");
  EXPECT_EQ(to_lower("ΟΔΟΣ ΑΣ Σ"), "οδος ας σ");
  EXPECT_EQ(to_upper("a\xED\xA0\x80" "b"), "A\xED\xA0\x80" "B");
  EXPECT_EQ(title_case("hello big-world élan x1y"), "Hello Big-World éLan X1y");
  EXPECT_EQ(capitalize("hELLO"), "HELLO");
  EXPECT_EQ(capitalize("ßa"), "SSa");
  EXPECT_EQ(capitalize(""), "");
}

TEST(JsStrings, JsonStringEscaping) {
  std::string out;
  append_json_string(out, "q\"\\\n\t\x01/日本", false);
  EXPECT_EQ(out, "\"q\\\"\\\\\\n\\t\\u0001/日本\"");
  out.clear();
  append_json_string(out, "é😀\x7f", true);
  EXPECT_EQ(out, "\"\\u00e9\\ud83d\\ude00\\u007f\"");
}

TEST(JsStrings, SanitizeReplacesInvalidUtf8) {
  EXPECT_EQ(sanitize_utf8("a\xff"
                          "b"),
            "a\uFFFDb");
  EXPECT_EQ(sanitize_utf8("ok"), "ok");
}

}  // namespace
}  // namespace medllm::jinja::js
