#pragma once
// Text from results, settings and model output made safe for the report pages: cleaned of what
// HTML forbids, then escaped for HTML or for Markdown.

#include <string>
#include <string_view>

namespace medllm::report {

// Valid UTF-8 with invalid bytes, C0 controls other than \t \n \r, DEL and C1 controls replaced by
// U+FFFD (HTML forbids the controls; a bad byte must not make the page undecodable).
std::string clean_text(std::string_view text);

// clean_text, then every one of & < > " ' escaped: safe as HTML text or attribute value.
std::string html_escape(std::string_view text);

// Markdown inline text on one line (also valid inside a GFM table cell): line breaks become
// spaces and the punctuation that could start markup is backslash-escaped ('_' only where it
// could open emphasis, so snake_case names stay readable).
std::string markdown_escape(std::string_view text);

// An inline code span when the text allows one (no backtick, bar or line break), else
// markdown_escape: paths and hashes read as code where they can.
std::string markdown_code(std::string_view text);

}  // namespace medllm::report
