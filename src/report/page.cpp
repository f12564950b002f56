#include "report/page.hpp"

#include <fmt/format.h>

#include "report/escape.hpp"

namespace medllm::report {
namespace {

// One stylesheet for the evaluation, training and pipeline pages, so they look like one tool's
// pages and a style fix lands everywhere at once.
constexpr std::string_view kStylesheet = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK JP", "IPAGothic", "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 940px; padding: 20px 24px 40px; color: #1f2328; line-height: 1.45; background: #fff; }
h1 { font-size: 1.55em; margin: 0 0 .15em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #d8dee4; padding-bottom: .25em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.subtitle { color: #59636e; margin: 0 0 1em; }
.meta { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 32px; }
.meta table { flex: 1 1 400px; margin: 0; }
.wide { overflow-x: auto; margin: .5em 0 1em; }
table { border-collapse: collapse; font-size: 14px; }
table.exam { font-size: 13px; }
table.exam th, table.exam td { padding: 4px 6px; }
caption { text-align: left; font-weight: 600; color: #1f2328; padding: 0 8px 4px; }
th, td { border-bottom: 1px solid #e5e8eb; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f5f7; font-weight: 600; border-bottom: 2px solid #d0d7de; vertical-align: bottom; }
tbody th { font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.text { white-space: pre-wrap; overflow-wrap: anywhere; }
table.kv th { color: #59636e; font-weight: normal; white-space: nowrap; background: none; width: 9em; }
table.kv td { word-break: break-all; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #cf222e; font-weight: 600; }
.na { color: #8c959f; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
pre { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 4px; padding: 10px 12px; max-height: 24em;
      overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; line-height: 1.4;
      font-family: ui-monospace, "DejaVu Sans Mono", "IPAGothic", monospace; }
figure { margin: .8em 0 1.2em; }
figcaption { font-size: 13px; color: #59636e; margin-top: .2em; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: system-ui, "Noto Sans", "Noto Sans CJK JP", "IPAGothic", "DejaVu Sans", sans-serif; }
nav { font-size: 14px; margin: .6em 0 0; padding: 6px 0; border-top: 1px solid #e5e8eb; border-bottom: 1px solid #e5e8eb; }
nav a { margin-right: 1.2em; color: #0969da; text-decoration: none; }
.note { font-size: 13px; color: #59636e; }
footer { margin-top: 2.2em; font-size: 14px; }
footer li { margin: .25em 0; }
)css";

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string_view stylesheet() {
  return kStylesheet;
}

std::string render_page(const Page& page) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}</title>\n", html_escape(page.title));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStylesheet);
  out += fmt::format("<header>\n<h1>{}</h1>\n", html_escape(page.title));
  if (!page.subtitle.empty()) out += fmt::format("<p class=\"subtitle\">{}</p>\n", html_escape(page.subtitle));
  out += page.header_html + "</header>\n<main>\n" + page.main_html + "</main>\n";
  if (!page.footer_html.empty()) {
    const std::string id = page.footer_id.empty() ? "" : fmt::format(" id=\"{}\"", html_escape(page.footer_id));
    out += fmt::format("<footer{}>\n{}</footer>\n", id, page.footer_html);
  }
  return out + "</body>\n</html>\n";
}

std::string section(std::string_view id, std::string_view title, std::string_view body_html) {
  return fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", html_escape(id), html_escape(title),
                     body_html);
}

std::string figure(std::string_view svg, std::string_view caption) {
  return fmt::format("<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n", svg, html_escape(caption));
}

std::string ElementIds::make(std::string_view prefix, std::string_view name) {
  std::string id(prefix);
  bool dash = !id.empty();
  for (char c : name) {
    if (!is_ascii_alnum(c)) {
      dash = true;
      continue;
    }
    if (dash && !id.empty()) id += '-';
    id += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    dash = false;
  }
  if (id.empty() || id == prefix) id = std::string(prefix) + (prefix.empty() ? "id" : "-x");
  std::string unique = id;
  for (int k = 2; !used_.insert(unique).second; ++k) unique = fmt::format("{}-{}", id, k);
  return unique;
}

}  // namespace medllm::report
