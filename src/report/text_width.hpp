#pragma once
// An estimate of how wide text renders in a chart, so that SVG labels can be shortened and
// legends laid out without a font engine (the pages carry no scripts to measure text).

#include <string>
#include <string_view>

namespace medllm::report {

// Rough rendered width of (clean UTF-8) text in a sans-serif font of font_size: CJK and other
// wide characters count one em, narrow Latin letters and punctuation less.
double text_width(std::string_view text, double font_size);

// The longest prefix of (clean) text fitting max_width, with "…" when shortened.
std::string fit_text(const std::string& text, double font_size, double max_width);

}  // namespace medllm::report
