#pragma once
// Unicode operations the tokenizer pipelines need, backed by ICU: normalization forms,
// lowercasing, and character classes with the definitions Rust's std uses (which the Hugging
// Face tokenizers library relies on).

#include <cstdint>
#include <string>
#include <string_view>

namespace medllm::unicode {

enum class Form { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view text, Form form);
std::string to_lower(std::string_view text);  // full Unicode lowercase mapping, no locale

// Decodes the code point at text[i] (valid UTF-8) and its byte length.
char32_t decode(std::string_view text, size_t i, size_t* length);
void append(std::string& out, char32_t code_point);

bool is_whitespace(char32_t c);    // Unicode White_Space (Rust char::is_whitespace)
bool is_alphabetic(char32_t c);    // Unicode Alphabetic
bool is_numeric(char32_t c);       // general categories Nd, Nl, No (Rust char::is_numeric)
bool is_alphanumeric(char32_t c);  // is_alphabetic || is_numeric
bool is_punctuation(char32_t c);   // general categories P* (Unicode punctuation)
bool is_ascii_punctuation(char32_t c);
bool is_digit(char32_t c);  // Unicode Nd
bool is_control(char32_t c);
bool is_mark(char32_t c);  // general categories Mn, Mc, Me

}  // namespace medllm::unicode
