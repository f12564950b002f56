// The human-facing reports: summary.md and report.html rendered from a synthetic results.json
// that has every field (an English and a Japanese benchmark, IgakuQA with its exam and the
// baselines), from documents with fields missing or of the wrong type, and from strings that
// need escaping. Every document is read through the typed schema (eval/results.hpp), as
// `medllm eval --report` reads a results.json.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "eval/results.hpp"
#include "report/eval_report.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

using nlohmann::json;

template <class Json>
std::string render_markdown(const Json& results) {
  return report::eval_markdown(results_from_json(results));
}

template <class Json>
std::string render_html(const Json& results) {
  return report::eval_html(results_from_json(results));
}

void write_reports(const json& results, const std::string& out_dir) {
  report::write_eval_reports(results_from_json(results), out_dir);
}

json full_results() {
  return json::parse(R"json({
  "medllm_version": "0.1.0", "created": "2026-11-29T10:00:00Z", "duration_s": 123.4,
  "model": {"path": "/models/tiny-llama", "format": "safetensors", "model_type": "llama",
            "architecture": "LlamaForCausalLM", "parameters": 134000000, "dtype": "bf16",
            "sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
  "config": {"method": "loglik", "shots": 0, "limit": null, "batch_size": 8, "threads": 2, "seed": 0,
             "add_bos": true, "data_root": "/data", "chat_template": null, "self_consistency": 1},
  "benchmarks": {
    "medqa": {"n": 1273, "language": "en", "chance": 0.25,
              "metrics": {"acc": {"value": 0.42, "ci95": [0.393, 0.447]},
                          "acc_norm": {"value": 0.441, "ci95": [0.414, 0.468]},
                          "acc_bytes": {"value": 0.43, "ci95": [0.403, 0.457]}},
              "primary_metric": "acc", "prompt_format": "lm-eval medqa_4options",
              "scoring": "loglik of ' A'..' D'",
              "example_prompt": "Question: A 45-year-old man ...\nA. aspirin\nB. heparin\nAnswer:",
              "per_subject": {"step1": {"n": 600, "acc": 0.45}, "step2&3": {"n": 673, "acc": 0.3938}},
              "skipped": 0, "duration_s": 40.1},
    "jmmlu_medical": {"n": 1271, "language": "ja", "num_choices": 4,
              "metrics": {"acc": {"value": 0.3517, "ci95": [0.3258, 0.3785]},
                          "acc_norm": {"value": 0.36, "ci95": [0.334, 0.387]},
                          "acc_bytes": 0.355},
              "primary_metric": "acc_norm", "prompt_format": "JMMLU 0-shot", "scoring": "loglik of ' A'..' D'",
              "example_prompt": "質問：心臓の弁で最も石灰化しやすいのはどれか。\nA. 大動脈弁\n回答：",
              "per_subject": {"解剖学": {"n": 150, "acc": 0.4}, "薬理学": {"n": 200, "acc": 0.31},
                              "臨床医学": {"n": 921, "acc": 0.352}},
              "skipped": 2, "duration_s": 35.0},
    "igakuqa": {"n": 2000, "language": "ja",
              "metrics": {"acc": {"value": 0.55, "ci95": [0.528, 0.572]}},
              "primary_metric": "acc", "prompt_format": "IgakuQA paper prompt", "scoring": "exact set match",
              "example_prompt": "問題：高血圧の第一選択薬はどれか。\na. ...\n答え：",
              "per_subject": {"循環器": {"n": 120, "acc": 0.6}, "小児科": {"n": 80, "acc": 0.5}},
              "exam": {"years": {
                  "2019": {"accuracy": 0.7, "points": 350, "possible": 496, "required_points": 150,
                           "required_possible": 196, "required_rate": 0.765, "required_pass": false,
                           "kinki_chosen": 5, "text_only": {"accuracy": 0.71, "points": 300, "possible": 420},
                           "with_images": {"accuracy": 0.65, "points": 50, "possible": 76},
                           "booklets": {"A": {"accuracy": 0.68, "points": 50, "possible": 75}}},
                  "2018": {"accuracy": 0.75, "points": 382, "possible": 499, "required_points": 180,
                           "required_possible": 200, "required_rate": 0.9, "required_pass": true,
                           "kinki_chosen": 3, "text_only": {"accuracy": 0.762, "points": 330, "possible": 430},
                           "with_images": {"accuracy": 0.7, "points": 52, "possible": 69},
                           "booklets": {"A": {"accuracy": 0.72, "points": 54, "possible": 75},
                                        "B": {"accuracy": 0.9, "points": 90, "possible": 100}}}},
                       "baselines": {
                  "student-majority": {"2018": {"accuracy": 0.89, "points": 445, "possible": 499},
                                       "2019": {"accuracy": 0.88, "points": 437, "possible": 496}},
                  "gpt3": {"2018": {"accuracy": 0.42, "points": 210, "possible": 499},
                           "2019": {"accuracy": 0.4, "points": 199, "possible": 496}},
                  "gpt4": {"2018": {"accuracy": 0.785, "points": 393, "possible": 499},
                           "2019": {"accuracy": 0.77, "points": 380, "possible": 496}},
                  "chatgpt": {"2018": {"accuracy": 0.55, "points": 275, "possible": 499},
                              "2019": {"accuracy": 0.52, "points": 262, "possible": 496}}}},
              "skipped": 0, "duration_s": 48.3}
  }
})json");
}

