#pragma once
// A small RFC 4180 CSV reader for benchmark files.
//
// - Fields are separated by ',' and records end at CRLF, LF or a lone CR (as Python's csv does).
// - A field that starts with '"' is quoted: it may hold commas, quotes written as "" and line
//   breaks (kept as they are in the file); after the closing quote only ',' or the end of the
//   record may follow. A '"' inside an unquoted field, an unclosed quote or text after a
//   closing quote is an Error naming the line.
// - A UTF-8 byte order mark at the start is skipped; a UTF-16/UTF-32 BOM or any invalid UTF-8
//   (RFC 3629) is an Error naming the line and column.
// - Blank lines between records are skipped (as pandas does); a final line break does not
//   start a record.
// - Field text is never trimmed: leading and trailing spaces are data.

#include <string>
#include <string_view>
#include <vector>

namespace medllm::eval {

struct CsvRecord {
  int line = 0;  // 1-based line on which the record starts
  std::vector<std::string> fields;
};

// Parses CSV text; `source` names it in errors ("<source>:<line>: ...").
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source);

// Reads and parses a CSV file; errors name the path.
std::vector<CsvRecord> read_csv_file(const std::string& path);

// Skips a UTF-8 BOM at the start of text; fails on a UTF-16/UTF-32 BOM and on invalid UTF-8,
// naming "<source>:<line>:<column>". Returns the text without its BOM.
std::string_view check_utf8_text(std::string_view text, const std::string& source);

}  // namespace medllm::eval
