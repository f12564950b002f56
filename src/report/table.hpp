#pragma once
// Tables of plain-text cells, rendered as HTML or as GitHub-flavoured Markdown, so that a page
// and its Markdown summary show the same rows from one definition.

#include <string>
#include <string_view>
#include <vector>

namespace medllm::report {

enum class Column {
  text,    // left-aligned
  number,  // right-aligned figures
  prose,   // long text (prompts, answers) whose line breaks are kept
};

struct Table {
  std::vector<std::string> header = {};
  std::vector<Column> columns = {};                 // one per header cell
  std::vector<std::vector<std::string>> rows = {};  // plain text; escaped by the renderer
  bool row_headers = true;                          // the first cell of a row names the row (<th>)
};

// <table class="css_class"> in a horizontally scrolling box. Cells reading "pass", "fail" or
// "n/a" get the classes that colour them.
std::string html_table(const Table& table, std::string_view css_class);

// A GFM table; cells are Markdown-escaped, numbers right-aligned.
std::string markdown_table(const Table& table);

}  // namespace medllm::report