// ---- A small HTML well-formedness check: every element opened is closed in order (void
// elements and self-closing SVG elements excepted), attributes are quoted, every '&' starts an
// entity, no raw '<' in text or attributes, ids are unique.
struct HtmlCheck {
  std::vector<std::string> errors;
  std::vector<std::string> ids;
  std::map<std::string, int> elements;    // name -> times opened
  std::map<std::string, int> attributes;  // name -> times used
  std::vector<std::string> links;         // href values
};

bool known_entity(const std::string& text, size_t at) {
  for (const char* entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
    if (text.compare(at, std::char_traits<char>::length(entity), entity) == 0) return true;
  }
  return false;
}

void check_text(const std::string& text, const std::string& where, HtmlCheck& check) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&' && !known_entity(text, i))
      check.errors.push_back("raw '&' in " + where + ": " + text.substr(i, 20));
    if (text[i] == '<') check.errors.push_back("raw '<' in " + where);
  }
}

HtmlCheck check_html(const std::string& html) {
  static const std::set<std::string> void_elements = {"area",  "base", "br",   "col",    "embed", "hr", "img",
                                                      "input", "link", "meta", "source", "track", "wbr"};
  HtmlCheck check;
  std::vector<std::string> stack;
  std::set<std::string> ids;
  size_t i = 0;
  while (i < html.size()) {
    size_t open = html.find('<', i);
    check_text(html.substr(i, open == std::string::npos ? std::string::npos : open - i), "text", check);
    if (open == std::string::npos) break;
    if (html.compare(open, 4, "<!--") == 0) {
      size_t end = html.find("-->", open);
      if (end == std::string::npos) {
        check.errors.push_back("unterminated comment");
        break;
      }
      i = end + 3;
      continue;
    }
    if (html.compare(open, 2, "<!") == 0) {
      i = html.find('>', open) + 1;
      continue;
    }
    // Find the end of the tag, skipping quoted attribute values.
    size_t end = open + 1;
    char quote = 0;
    for (; end < html.size(); ++end) {
      char c = html[end];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    if (end >= html.size()) {
      check.errors.push_back("unterminated tag");
      break;
    }
    std::string tag = html.substr(open + 1, end - open - 1);
    i = end + 1;
    bool closing = !tag.empty() && tag[0] == '/';
    bool self_closing = !tag.empty() && tag.back() == '/';
    size_t p = closing ? 1 : 0;
    std::string name;
    while (p < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[p])) || tag[p] == '-')) name += tag[p++];
    if (name.empty()) {
      check.errors.push_back("not a tag: <" + tag.substr(0, 20));
      continue;
    }
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        check.errors.push_back("</" + name + "> closes " +
                               (stack.empty() ? std::string("nothing") : "<" + stack.back() + ">"));
      } else {
        stack.pop_back();
      }
      continue;
    }
    ++check.elements[name];
    // Attributes: name="value" (or name='value', or a bare name).
    std::set<std::string> attributes;
    while (p < tag.size()) {
      while (p < tag.size() && (tag[p] == ' ' || tag[p] == '\n' || tag[p] == '/')) ++p;
      if (p >= tag.size()) break;
      std::string attribute;
      while (p < tag.size() && tag[p] != '=' && tag[p] != ' ' && tag[p] != '/') attribute += tag[p++];
      if (!attributes.insert(attribute).second)
        check.errors.push_back("duplicate attribute " + attribute + " in <" + name);
      ++check.attributes[attribute];
      if (p < tag.size() && tag[p] == '=') {
        ++p;
        if (p >= tag.size() || (tag[p] != '"' && tag[p] != '\'')) {
          check.errors.push_back("unquoted value of " + attribute + " in <" + name);
          break;
        }
        char q = tag[p++];
        size_t close = tag.find(q, p);
        std::string value = tag.substr(p, close - p);
        check_text(value, "attribute " + attribute, check);
        if (attribute == "href") check.links.push_back(value);
        if (attribute == "id") {
          check.ids.push_back(value);
          if (!ids.insert(value).second) check.errors.push_back("duplicate id " + value);
        }
        p = close + 1;
      }
    }
    if (name == "style" || name == "script") {
      size_t close = html.find("</" + name + ">", i);
      if (close == std::string::npos) {
        check.errors.push_back("unterminated <" + name + ">");
        break;
      }
      i = close + name.size() + 3;
      continue;
    }
    if (!self_closing && void_elements.count(name) == 0) stack.push_back(name);
  }
  for (const std::string& name : stack) check.errors.push_back("<" + name + "> never closed");
  return check;
}

