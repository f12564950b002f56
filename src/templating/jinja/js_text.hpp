#pragma once
// Strings and numbers with JavaScript semantics, as @huggingface/jinja (the reference for chat
// templates) sees them.
//
// Strings are stored as UTF-8. A JavaScript string is a sequence of UTF-16 code units and may hold
// a lone surrogate (for example after indexing into an emoji); such a surrogate is stored as its
// 3-byte generalized UTF-8 (WTF-8) form, so lengths and indexing still count UTF-16 units. Text
// leaving the interpreter goes through to_well_formed(), which turns lone surrogates into U+FFFD
// exactly as Node's UTF-8 encoder does.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::jinja::js {

// Decodes the code point starting at text[i] and advances i. A surrogate pair written as two WTF-8
// surrogates decodes as one code point; an invalid byte decodes as U+FFFD (one byte).
char32_t next_code_point(std::string_view text, size_t& i);
// Appends cp in UTF-8 (surrogates in WTF-8).
void append_code_point(std::string& out, char32_t cp);
// out += piece; a high surrogate at the end of out and a low one at the start of piece become one
// 4-byte character, as concatenating JavaScript strings joins them.
void append(std::string& out, std::string_view piece);

// Invalid UTF-8 replaced by U+FFFD (maximal subparts), as Node decodes a UTF-8 file.
std::string sanitize_utf8(std::string_view text);
// Lone surrogates replaced by U+FFFD (Buffer.from(string, "utf8")).
std::string to_well_formed(std::string_view text);

// String.prototype.length: UTF-16 code units.
size_t utf16_length(std::string_view text);
// String.prototype.at(index) (negative counts from the end); nullopt when out of range.
std::optional<std::string> utf16_unit_at(std::string_view text, double index);
// Array.from(string): one string per code point.
std::vector<std::string> code_points(std::string_view text);
// Compares as JavaScript's < does (by UTF-16 code units): <0, 0, >0.
int compare(std::string_view a, std::string_view b);

// /\s/ in JavaScript: ASCII whitespace, NBSP, U+1680, U+2000-U+200A, line/paragraph separators,
// U+202F, U+205F, U+3000 (ideographic space) and U+FEFF.
bool is_whitespace(char32_t cp);
std::string trim(std::string_view text, bool start = true, bool end = true);

// toUpperCase / toLowerCase for Latin, Greek, Cyrillic, fullwidth and a few other scripts
// (including the special mappings such as ß -> SS). Other characters are unchanged.
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
// Python-like title(), as @huggingface/jinja writes it: value.replace(/\b\w/g, toUpperCase).
std::string title_case(std::string_view text);
// charAt(0).toUpperCase() + slice(1).
std::string capitalize(std::string_view text);

// JSON.stringify(string); ensure_ascii also escapes every UTF-16 unit >= 0x7F as \uXXXX.
void append_json_string(std::string& out, std::string_view text, bool ensure_ascii);

// Number.prototype.toString(): "1", "0.5", "1e+21", "NaN", "-Infinity".
std::string number_to_string(double value);
// How @huggingface/jinja prints a float: integral values with ".0" (toFixed(1)), -0 as "-0.0".
std::string float_to_string(double value);
// parseInt(text, 10) and parseFloat(text); NaN when no number starts the text.
double parse_int(std::string_view text);
double parse_float(std::string_view text);
// Number(text): the whole (trimmed) text must be a number ("" is 0), else NaN.
double string_to_number(std::string_view text);

}  // namespace medllm::jinja::js
