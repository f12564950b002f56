#pragma once
// The shell every report page is built in: doctype, head with the one shared stylesheet, a
// header with the title, the page's sections, a footer. Pages are self-contained files (no
// scripts, no fetched resources) so a report can be mailed or archived as it is.

#include <set>
#include <string>
#include <string_view>

namespace medllm::report {

struct Page {
  std::string title = {};        // plain text: the <title> and the <h1>
  std::string subtitle = {};     // plain text under the title; "" for none
  std::string header_html = {};  // more of the header (metadata tables, navigation), already HTML
  std::string main_html = {};    // the sections, already HTML
  std::string footer_id = {};    // the footer's element id; "" for none
  std::string footer_html = {};  // the footer's content, already HTML; "" for no footer
};

// The whole document. The stylesheet is the only <style> element of every report page.
std::string render_page(const Page& page);

// The shared stylesheet (CSS text), for tests and for a page's size budget.
std::string_view stylesheet();

// <section id="…"><h2>title</h2>body</section>; title is plain text.
std::string section(std::string_view id, std::string_view title, std::string_view body_html);

// <figure> with an inline SVG chart and its caption (plain text).
std::string figure(std::string_view svg, std::string_view caption);

// Unique element ids made from arbitrary names ("exam", "IgakuQA 2018" -> "exam-igakuqa-2018"),
// numbered when two names give the same id, so in-page links always reach one place.
class ElementIds {
 public:
  std::string make(std::string_view prefix, std::string_view name);

 private:
  std::set<std::string> used_;
};

}  // namespace medllm::report