void expect_well_formed(const std::string& html) {
  HtmlCheck check = check_html(html);
  for (const std::string& error : check.errors) ADD_FAILURE() << error;
  EXPECT_EQ(check.elements["html"], 1);
  EXPECT_EQ(check.elements["body"], 1);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  // Self-contained: no scripts, no resources fetched from anywhere.
  EXPECT_EQ(check.elements["script"], 0);
  EXPECT_EQ(check.elements["img"], 0);
  EXPECT_EQ(check.elements["link"], 0);
  EXPECT_EQ(check.attributes["src"], 0);
  for (const std::string& link : check.links) EXPECT_EQ(link.rfind('#', 0), 0u) << link;  // in-page links only
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

bool valid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// ------------------------------------------------------------------------------------------

TEST(ReportMarkdown, HasTheSummaryRowsAndNumbers) {
  std::string markdown = render_markdown(full_results());
  EXPECT_TRUE(contains(markdown, "# Evaluation report: tiny-llama\n")) << markdown;
  EXPECT_TRUE(contains(markdown,
                       "`/models/tiny-llama` (safetensors, llama, LlamaForCausalLM, bf16, 134M (134000000) parameters, "
                       "sha256 `0123456789abcdef`…)"))
      << markdown;
  EXPECT_TRUE(contains(markdown,
                       "method loglik, shots 0, limit none, batch_size 8, threads 2, seed 0, add_bos true, "
                       "chat_template none, self_consistency 1, data_root `/data`"))
      << markdown;
  EXPECT_TRUE(contains(markdown, "2026-11-29T10:00:00Z, 2 min 03 s, medllm 0.1.0")) << markdown;
  EXPECT_TRUE(contains(markdown,
                       "| benchmark | n | primary metric (95% CI) | acc | acc_norm | acc_bytes |\n"
                       "|---|---:|---|---:|---:|---:|\n"
                       "| igakuqa | 2000 | acc 55.0 (52.8–57.2) | 55.0 | n/a | n/a |\n"
                       "| jmmlu_medical | 1271 | acc_norm 36.0 (33.4–38.7) | 35.2 | 36.0 | 35.5 |\n"
                       "| medqa | 1273 | acc 42.0 (39.3–44.7) | 42.0 | 44.1 | 43.0 |\n"))
      << markdown;
  // The exam, year by year, in year order, baselines in the fixed order.
  EXPECT_TRUE(contains(markdown,
                       "| year | accuracy | points | required (必修) | required ≥ 80% | 禁忌肢 chosen | "
                       "text-only accuracy | GPT-4 points | ChatGPT points | GPT-3 points | "
                       "Student majority points |\n"))
      << markdown;
  EXPECT_TRUE(contains(markdown,
                       "| 2018 | 75.0 | 382/499 | 180/200 (90.0%) | pass | 3 | 76.2 | 393/499 | 275/499 | "
                       "210/499 | 445/499 |\n"
                       "| 2019 | 70.0 | 350/496 | 150/196 (76.5%) | fail | 5 | 71.0 | 380/496 | 262/496 | "
                       "199/496 | 437/496 |\n"))
      << markdown;
  // How the numbers were computed.
  EXPECT_TRUE(contains(markdown, "Wilson score interval")) << markdown;
  EXPECT_TRUE(contains(markdown, "| medqa | lm-eval medqa_4options | loglik of ' A'..' D' | acc | 0 | 40.1 s |"))
      << markdown;
  EXPECT_TRUE(valid_utf8(markdown));
}

TEST(ReportMarkdown, KeepsTheRunOrderOfAnOrderedDocument) {
  nlohmann::ordered_json results = nlohmann::ordered_json::parse(
      R"({"benchmarks": {"zeta": {"n": 10, "metrics": {"acc": 0.5}}, "alpha": {"n": 20, "metrics": {"acc": 0.25}}}})");
  std::string markdown = render_markdown(results);
  size_t zeta = markdown.find("| zeta | 10 | acc 50.0 | 50.0 | n/a | n/a |");
  size_t alpha = markdown.find("| alpha | 20 | acc 25.0 | 25.0 | n/a | n/a |");
  ASSERT_NE(zeta, std::string::npos) << markdown;
  ASSERT_NE(alpha, std::string::npos) << markdown;
  EXPECT_LT(zeta, alpha);
  std::string html = render_html(results);
  EXPECT_LT(html.find(">zeta<"), html.find(">alpha<"));
}

TEST(ReportMarkdown, KappaAndF1AreShownAsTheyAreNotInPercent) {
  nlohmann::ordered_json results = nlohmann::ordered_json::parse(R"({"benchmarks": {
      "jmed_llm_crade": {"n": 100, "primary_metric": "kappa", "method": "generate",
                         "metrics": {"kappa": {"value": 0.4123, "n": 100}, "acc": 0.53}},
      "jmed_llm_mrner_disease": {"n": 100, "primary_metric": "partial_f1", "method": "generate",
                                 "metrics": {"partial_f1": {"value": 1.05, "n": 100}, "exact_f1": 0.31}}}})");
  const std::string markdown = render_markdown(results);
  EXPECT_TRUE(contains(markdown, "| jmed_llm_crade | 100 | kappa 0.412 | 53.0 | n/a | n/a |")) << markdown;
  EXPECT_TRUE(contains(markdown, "| jmed_llm_mrner_disease | 100 | partial_f1 1.050 | n/a | n/a | n/a |")) << markdown;
  EXPECT_TRUE(contains(markdown, "not in %")) << markdown;
  // Under --method auto the notes follow each benchmark's own method.
  EXPECT_TRUE(contains(markdown, "Method generate:")) << markdown;
  EXPECT_FALSE(contains(markdown, "Method loglik:")) << markdown;
  // The accuracy chart draws acc for the kappa task (53 %), nothing for the F1 task.
  const std::string html = render_html(results);
  EXPECT_TRUE(contains(html, "jmed_llm_crade: acc 53.0%")) << html;
  EXPECT_FALSE(contains(html, "41.2")) << html;
}

