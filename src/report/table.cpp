#include "report/table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/escape.hpp"
#include "report/format.hpp"

namespace medllm::report {
namespace {

Column column_of(const Table& table, size_t i) {
  return i < table.columns.size() ? table.columns[i] : Column::text;
}

std::string cell_classes(const Table& table, size_t i, const std::string& cell) {
  std::vector<std::string> classes;
  if (column_of(table, i) == Column::number) classes.emplace_back("num");
  if (column_of(table, i) == Column::prose) classes.emplace_back("text");
  if (cell == "pass") classes.emplace_back("pass");
  if (cell == "fail") classes.emplace_back("fail");
  if (cell == kNa) classes.emplace_back("na");
  return classes.empty() ? std::string() : fmt::format(" class=\"{}\"", fmt::join(classes, " "));
}

std::string html_row(const Table& table, const std::vector<std::string>& row) {
  std::string out = "<tr>";
  for (size_t i = 0; i < row.size(); ++i) {
    const bool header = i == 0 && table.row_headers;
    out += fmt::format("<t{0}{1}>{2}</t{0}>", header ? "h scope=\"row\"" : "d", cell_classes(table, i, row[i]),
                       html_escape(row[i]));
  }
  return out + "</tr>\n";
}

}  // namespace

std::string html_table(const Table& table, std::string_view css_class) {
  std::string out = fmt::format("<div class=\"wide\"><table class=\"{}\">\n<thead><tr>", html_escape(css_class));
  for (size_t i = 0; i < table.header.size(); ++i) {
    out += fmt::format("<th{}>{}</th>", column_of(table, i) == Column::number ? " class=\"num\"" : "",
                       html_escape(table.header[i]));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) out += html_row(table, row);
  return out + "</tbody>\n</table></div>\n";
}

std::string markdown_table(const Table& table) {
  std::string out;
  const auto add_row = [&out](const std::vector<std::string>& cells) {
    out += '|';
    for (const std::string& cell : cells) {
      out += ' ';
      out += markdown_escape(cell);
      out += " |";
    }
    out += '\n';
  };
  add_row(table.header);
  out += '|';
  for (size_t i = 0; i < table.header.size(); ++i) out += column_of(table, i) == Column::number ? "---:|" : "---|";
  out += '\n';
  for (const auto& row : table.rows) add_row(row);
  return out;
}

}  // namespace medllm::report
