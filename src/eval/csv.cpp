#include "eval/csv.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm::eval {

namespace {

bool starts_with_bytes(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

bool is_line_break(char c) {
  return c == '\n' || c == '\r';
}

// Consumes one line break (CRLF, LF or CR) at text[i].
size_t skip_line_break(std::string_view text, size_t i) {
  if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') return i + 2;
  return i + 1;
}

}  // namespace

std::string_view check_utf8_text(std::string_view text, const std::string& source) {
  using namespace std::string_view_literals;
  if (starts_with_bytes(text, "\x00\x00\xFE\xFF"sv) || starts_with_bytes(text, "\xFF\xFE"sv) ||
      starts_with_bytes(text, "\xFE\xFF"sv)) {
    fail("{}:1: the file starts with a UTF-16/UTF-32 byte order mark; benchmark files must be UTF-8", source);
  }
  if (starts_with_bytes(text, "\xEF\xBB\xBF"sv)) text.remove_prefix(3);
  const size_t bad = utf8::find_invalid(text);
  if (bad != std::string_view::npos) {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    fail("{}:{}: invalid UTF-8 at byte {} of the line (0x{:02X}); benchmark files must be UTF-8", source, line,
         bad - line_start + 1, static_cast<unsigned char>(text[bad]));
  }
  return text;
}

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source) {
  text = check_utf8_text(text, source);
  std::vector<CsvRecord> records;
  const size_t n = text.size();
  size_t i = 0;
  int line = 1;
  while (i < n) {
    if (is_line_break(text[i])) {  // a blank line between records
      i = skip_line_break(text, i);
      ++line;
      continue;
    }
    CsvRecord record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        const int opened = line;
        ++i;
        while (true) {
          if (i >= n) fail("{}:{}: a quoted field opened on this line is never closed", source, opened);
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n' || (c == '\r' && !(i + 1 < n && text[i + 1] == '\n'))) ++line;
          field += c;
          ++i;
        }
        if (i < n && text[i] != ',' && !is_line_break(text[i])) {
          fail("{}:{}: text after the closing quote of a field (a '\"' inside a quoted field must be written \"\")",
               source, line);
        }
      } else {
        const size_t start = i;
        while (i < n && text[i] != ',' && !is_line_break(text[i])) {
          if (text[i] == '"') {
            fail("{}:{}: '\"' inside an unquoted field (RFC 4180: quote the field and write the quote as \"\")", source,
                 line);
          }
          ++i;
        }
        field.assign(text.substr(start, i - start));
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < n) {
        i = skip_line_break(text, i);
        ++line;
      }
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<CsvRecord> read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_csv(buffer.str(), path);
}

}  // namespace medllm::eval