TEST(ReportHtml, IsWellFormedWithOneSvgPerChart) {
  std::string html = render_html(full_results());
  expect_well_formed(html);
  // Accuracy per benchmark; IgakuQA points per year and required rates; one per-subject chart for
  // each of the three benchmarks.
  EXPECT_EQ(occurrences(html, "<svg "), 6u);
  EXPECT_EQ(occurrences(html, "</svg>"), 6u);
  EXPECT_TRUE(valid_utf8(html));
  HtmlCheck check = check_html(html);
  for (const char* id : {"summary", "accuracy", "exam-igakuqa", "subjects-medqa", "subjects-jmmlu-medical",
                         "subjects-igakuqa", "prompts", "method"}) {
    EXPECT_NE(std::find(check.ids.begin(), check.ids.end(), id), check.ids.end()) << id;
  }
}

TEST(ReportHtml, ShowsTheNumbers) {
  std::string html = render_html(full_results());
  // Header.
  for (const char* text : {"tiny-llama", "LlamaForCausalLM", "134M (134000000)", "2026-11-29T10:00:00Z",
                           "took 2 min 03 s", "loglik", "bf16"}) {
    EXPECT_TRUE(contains(html, text)) << text;
  }
  // Summary table and the accuracy chart.
  EXPECT_TRUE(contains(html, "<td class=\"num\">acc 42.0 (39.3–44.7)</td>"));
  EXPECT_TRUE(contains(html, "<td class=\"num\">acc_norm 36.0 (33.4–38.7)</td>"));
  EXPECT_TRUE(contains(html, ">42.0</text>"));
  EXPECT_TRUE(contains(html, ">36.0</text>"));
  EXPECT_TRUE(contains(html, ">55.0</text>"));
  EXPECT_TRUE(contains(html, "acc · n=1273"));
  EXPECT_TRUE(contains(html, "chance level"));
  // The exam: table, points of the model and every baseline, required rates and the pass line.
  EXPECT_TRUE(contains(html, "<td class=\"num\">180/200 (90.0%)</td><td class=\"pass\">pass</td>"));
  EXPECT_TRUE(contains(html, "<td class=\"fail\">fail</td>"));
  for (const char* points : {">382</text>", ">350</text>", ">393</text>", ">275</text>", ">210</text>", ">445</text>",
                             ">of 499</text>", ">of 496</text>"}) {
    EXPECT_TRUE(contains(html, points)) << points;
  }
  for (const char* label : {">GPT-4</text>", ">ChatGPT</text>", ">GPT-3</text>", ">Student majority</text>",
                            ">90.0</text>", ">76.5</text>", ">pass line 80%</text>"}) {
    EXPECT_TRUE(contains(html, label)) << label;
  }
  EXPECT_TRUE(contains(html, "<td class=\"num\">54/75 · 72.0%</td>"));  // booklet A of 2018
  // Per subject, sorted, with n.
  size_t pharmacology = html.find(">薬理学 (n=200)</text>");
  size_t anatomy = html.find(">解剖学 (n=150)</text>");
  ASSERT_NE(pharmacology, std::string::npos);
  ASSERT_NE(anatomy, std::string::npos);
  EXPECT_LT(anatomy, pharmacology);  // 40.0 before 31.0
  EXPECT_TRUE(contains(html, ">step2&amp;3 (n=673)</text>"));
  EXPECT_TRUE(contains(html, ">overall 42.0</text>"));
  // Example prompts, footer.
  EXPECT_TRUE(
      contains(html, "<pre lang=\"ja\">質問：心臓の弁で最も石灰化しやすいのはどれか。\nA. 大動脈弁\n回答：</pre>"));
  EXPECT_TRUE(contains(html, "loglik of &#39; A&#39;..&#39; D&#39;"));
  EXPECT_TRUE(contains(html, "Wilson score interval"));
}

