#pragma once
// Text destined for HTML pages (evaluation and training reports): cleaned of what HTML forbids
// and escaped.

#include <string>
#include <string_view>

namespace medllm {

// Valid UTF-8 with invalid bytes, C0 controls other than \t \n \r, DEL and C1 controls replaced by
// U+FFFD (HTML forbids the controls; a bad byte must not make the page undecodable).
std::string clean_text(std::string_view text);

// clean_text, then every one of & < > " ' escaped: safe as HTML text or attribute value.
std::string html_escape(std::string_view text);

}  // namespace medllm