TEST(ReportHtml, EscapesEveryStringFromTheData) {
  json results = full_results();
  results["model"]["path"] = "/models/<b>bold</b> & \"quoted\" 'model'";
  results["benchmarks"]["medqa"]["example_prompt"] = "Is 1 < 2 && 3 > 2? <script>alert(\"x\")</script>&\"'";
  results["benchmarks"]["medqa"]["prompt_format"] = "<i>format</i>";
  results["benchmarks"]["medqa"]["per_subject"]["<img src=x onerror=alert(1)>"] = {{"n", 3}, {"acc", 0.5}};
  results["benchmarks"]["weird <name> & \"co\""] = {
      {"n", 5}, {"metrics", {{"acc", 0.2}}}, {"per_subject", {{"a'b", 0.1}}}};
  results["config"]["chat_template"] = "{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}";
  std::string html = render_html(results);
  expect_well_formed(html);
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<b>"));
  EXPECT_FALSE(contains(html, "<i>"));
  EXPECT_FALSE(contains(html, "<img"));
  EXPECT_FALSE(contains(html, "<name>"));
  EXPECT_FALSE(contains(html, "<|im_start|>"));
  EXPECT_TRUE(contains(
      html, "Is 1 &lt; 2 &amp;&amp; 3 &gt; 2? &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#39;"));
  EXPECT_TRUE(contains(html, "/models/&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#39;model&#39;"));
  EXPECT_TRUE(contains(html, "weird &lt;name&gt; &amp; &quot;co&quot;"));
  EXPECT_TRUE(contains(html, "問題：高血圧の第一選択薬はどれか。"));
  // The Markdown escapes what would be markup.
  std::string markdown = render_markdown(results);
  EXPECT_TRUE(contains(markdown, "| weird \\<name\\> \\& \"co\" | 5 | acc 20.0 |")) << markdown;
  EXPECT_TRUE(contains(markdown, "- **Model:** `/models/<b>bold</b> & \"quoted\" 'model'`"));  // a code span: literal
  EXPECT_TRUE(contains(markdown, "| medqa | \\<i\\>format\\</i\\> |")) << markdown;
}

TEST(ReportHtml, ReplacesInvalidUtf8AndControlCharacters) {
  json results = full_results();
  results["benchmarks"]["medqa"]["example_prompt"] = std::string("bad \xff\xfe bytes \x01 and \xe3\x81 cut");
  results["model"]["path"] = std::string("/m/\xc0\xaf");
  std::string html = render_html(results);
  std::string markdown = render_markdown(results);
  EXPECT_TRUE(valid_utf8(html));
  EXPECT_TRUE(valid_utf8(markdown));
  EXPECT_TRUE(contains(html, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD and \xEF\xBF\xBD\xEF\xBF\xBD cut"));
  expect_well_formed(html);
}

TEST(ReportMissingFields, OnlyBenchmarks) {
  json results = json::parse(R"({"benchmarks": {"medqa": {}}})");
  std::string markdown = render_markdown(results);
  EXPECT_TRUE(contains(markdown, "# Evaluation report: unknown model")) << markdown;
  EXPECT_TRUE(contains(markdown, "| medqa | n/a | n/a | n/a | n/a | n/a |")) << markdown;
  EXPECT_TRUE(contains(markdown, "- **Model:** n/a")) << markdown;
  std::string html = render_html(results);
  expect_well_formed(html);
  EXPECT_EQ(occurrences(html, "<svg "), 1u);  // the accuracy chart, with an n/a row
  EXPECT_TRUE(contains(html, "No example prompts in the results."));
}

TEST(ReportMissingFields, NoBenchmarksAtAll) {
  json results = json::parse(R"({"benchmarks": {}, "model": {"architecture": "Qwen2ForCausalLM"}})");
  EXPECT_TRUE(contains(render_markdown(results), "# Evaluation report: Qwen2ForCausalLM"));
  std::string html = render_html(results);
  expect_well_formed(html);
  EXPECT_EQ(occurrences(html, "<svg "), 0u);
  EXPECT_TRUE(contains(html, "No benchmarks in the results."));
}

TEST(ReportMissingFields, WrongTypesEverywhere) {
  json results = json::parse(R"json({
    "medllm_version": 3, "created": ["x"], "duration_s": "long", "model": "not an object", "config": [1, 2],
    "benchmarks": {
      "a": null, "b": 7, "c": [],
      "d": {"n": "many", "language": 4, "metrics": [1], "primary_metric": 5, "chance": "1/4", "num_choices": 0,
            "example_prompt": 12, "per_subject": {"x": "y", "z": {"n": -3, "acc": 2.5}, "w": {"n": 0, "acc": -1}},
            "exam": {"years": {"2018": 5, "2019": {"points": "a", "kinki_chosen": ["a", "b"],
                                                   "required_pass": "yes", "text_only": 3}},
                     "baselines": [1, {"system": "gpt4", "years": 3}, {"label": "other", "years": {"2019": {"points": 100}}}]}},
      "e": {"metrics": {"acc": {"value": 0.5, "ci95": [0.6]}, "f1": {"value": "x"}}, "primary_metric": "f1",
            "exam": {"years": {}, "baselines": {"gpt4": {"2018": {"accuracy": 0.8}}}}}
    }})json");
  std::string markdown = render_markdown(results);
  EXPECT_TRUE(contains(markdown, "| a | n/a | n/a | n/a | n/a | n/a |")) << markdown;
  EXPECT_TRUE(contains(markdown, "| e | n/a | n/a | 50.0 | n/a | n/a |")) << markdown;
  EXPECT_TRUE(contains(markdown, "| 2019 | n/a | n/a | n/a | n/a | 2 | n/a | n/a | 100 |")) << markdown;
  EXPECT_TRUE(contains(markdown, "| 2018 | n/a | n/a | n/a | n/a | n/a | n/a | acc 80.0 |")) << markdown;
  std::string html = render_html(results);
  expect_well_formed(html);
  EXPECT_TRUE(valid_utf8(html));
}

TEST(ReportMissingFields, NonFiniteNumbersAreNotAvailable) {
  json results = full_results();
  results["benchmarks"]["medqa"]["metrics"]["acc"]["value"] = std::numeric_limits<double>::quiet_NaN();
  results["benchmarks"]["medqa"]["metrics"]["acc_norm"] = std::numeric_limits<double>::infinity();
  results["benchmarks"]["medqa"]["n"] = std::numeric_limits<double>::quiet_NaN();
  std::string markdown = render_markdown(results);
  EXPECT_TRUE(contains(markdown, "| medqa | n/a | n/a | n/a | n/a | 43.0 |")) << markdown;
  expect_well_formed(render_html(results));
}

TEST(ReportMissingFields, ARequiredFieldMissingIsAnError) {
  EXPECT_THROW(render_markdown(json::array()), Error);
  EXPECT_THROW(render_html(json::parse(R"({"model": {}})")), Error);
  EXPECT_THROW(render_html(json::parse(R"({"benchmarks": null})")), Error);
  EXPECT_THROW(render_markdown(json::parse(R"({"benchmarks": [1]})")), Error);
  try {
    render_markdown(json::parse(R"({"model": {}})"));
    FAIL();
  } catch (const Error& error) {
    EXPECT_TRUE(contains(error.what(), "\"benchmarks\"")) << error.what();
  }
}

TEST(ReportFiles, WritesBothAtomically) {
  std::filesystem::path dir = test::fresh_temp_dir("report") / "nested" / "out";
  json results = full_results();
  write_reports(results, dir.string());
  EXPECT_EQ(test::read_file(dir / "summary.md"), render_markdown(results));
  EXPECT_EQ(test::read_file(dir / "report.html"), render_html(results));
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 2u);
  // A render error writes nothing.
  std::filesystem::path other = test::fresh_temp_dir("report-error");
  EXPECT_THROW(write_reports(json::object(), other.string()), Error);
  EXPECT_TRUE(std::filesystem::is_empty(other));
}

}  // namespace
}  // namespace medllm::eval
