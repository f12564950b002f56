#include "eval/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/html_text.hpp"

namespace medllm::eval {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kNa = "n/a";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr double kWilsonZ = 1.959963984540054;             // two-sided 95%
constexpr double kRequiredPassRate = 0.8;                  // 必修: 80% of its points

// ------------------------------------------------------------------------------------------
// JSON conversion and tolerant access: every field but "benchmarks" is optional.

Json to_ordered(const nlohmann::json& value) {
  using T = nlohmann::json::value_t;
  switch (value.type()) {
    case T::object: {
      Json out = Json::object();
      for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = to_ordered(it.value());
      return out;
    }
    case T::array: {
      Json out = Json::array();
      for (const auto& item : value) out.push_back(to_ordered(item));
      return out;
    }
    case T::string:
      return value.get_ref<const std::string&>();
    case T::boolean:
      return value.get<bool>();
    case T::number_integer:
      return value.get<std::int64_t>();
    case T::number_unsigned:
      return value.get<std::uint64_t>();
    case T::number_float:
      return value.get<double>();
    default:
      return nullptr;
  }
}

// The member `key` of `object`; nullptr when object is not an object, or the member is absent or null.
const Json* get(const Json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(std::string(key));
  if (it == object->end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* get_object(const Json* object, std::string_view key) {
  const Json* value = get(object, key);
  return value != nullptr && value->is_object() ? value : nullptr;
}

std::optional<double> num(const Json* value) {
  if (value == nullptr || !value->is_number()) return std::nullopt;
  double number = value->get<double>();
  if (!std::isfinite(number)) return std::nullopt;
  return number;
}

std::optional<double> num(const Json* object, std::string_view key) {
  return num(get(object, key));
}

std::optional<std::string> str(const Json* object, std::string_view key) {
  const Json* value = get(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::optional<bool> boolean(const Json* object, std::string_view key) {
  const Json* value = get(object, key);
  if (value == nullptr || !value->is_boolean()) return std::nullopt;
  return value->get<bool>();
}

std::string compact_dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ------------------------------------------------------------------------------------------
// Text: UTF-8 cleaning, HTML and Markdown escaping, display widths.

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Markdown inline text on one line (also valid inside a GFM table cell): line breaks become
// spaces and the punctuation that could start markup is backslash-escaped ('_' only where it
// could open emphasis, so snake_case names stay readable).
std::string md(std::string_view text) {
  std::string clean = clean_text(text);
  std::string out;
  out.reserve(clean.size() + 8);
  for (size_t i = 0; i < clean.size(); ++i) {
    char c = clean[i];
    switch (c) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '\\':
      case '`':
      case '*':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '&':
      case '~':
        out += '\\';
        out += c;
        break;
      case '_': {
        bool intraword = i > 0 && i + 1 < clean.size() && is_ascii_alnum(clean[i - 1]) && is_ascii_alnum(clean[i + 1]);
        if (!intraword) out += '\\';
        out += c;
        break;
      }
      case '#':
        if (out.empty()) out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// An inline code span when the text allows one, else escaped text.
std::string md_code(std::string_view text) {
  std::string clean = clean_text(text);
  if (clean.empty() || clean.find_first_of("`\n\r|") != std::string::npos) return md(clean);
  return "`" + clean + "`";
}

// Code points of (clean) UTF-8 text with their byte offsets.
std::vector<std::pair<std::uint32_t, size_t>> code_points(std::string_view text) {
  std::vector<std::pair<std::uint32_t, size_t>> out;
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    std::uint32_t code = length == 1 ? lead : lead & (0x7Fu >> length);
    for (size_t k = 1; k < length; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    out.emplace_back(code, i);
    i += length;
  }
  return out;
}

bool is_wide(std::uint32_t code) {
  return (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
         (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
         (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
         (code >= 0xFFE0 && code <= 0xFFE6) || code >= 0x20000;
}

// Rough rendered width of one code point in a sans-serif font of size 1.
double glyph_width(std::uint32_t code) {
  if (is_wide(code)) return 1.0;
  if (code == ' ' || code == '.' || code == ',' || code == ':' || code == 'i' || code == 'l' || code == '(' ||
      code == ')' || code == '|' || code == '\'' || code == '/')
    return 0.32;
  if (code >= 'A' && code <= 'Z') return 0.68;
  if (code == 'm' || code == 'w' || code == 'M' || code == 'W') return 0.85;
  return 0.58;
}

double text_width(std::string_view text, double font_size) {
  double width = 0;
  for (const auto& [code, offset] : code_points(text)) width += glyph_width(code);
  return width * font_size;
}

// The longest prefix of (clean) text fitting max_width, with "…" when shortened.
std::string fit_text(const std::string& text, double font_size, double max_width) {
  if (text_width(text, font_size) <= max_width) return text;
  double budget = max_width - font_size * 1.0;  // room for the ellipsis
  double width = 0;
  size_t end = 0;
  for (const auto& [code, offset] : code_points(text)) {
    width += glyph_width(code) * font_size;
    if (width > budget) break;
    end = offset + (code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4);
  }
  return text.substr(0, end) + "\xE2\x80\xA6";
}

// ------------------------------------------------------------------------------------------
// Numbers.

std::string fixed1(double value) {
  return fmt::format("{:.1f}", value);
}

std::string pct(std::optional<double> fraction) {
  return fraction ? fixed1(*fraction * 100) : std::string(kNa);
}

std::string count(std::optional<double> value) {
  if (!value) return std::string(kNa);
  if (std::floor(*value) == *value && std::fabs(*value) < 1e15)
    return fmt::format("{}", static_cast<long long>(*value));
  return fmt::format("{:g}", *value);
}

std::string duration(std::optional<double> seconds) {
  if (!seconds || *seconds < 0) return std::string(kNa);
  if (*seconds < 60) return fmt::format("{:.1f} s", *seconds);
  auto whole = static_cast<long long>(std::llround(*seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, (whole % 3600) / 60);
}

std::string parameter_count(std::optional<double> parameters) {
  if (!parameters) return std::string(kNa);
  double p = *parameters;
  std::string exact = count(parameters);
  if (p >= 1e9) return fmt::format("{:.3g}B ({})", p / 1e9, exact);
  if (p >= 1e6) return fmt::format("{:.3g}M ({})", p / 1e6, exact);
  if (p >= 1e3) return fmt::format("{:.3g}K ({})", p / 1e3, exact);
  return exact;
}

// Wilson score interval of a proportion p observed over n trials.
std::pair<double, double> wilson_interval(double p, double n) {
  p = std::clamp(p, 0.0, 1.0);
  double z2 = kWilsonZ * kWilsonZ;
  double denominator = 1 + z2 / n;
  double center = (p + z2 / (2 * n)) / denominator;
  double half = kWilsonZ * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

// A round step for about `target` intervals up to `max_value`.
double nice_step(double max_value, int target) {
  double raw = max_value / target;
  if (!(raw > 0)) return 1;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10 * magnitude;
}

std::string svg_number(double value) {
  return fmt::format("{:.1f}", value);
}

// ------------------------------------------------------------------------------------------
// The results, read once into views.

struct Estimate {
  std::optional<double> value;
  std::optional<double> low;
  std::optional<double> high;
};

Estimate estimate_of(const Json* metric) {
  Estimate out;
  if (metric == nullptr) return out;
  if (metric->is_number()) {
    out.value = num(metric);
    return out;
  }
  out.value = num(metric, "value");
  const Json* ci = get(metric, "ci95");
  if (ci != nullptr && ci->is_array() && ci->size() == 2) {
    std::optional<double> a = num(&(*ci)[0]);
    std::optional<double> b = num(&(*ci)[1]);
    if (a && b) {
      out.low = std::min(*a, *b);
      out.high = std::max(*a, *b);
    }
  }
  return out;
}

std::string estimate_text(const Estimate& estimate) {
  if (!estimate.value) return std::string(kNa);
  if (estimate.low && estimate.high) {
    return fmt::format("{} ({}–{})", pct(estimate.value), pct(estimate.low), pct(estimate.high));
  }
  return pct(estimate.value);
}

struct Bench {
  std::string name;
  const Json* data = nullptr;  // the benchmark's object; nullptr when it is not one
  std::optional<double> n;
  std::string language;  // "" when unknown
  std::string primary;   // the primary metric's name
  Estimate primary_estimate;
  std::optional<double> chance;
  const Json* exam = nullptr;         // IgakuQA-style exam object
  const Json* per_subject = nullptr;  // object of subject -> {n, acc}

  Estimate metric(std::string_view metric_name) const {
    return estimate_of(get(get_object(data, "metrics"), metric_name));
  }
};

std::vector<Bench> read_benchmarks(const Json& results) {
  const Json* benchmarks = get(&results, "benchmarks");
  std::vector<Bench> out;
  for (auto it = benchmarks->begin(); it != benchmarks->end(); ++it) {
    Bench bench;
    bench.name = clean_text(it.key());
    bench.data = it.value().is_object() ? &it.value() : nullptr;
    bench.n = num(bench.data, "n");
    bench.language = str(bench.data, "language").value_or("");
    const Json* metrics = get_object(bench.data, "metrics");
    if (auto primary = str(bench.data, "primary_metric")) {
      bench.primary = *primary;
    } else if (get(metrics, "acc") != nullptr || metrics == nullptr || metrics->empty()) {
      bench.primary = "acc";
    } else {
      bench.primary = metrics->begin().key();
    }
    bench.primary_estimate = bench.metric(bench.primary);
    bench.chance = num(bench.data, "chance");
    if (!bench.chance) {
      if (auto choices = num(bench.data, "num_choices"); choices && *choices >= 1) bench.chance = 1 / *choices;
    }
    bench.exam = get_object(bench.data, "exam");
    bench.per_subject = get_object(bench.data, "per_subject");
    out.push_back(std::move(bench));
  }
  return out;
}

std::string model_name(const Json& results) {
  const Json* model = get_object(&results, "model");
  if (auto path = str(model, "path")) {
    std::string trimmed = *path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    std::string name = std::filesystem::path(trimmed).filename().string();
    if (!name.empty()) return clean_text(name);
  }
  for (const char* key : {"architecture", "model_type"}) {
    if (auto value = str(model, key)) return clean_text(*value);
  }
  return "unknown model";
}

// Year keys sorted by number (then text).
std::vector<std::string> sorted_keys(const Json* object) {
  std::vector<std::string> keys;
  if (object == nullptr || !object->is_object()) return keys;
  for (auto it = object->begin(); it != object->end(); ++it) keys.push_back(it.key());
  std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    char* end_a = nullptr;
    char* end_b = nullptr;
    double x = std::strtod(a.c_str(), &end_a);
    double y = std::strtod(b.c_str(), &end_b);
    bool number_a = !a.empty() && *end_a == '\0';
    bool number_b = !b.empty() && *end_b == '\0';
    if (number_a && number_b && x != y) return x < y;
    if (number_a != number_b) return number_a;
    return a < b;
  });
  return keys;
}

// A comparison series of an exam: the baselines in results (object name -> years, or the exam
// scorer's array of {system, label, years}).
struct Baseline {
  std::string key;
  std::string label;
  const Json* years = nullptr;  // year -> {accuracy, points, possible, ...}
};

std::string baseline_label(const std::string& key) {
  if (key == "gpt4" || key == "gpt-4") return "GPT-4";
  if (key == "chatgpt") return "ChatGPT";
  if (key == "gpt3" || key == "gpt-3") return "GPT-3";
  if (key == "student-majority" || key == "student_majority") return "Student majority";
  return key;
}

int baseline_rank(const std::string& key) {
  static const std::vector<std::string> order = {
      "gpt4", "gpt-4", "chatgpt", "gpt3", "gpt-3", "student-majority", "student_majority"};
  auto it = std::find(order.begin(), order.end(), key);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

std::vector<Baseline> read_baselines(const Json* exam) {
  std::vector<Baseline> out;
  const Json* baselines = get(exam, "baselines");
  if (baselines == nullptr) return out;
  auto add = [&](const std::string& key, const Json& value, std::optional<std::string> label) {
    if (!value.is_object()) return;
    const Json* years = get_object(&value, "years");
    if (years == nullptr) years = &value;
    out.push_back({clean_text(key), clean_text(label.value_or(baseline_label(key))), years});
  };
  if (baselines->is_object()) {
    for (auto it = baselines->begin(); it != baselines->end(); ++it) {
      add(it.key(), it.value(), str(&it.value(), "label"));
    }
  } else if (baselines->is_array()) {
    for (const Json& entry : *baselines) {
      auto key = str(&entry, "system");
      if (!key) key = str(&entry, "label");
      if (key) add(*key, entry, str(&entry, "label"));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Baseline& a, const Baseline& b) { return baseline_rank(a.key) < baseline_rank(b.key); });
  return out;
}

// The years of an exam: the model's, or the baselines' when the model has none.
std::vector<std::string> exam_years(const Bench& bench, const std::vector<Baseline>& baselines) {
  std::vector<std::string> years = sorted_keys(get_object(bench.exam, "years"));
  if (!years.empty()) return years;
  std::set<std::string> seen;
  Json merged = Json::object();
  for (const Baseline& baseline : baselines) {
    for (const std::string& year : sorted_keys(baseline.years)) {
      if (seen.insert(year).second) merged[year] = true;
    }
  }
  return sorted_keys(&merged);
}

std::string points_text(const Json* entry) {
  auto points = num(entry, "points");
  auto possible = num(entry, "possible");
  if (points && possible) return count(points) + "/" + count(possible);
  if (points) return count(points);
  if (auto accuracy = num(entry, "accuracy")) return "acc " + pct(accuracy);
  return std::string(kNa);
}

std::optional<double> required_rate(const Json* year) {
  if (auto rate = num(year, "required_rate")) return rate;
  auto points = num(year, "required_points");
  auto possible = num(year, "required_possible");
  if (points && possible && *possible > 0) return *points / *possible;
  return std::nullopt;
}

std::string required_text(const Json* year) {
  auto points = num(year, "required_points");
  auto possible = num(year, "required_possible");
  auto rate = required_rate(year);
  if (points && possible) return fmt::format("{}/{} ({}%)", count(points), count(possible), pct(rate));
  if (rate) return pct(rate) + "%";
  return std::string(kNa);
}

std::string pass_text(std::optional<bool> pass) {
  if (!pass) return std::string(kNa);
  return *pass ? "pass" : "fail";
}

std::string kinki_text(const Json* year) {
  const Json* kinki = get(year, "kinki_chosen");
  if (kinki == nullptr) return std::string(kNa);
  if (kinki->is_array()) return fmt::format("{}", kinki->size());
  return count(num(kinki));
}

// A display of any config/model value: absent "n/a", null "none".
std::string value_text(const Json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return std::string(kNa);
  auto it = object->find(key);
  if (it == object->end()) return std::string(kNa);
  const Json& value = *it;
  if (value.is_null()) return "none";
  if (value.is_string()) return clean_text(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return count(num(&value));
  return clean_text(compact_dump(value));
}

const std::vector<std::string>& model_keys() {
  static const std::vector<std::string> keys = {"path",       "format", "model_type", "architecture",
                                                "parameters", "dtype",  "sha256"};
  return keys;
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {"method", "shots",   "limit",         "batch_size",       "threads",
                                                "seed",   "add_bos", "chat_template", "self_consistency", "data_root"};
  return keys;
}

// Known keys first, then the others in document order.
std::vector<std::string> keys_in_order(const Json* object, const std::vector<std::string>& known) {
  std::vector<std::string> keys = known;
  if (object != nullptr && object->is_object()) {
    for (auto it = object->begin(); it != object->end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) keys.push_back(it.key());
    }
  }
  return keys;
}

std::string model_value(const Json* model, const std::string& key) {
  if (key == "parameters" && num(model, "parameters")) return parameter_count(num(model, "parameters"));
  return value_text(model, key);
}

// ------------------------------------------------------------------------------------------
// Tables shared by both renderings: cells are plain text, escaped by the renderer.

struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned
  std::vector<std::vector<std::string>> rows;
};

Table summary_table(const std::vector<Bench>& benches, bool detailed) {
  Table table;
  if (detailed) {
    table.header = {"benchmark", "language", "n",   "primary metric (95% CI)", "acc", "acc_norm",
                    "acc_bytes", "skipped",  "time"};
    table.numeric = {false, false, true, true, true, true, true, true, true};
  } else {
    table.header = {"benchmark", "n", "primary metric (95% CI)", "acc", "acc_norm", "acc_bytes"};
    table.numeric = {false, true, false, true, true, true};
  }
  for (const Bench& bench : benches) {
    std::string primary =
        bench.primary_estimate.value ? bench.primary + " " + estimate_text(bench.primary_estimate) : std::string(kNa);
    std::vector<std::string> row = {bench.name};
    if (detailed) row.push_back(bench.language.empty() ? std::string(kNa) : clean_text(bench.language));
    row.push_back(count(bench.n));
    row.push_back(primary);
    for (const char* metric : {"acc", "acc_norm", "acc_bytes"}) row.push_back(pct(bench.metric(metric).value));
    if (detailed) {
      row.push_back(count(num(bench.data, "skipped")));
      row.push_back(duration(num(bench.data, "duration_s")));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table exam_table(const Bench& bench, const std::vector<Baseline>& baselines, bool detailed) {
  // The HTML table has more columns and shorter headings (explained in a note under it).
  Table table;
  if (detailed) {
    table.header = {"year",  "accuracy",      "points",    "required (必修)",
                    "≥ 80%", "禁忌肢 chosen", "text only", "with images"};
    table.numeric = {false, true, true, true, false, true, true, true};
  } else {
    table.header = {"year",          "accuracy",          "points", "required (必修)", "required ≥ 80%",
                    "禁忌肢 chosen", "text-only accuracy"};
    table.numeric = {false, true, true, true, false, true, true};
  }
  for (const Baseline& baseline : baselines) {
    table.header.push_back(detailed ? baseline.label : baseline.label + " points");
    table.numeric.push_back(true);
  }
  const Json* years = get_object(bench.exam, "years");
  for (const std::string& year_key : exam_years(bench, baselines)) {
    const Json* year = get_object(years, year_key);
    std::vector<std::string> row = {clean_text(year_key),
                                    pct(num(year, "accuracy")),
                                    points_text(year),
                                    required_text(year),
                                    pass_text(boolean(year, "required_pass")),
                                    kinki_text(year),
                                    pct(num(get_object(year, "text_only"), "accuracy"))};
    if (detailed) row.push_back(pct(num(get_object(year, "with_images"), "accuracy")));
    for (const Baseline& baseline : baselines) row.push_back(points_text(get_object(baseline.years, year_key)));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// Per-booklet points and accuracy (HTML only); empty when no year has booklets.
Table booklet_table(const Bench& bench) {
  Table table;
  const Json* years = get_object(bench.exam, "years");
  std::vector<std::string> year_keys = sorted_keys(years);
  std::set<std::string> booklet_set;
  for (const std::string& year : year_keys) {
    for (const std::string& booklet : sorted_keys(get_object(get_object(years, year), "booklets"))) {
      booklet_set.insert(booklet);
    }
  }
  if (booklet_set.empty()) return table;
  table.header = {"year"};
  table.numeric = {false};
  for (const std::string& booklet : booklet_set) {
    table.header.push_back("booklet " + booklet);
    table.numeric.push_back(true);
  }
  for (const std::string& year : year_keys) {
    const Json* booklets = get_object(get_object(years, year), "booklets");
    std::vector<std::string> row = {year};
    for (const std::string& booklet : booklet_set) {
      const Json* entry = get_object(booklets, booklet);
      if (entry == nullptr) {
        row.emplace_back(kNa);
        continue;
      }
      std::string points = points_text(entry);
      auto accuracy = num(entry, "accuracy");
      row.push_back(accuracy && num(entry, "points") ? fmt::format("{} · {}%", points, pct(accuracy)) : points);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string markdown_table(const Table& table) {
  std::string out;
  auto add_row = [&out](const std::vector<std::string>& cells) {
    out += '|';
    for (const std::string& cell : cells) {
      out += ' ';
      out += md(cell);
      out += " |";
    }
    out += '\n';
  };
  add_row(table.header);
  out += '|';
  for (bool numeric : table.numeric) out += numeric ? "---:|" : "---|";
  out += '\n';
  for (const auto& row : table.rows) add_row(row);
  return out;
}

std::string html_table(const Table& table, std::string_view css_class) {
  std::string out = fmt::format("<div class=\"wide\"><table class=\"{}\">\n<thead><tr>", css_class);
  for (size_t i = 0; i < table.header.size(); ++i) {
    out += fmt::format("<th{}>{}</th>", table.numeric[i] ? " class=\"num\"" : "", html_escape(table.header[i]));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      std::vector<std::string> classes;
      if (i < table.numeric.size() && table.numeric[i]) classes.emplace_back("num");
      if (row[i] == "pass") classes.emplace_back("pass");
      if (row[i] == "fail") classes.emplace_back("fail");
      if (row[i] == kNa) classes.emplace_back("na");
      std::string attribute;
      if (!classes.empty()) attribute = fmt::format(" class=\"{}\"", fmt::join(classes, " "));
      out += fmt::format("<t{0}{1}>{2}</t{0}>", i == 0 ? "h scope=\"row\"" : "d", attribute, html_escape(row[i]));
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table></div>\n";
  return out;
}

// ------------------------------------------------------------------------------------------
// How the numbers were computed (both renderings).

std::vector<std::string> method_notes(const Json& results, const std::vector<Bench>& benches) {
  const Json* config = get_object(&results, "config");
  std::vector<std::string> notes;
  std::string method = str(config, "method").value_or("");
  if (method == "loglik") {
    notes.push_back(
        "Method loglik: each choice is scored by the log-likelihood of its continuation after the prompt; the "
        "highest wins (lm-evaluation-harness multiple-choice rules).");
  } else if (method == "generate") {
    notes.push_back("Method generate: the model writes an answer, which is extracted and compared with the key.");
  } else {
    notes.push_back("Method: " + (method.empty() ? std::string(kNa) : clean_text(method)) + ".");
  }
  if (auto k = num(config, "self_consistency"); k && *k > 1) {
    notes.push_back(fmt::format("Self-consistency: the majority answer of {} samples per question.", count(k)));
  }
  notes.push_back(
      "acc: the choice with the highest summed log-likelihood; acc_norm: log-likelihood divided by the "
      "continuation's length in characters; acc_bytes: divided by its length in UTF-8 bytes. Accuracies are in %.");
  notes.push_back(
      "95% confidence intervals: Wilson score interval for a binomial proportion (z = 1.96) over the n scored "
      "items; per-subject whiskers are computed the same way from each subject's n and accuracy.");
  bool any_chance = std::any_of(benches.begin(), benches.end(), [](const Bench& b) { return b.chance.has_value(); });
  if (any_chance) notes.push_back("Chance level: 1 / number of choices, where the results give it.");
  bool any_exam = std::any_of(benches.begin(), benches.end(), [](const Bench& b) { return b.exam != nullptr; });
  if (any_exam) {
    notes.push_back(
        "Exam scoring (IgakuQA): accuracy = correct questions / all questions; a multi-answer question is right "
        "only for the exact set; points per question as the exam gives them (1, 3 for required clinical "
        "questions, 0 for dropped ones); the required section (必修) passes at ≥ 80% of its points; 禁忌肢 "
        "chosen = questions where a contraindicated choice was chosen. Baselines (GPT-4, ChatGPT, GPT-3, "
        "student majority) are the figures recorded in results.json.");
  }
  return notes;
}

Table scoring_table(const std::vector<Bench>& benches) {
  Table table;
  table.header = {"benchmark", "prompt format", "scoring", "primary metric", "skipped", "time"};
  table.numeric = {false, false, false, false, true, true};
  for (const Bench& bench : benches) {
    table.rows.push_back({bench.name, clean_text(str(bench.data, "prompt_format").value_or(std::string(kNa))),
                          clean_text(str(bench.data, "scoring").value_or(std::string(kNa))), clean_text(bench.primary),
                          count(num(bench.data, "skipped")), duration(num(bench.data, "duration_s"))});
  }
  return table;
}

void check_results(const Json& results) {
  if (!results.is_object()) fail("results: expected a JSON object, got {}", results.type_name());
  const Json* benchmarks = get(&results, "benchmarks");
  if (benchmarks == nullptr) fail("results: missing the required field \"benchmarks\"");
  if (!benchmarks->is_object()) {
    fail("results: field \"benchmarks\": expected an object (name -> result), got {}", benchmarks->type_name());
  }
}

// ------------------------------------------------------------------------------------------
// Markdown.

std::string markdown(const Json& results) {
  check_results(results);
  std::vector<Bench> benches = read_benchmarks(results);
  const Json* model = get_object(&results, "model");
  const Json* config = get_object(&results, "config");

  std::string out = "# Evaluation report: " + md(model_name(results)) + "\n\n";
  std::vector<std::string> model_parts;
  for (const char* key : {"format", "model_type", "architecture", "dtype"}) {
    if (auto value = str(model, key)) model_parts.push_back(md(*value));
  }
  if (auto parameters = num(model, "parameters"))
    model_parts.push_back(md(parameter_count(parameters)) + " parameters");
  if (auto sha = str(model, "sha256")) model_parts.push_back("sha256 " + md_code(sha->substr(0, 16)) + "…");
  out += "- **Model:** " + (str(model, "path") ? md_code(*str(model, "path")) : std::string(kNa));
  if (!model_parts.empty()) out += fmt::format(" ({})", fmt::join(model_parts, ", "));
  out += "\n- **Config:** ";
  std::vector<std::string> config_parts;
  for (const std::string& key : keys_in_order(config, config_keys())) {
    if (key == "data_root") continue;
    config_parts.push_back(md(key) + " " + md(value_text(config, key)));
  }
  out += fmt::format("{}", fmt::join(config_parts, ", "));
  if (auto root = str(config, "data_root")) out += ", data_root " + md_code(*root);
  out += "\n- **Run:** " + md(str(&results, "created").value_or(std::string(kNa))) + ", " +
         md(duration(num(&results, "duration_s"))) + ", medllm " +
         md(str(&results, "medllm_version").value_or(std::string(kNa))) + "\n\n";

  out += "## Summary\n\n" + markdown_table(summary_table(benches, false));
  out += "\nAccuracies in %; the primary metric's 95% CI is a Wilson score interval.\n";

  for (const Bench& bench : benches) {
    if (bench.exam == nullptr) continue;
    std::vector<Baseline> baselines = read_baselines(bench.exam);
    out += "\n## " + md(bench.name) + ": the exam year by year\n\n";
    Table table = exam_table(bench, baselines, false);
    if (table.rows.empty()) {
      out += "No per-year results.\n";
    } else {
      out += markdown_table(table);
      out += "\nAccuracy in %; points = points earned / possible; the required section (必修) passes at ≥ 80%.\n";
    }
  }

  out += "\n## How the numbers were computed\n\n";
  for (const std::string& note : method_notes(results, benches)) out += "- " + md(note) + "\n";
  out += "\n" + markdown_table(scoring_table(benches));
  return out;
}

// ------------------------------------------------------------------------------------------
// SVG charts.

const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr std::string_view kChanceColor = "#c0392b";
constexpr std::string_view kPassColor = "#59a14f";
constexpr std::string_view kFailColor = "#e15759";
constexpr double kChartWidth = 900;
// A white outline behind value labels keeps them legible over grid lines and whiskers.
constexpr std::string_view kHalo =
    "stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"";

std::string language_color(const std::string& language) {
  if (language == "en") return kPalette[0];
  if (language == "ja") return kPalette[1];
  return kPalette[3];
}

std::string language_name(const std::string& language) {
  if (language == "en") return "English";
  if (language == "ja") return "Japanese";
  if (language.empty()) return "language n/a";
  return language;
}

class Svg {
 public:
  Svg(double height, std::string_view label) {
    out_ = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
        "aria-label=\"{2}\">\n",
        svg_number(kChartWidth), svg_number(height), html_escape(label));
  }

  void rect(double x, double y, double width, double height, std::string_view fill, std::string_view tooltip = {}) {
    out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"", svg_number(x), svg_number(y),
                        svg_number(std::max(0.0, width)), svg_number(std::max(0.0, height)), fill);
    if (tooltip.empty()) {
      out_ += "/>\n";
    } else {
      out_ += fmt::format("><title>{}</title></rect>\n", html_escape(tooltip));
    }
  }

  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view dash = {}) {
    out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"",
                        svg_number(x1), svg_number(y1), svg_number(x2), svg_number(y2), stroke, svg_number(width));
    if (!dash.empty()) out_ += fmt::format(" stroke-dasharray=\"{}\"", dash);
    out_ += "/>\n";
  }

  // anchor: start | middle | end; extra: further attributes (already escaped).
  void text(double x, double y, std::string_view content, std::string_view anchor = "start", double size = 12,
            std::string_view extra = {}) {
    out_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\"", svg_number(x), svg_number(y), svg_number(size));
    if (anchor != "start") out_ += fmt::format(" text-anchor=\"{}\"", anchor);
    if (!extra.empty()) out_ += fmt::format(" {}", extra);
    out_ += fmt::format(">{}</text>\n", html_escape(content));
  }

  // Legend items left to right from (x, y); kind: "box", "dash" (a dashed line), "whisker".
  struct LegendItem {
    std::string kind;
    std::string color;
    std::string label;
  };
  void legend(double x, double y, const std::vector<LegendItem>& items) {
    for (const LegendItem& item : items) {
      if (item.kind == "box") {
        rect(x, y - 10, 14, 12, item.color);
      } else if (item.kind == "dash") {
        line(x + 7, y - 12, x + 7, y + 3, item.color, 2, "4 3");
      } else if (item.kind == "hdash") {
        line(x, y - 4, x + 16, y - 4, item.color, 2, "5 3");
      } else {
        line(x, y - 4, x + 14, y - 4, item.color, 1.5);
        line(x, y - 8, x, y, item.color, 1.5);
        line(x + 14, y - 8, x + 14, y, item.color, 1.5);
      }
      text(x + 20, y, item.label, "start", 12);
      x += 20 + text_width(item.label, 12) + 22;
    }
  }

  std::string finish() { return out_ + "</svg>\n"; }

 private:
  std::string out_;
};

// Horizontal bars for one value per row (0..1 on the axis), with optional CI whiskers and
// chance markers: used for the per-benchmark and the per-subject charts.
struct BarRow {
  std::string label;     // main label (clean text)
  std::string sublabel;  // second line under the label, or ""
  std::optional<double> value;
  std::optional<double> low, high;
  std::optional<double> chance;
  std::string color;
  std::string tooltip;
};

struct BarChartStyle {
  double label_width = 220;  // left area for labels
  double row_height = 36;
  double bar_height = 18;
  double label_size = 13;
  int tick_step_percent = 10;
  std::string axis_title;
  std::vector<Svg::LegendItem> legend;
  std::optional<double> reference;  // a full-height dashed line (e.g. overall accuracy)
  std::string reference_label;
  std::optional<double> chance_line;  // a full-height chance line
  std::string aria_label;
};

std::string bar_chart(const std::vector<BarRow>& rows, const BarChartStyle& style) {
  const double left = style.label_width + 10;
  const double right = kChartWidth - 60;
  const double plot_width = right - left;
  const double top = style.legend.empty() ? 24 : 44;
  const double plot_height = style.row_height * static_cast<double>(rows.size());
  const double height = top + plot_height + 52;
  auto x_of = [&](double fraction) { return left + std::clamp(fraction, 0.0, 1.0) * plot_width; };

  Svg svg(height, style.aria_label);
  for (size_t i = 1; i < rows.size(); i += 2) {
    svg.rect(0, top + style.row_height * static_cast<double>(i), kChartWidth, style.row_height, "#f6f7f9");
  }
  if (!style.legend.empty()) svg.legend(left, 20, style.legend);
  for (int percent = 0; percent <= 100; percent += style.tick_step_percent) {
    double x = x_of(percent / 100.0);
    svg.line(x, top - 4, x, top + plot_height, percent == 0 ? "#888" : "#e2e2e2", 1);
    svg.text(x, top + plot_height + 16, fmt::format("{}", percent), "middle", 11, "fill=\"#555\"");
  }
  svg.text(left + plot_width / 2, top + plot_height + 38, style.axis_title, "middle", 12, "fill=\"#333\"");

  // Bars, whiskers and chance markers first, then the full-height reference lines, then the
  // value labels on top of everything.
  std::vector<std::pair<double, double>> value_anchors(rows.size(), {0, 0});  // (bar end, whisker end)
  for (size_t i = 0; i < rows.size(); ++i) {
    const BarRow& row = rows[i];
    double row_top = top + style.row_height * static_cast<double>(i);
    double center = row_top + style.row_height / 2;
    double label_x = left - 10;
    std::string label = fit_text(row.label, style.label_size, style.label_width - 4);
    if (row.sublabel.empty()) {
      svg.text(label_x, center + style.label_size * 0.35, label, "end", style.label_size);
    } else {
      svg.text(label_x, center - 2, label, "end", style.label_size, "font-weight=\"600\"");
      svg.text(label_x, center + 12, fit_text(row.sublabel, 11, style.label_width - 4), "end", 11, "fill=\"#666\"");
    }
    if (!row.value) {
      svg.text(left + 6, center + 4, kNa, "start", 12, "fill=\"#999\"");
      continue;
    }
    double bar_end = x_of(*row.value);
    svg.rect(left, center - style.bar_height / 2, bar_end - left, style.bar_height, row.color, row.tooltip);
    double value_anchor = bar_end;
    if (row.low && row.high) {
      double x1 = x_of(*row.low);
      double x2 = x_of(*row.high);
      double cap = style.bar_height / 2 - 2;
      svg.line(x1, center, x2, center, "#222", 1.5);
      svg.line(x1, center - cap, x1, center + cap, "#222", 1.5);
      svg.line(x2, center - cap, x2, center + cap, "#222", 1.5);
      value_anchor = std::max(value_anchor, x2);
    }
    if (row.chance) {
      double x = x_of(*row.chance);
      svg.line(x, row_top + 3, x, row_top + style.row_height - 3, kChanceColor, 2, "4 3");
    }
    value_anchors[i] = {bar_end, value_anchor};
  }
  // The reference (overall) and chance lines are labelled above the plot, each label on the side
  // away from the other line so that the two never overlap.
  bool chance_left = !style.reference || !style.chance_line || *style.chance_line <= *style.reference;
  if (style.reference) {
    double x = x_of(*style.reference);
    svg.line(x, top - 4, x, top + plot_height, "#333", 1.5, "6 4");
    svg.text(chance_left ? x + 4 : x - 4, top - 8, style.reference_label, chance_left ? "start" : "end", 11,
             "fill=\"#333\"");
  }
  if (style.chance_line) {
    double x = x_of(*style.chance_line);
    svg.line(x, top - 4, x, top + plot_height, kChanceColor, 1.5, "4 3");
    svg.text(chance_left ? x - 4 : x + 4, top - 8, fmt::format("chance {}", pct(style.chance_line)),
             chance_left ? "end" : "start", 11, fmt::format("fill=\"{}\"", kChanceColor));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].value) continue;
    double center = top + style.row_height * (static_cast<double>(i) + 0.5);
    auto [bar_end, value_anchor] = value_anchors[i];
    std::string label = pct(rows[i].value);
    if (value_anchor + 8 + text_width(label, 12) <= kChartWidth - 4) {
      svg.text(value_anchor + 6, center + 4, label, "start", 12, fmt::format("font-weight=\"600\" {}", kHalo));
    } else {
      svg.text(bar_end - 6, center + 4, label, "end", 12, "fill=\"#fff\" font-weight=\"600\"");
    }
  }
  return svg.finish();
}

std::string accuracy_chart(const std::vector<Bench>& benches) {
  std::vector<BarRow> rows;
  std::vector<std::string> languages;
  bool any_ci = false;
  bool any_chance = false;
  for (const Bench& bench : benches) {
    BarRow row;
    row.label = bench.name;
    row.sublabel = fmt::format("{} · n={}", clean_text(bench.primary), count(bench.n));
    row.value = bench.primary_estimate.value;
    row.low = bench.primary_estimate.low;
    row.high = bench.primary_estimate.high;
    row.chance = bench.chance;
    row.color = language_color(bench.language);
    row.tooltip =
        fmt::format("{}: {} {}%", bench.name, clean_text(bench.primary), estimate_text(bench.primary_estimate));
    if (bench.chance) row.tooltip += fmt::format("; chance {}%", pct(bench.chance));
    if (std::find(languages.begin(), languages.end(), bench.language) == languages.end()) {
      languages.push_back(bench.language);
    }
    any_ci = any_ci || (row.low && row.high);
    any_chance = any_chance || row.chance.has_value();
    rows.push_back(std::move(row));
  }
  BarChartStyle style;
  style.axis_title = "accuracy (%) — each benchmark's primary metric";
  style.aria_label = "Accuracy per benchmark with 95% confidence intervals";
  for (const std::string& language : languages) {
    style.legend.push_back({"box", language_color(language), clean_text(language_name(language))});
  }
  if (any_ci) style.legend.push_back({"whisker", "#222", "95% CI (Wilson)"});
  if (any_chance) style.legend.push_back({"dash", std::string(kChanceColor), "chance level"});
  return bar_chart(rows, style);
}

std::string subject_chart(const Bench& bench) {
  struct Entry {
    std::string name;
    std::optional<double> n;
    std::optional<double> accuracy;
  };
  std::vector<Entry> entries;
  for (auto it = bench.per_subject->begin(); it != bench.per_subject->end(); ++it) {
    const Json* entry = &it.value();
    std::optional<double> accuracy;
    if (entry->is_number()) {
      accuracy = num(entry);
    } else {
      accuracy = num(entry, "acc");
      if (!accuracy) accuracy = num(entry, "accuracy");
      if (!accuracy) accuracy = estimate_of(get(get_object(entry, "metrics"), bench.primary)).value;
    }
    entries.push_back({clean_text(it.key()), num(entry, "n"), accuracy});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.accuracy.has_value() != b.accuracy.has_value()) return a.accuracy.has_value();
    if (a.accuracy && *a.accuracy != *b.accuracy) return *a.accuracy > *b.accuracy;
    if (a.n.value_or(0) != b.n.value_or(0)) return a.n.value_or(0) > b.n.value_or(0);
    return a.name < b.name;
  });
  std::vector<BarRow> rows;
  for (const Entry& entry : entries) {
    BarRow row;
    row.label = fmt::format("{} (n={})", entry.name, count(entry.n));
    row.value = entry.accuracy;
    if (entry.accuracy && entry.n && *entry.n > 0) {
      auto [low, high] = wilson_interval(*entry.accuracy, *entry.n);
      row.low = low;
      row.high = high;
    }
    row.color = language_color(bench.language);
    row.tooltip = fmt::format("{}: {}% (n={})", entry.name, pct(entry.accuracy), count(entry.n));
    if (row.low && row.high) row.tooltip += fmt::format(", 95% CI {}–{}", pct(row.low), pct(row.high));
    rows.push_back(std::move(row));
  }
  BarChartStyle style;
  style.label_width = 300;
  style.row_height = 22;
  style.bar_height = 14;
  style.label_size = 12;
  style.axis_title = "accuracy (%) — sorted; whiskers: 95% CI (Wilson) from each subject's n";
  style.aria_label = fmt::format("Accuracy per subject of {}", bench.name);
  std::optional<double> overall = bench.metric("acc").value;
  if (!overall) overall = bench.primary_estimate.value;
  style.reference = overall;
  style.reference_label = fmt::format("overall {}", pct(overall));
  style.chance_line = bench.chance;
  style.legend.push_back({"box", language_color(bench.language), "accuracy"});
  style.legend.push_back({"whisker", "#222", "95% CI"});
  if (overall) style.legend.push_back({"hdash", "#333", "overall"});
  if (bench.chance) style.legend.push_back({"hdash", std::string(kChanceColor), "chance level"});
  return bar_chart(rows, style);
}

struct Series {
  std::string label;
  std::string color;
  const Json* years = nullptr;  // year -> entry
  bool model = false;
};

std::vector<Series> exam_series(const Bench& bench, const std::vector<Baseline>& baselines,
                                const std::string& model_label) {
  std::vector<Series> series = {{model_label, kPalette[0], get_object(bench.exam, "years"), true}};
  const char* const colors[] = {kPalette[1], kPalette[2], kPalette[3], kPalette[4], kPalette[5],
                                kPalette[6], kPalette[7], kPalette[8], kPalette[9]};
  size_t next = 0;
  for (const Baseline& baseline : baselines) {
    series.push_back({baseline.label, colors[next % std::size(colors)], baseline.years, false});
    ++next;
  }
  return series;
}

// Points per year, the model beside each baseline, with each year's possible points.
std::string points_chart(const Bench& bench, const std::vector<std::string>& years, const std::vector<Series>& all) {
  std::vector<Series> series;
  for (const Series& s : all) {
    bool any = std::any_of(years.begin(), years.end(), [&](const std::string& year) {
      return num(get_object(s.years, year), "points").has_value();
    });
    if (any) series.push_back(s);
  }
  if (series.empty() || years.empty()) return {};
  double max_value = 0;
  std::vector<std::optional<double>> possible(years.size());
  for (size_t j = 0; j < years.size(); ++j) {
    for (const Series& s : all) {
      if (!possible[j]) possible[j] = num(get_object(s.years, years[j]), "possible");
    }
    if (possible[j]) max_value = std::max(max_value, *possible[j]);
    for (const Series& s : series)
      max_value = std::max(max_value, num(get_object(s.years, years[j]), "points").value_or(0));
  }
  if (max_value <= 0) max_value = 1;
  double step = nice_step(max_value * 1.06, 5);
  double axis_max = std::ceil(max_value * 1.06 / step) * step;

  const double left = 64, right = kChartWidth - 20, top = 48, plot_height = 280;
  const double plot_width = right - left;
  const double height = top + plot_height + 58;
  auto y_of = [&](double value) { return top + plot_height - std::clamp(value / axis_max, 0.0, 1.0) * plot_height; };

  Svg svg(height, fmt::format("Points per year on {}, the model beside the baselines", bench.name));
  std::vector<Svg::LegendItem> legend;
  for (const Series& s : series) legend.push_back({"box", s.color, s.label});
  if (std::any_of(possible.begin(), possible.end(), [](const auto& p) { return p.has_value(); })) {
    legend.push_back({"hdash", "#333", "possible points"});
  }
  svg.legend(left, 20, legend);
  for (double tick = 0; tick <= axis_max + step / 2; tick += step) {
    double y = y_of(tick);
    svg.line(left, y, right, y, tick == 0 ? "#888" : "#e2e2e2", 1);
    svg.text(left - 8, y + 4, count(tick), "end", 11, "fill=\"#555\"");
  }
  svg.text(18, top + plot_height / 2, "points", "middle", 12,
           fmt::format("fill=\"#333\" transform=\"rotate(-90 18 {})\"", svg_number(top + plot_height / 2)));

  const double group_width = plot_width / static_cast<double>(years.size());
  const double bar_width = std::min(34.0, group_width * 0.84 / static_cast<double>(series.size()));
  const bool rotate_values = bar_width < 20;
  for (size_t j = 0; j < years.size(); ++j) {
    double group_left = left + group_width * static_cast<double>(j) +
                        (group_width - bar_width * static_cast<double>(series.size())) / 2;
    double group_center = left + group_width * (static_cast<double>(j) + 0.5);
    for (size_t s = 0; s < series.size(); ++s) {
      const Json* entry = get_object(series[s].years, years[j]);
      auto points = num(entry, "points");
      if (!points) continue;
      double x = group_left + bar_width * static_cast<double>(s);
      double y = y_of(*points);
      std::string tooltip = fmt::format("{} {}: {} points", series[s].label, years[j], points_text(entry));
      if (auto accuracy = num(entry, "accuracy")) tooltip += fmt::format(", accuracy {}%", pct(accuracy));
      svg.rect(x + 1, y, bar_width - 2, top + plot_height - y, series[s].color, tooltip);
      if (rotate_values) {
        double cx = x + bar_width / 2 + 4;
        svg.text(cx, y - 4, count(points), "start", 10,
                 fmt::format("transform=\"rotate(-90 {} {})\" {}", svg_number(cx), svg_number(y - 4), kHalo));
      } else {
        svg.text(x + bar_width / 2, y - 4, count(points), "middle", 10,
                 fmt::format("{} {}", series[s].model ? "font-weight=\"700\"" : "fill=\"#333\"", kHalo));
      }
    }
    if (possible[j]) {
      double y = y_of(*possible[j]);
      svg.line(group_left - 4, y, group_left + bar_width * static_cast<double>(series.size()) + 4, y, "#333", 1.5,
               "5 3");
    }
    svg.text(group_center, top + plot_height + 18, clean_text(years[j]), "middle", 13, "font-weight=\"600\"");
    if (possible[j]) {
      svg.text(group_center, top + plot_height + 34, fmt::format("of {}", count(possible[j])), "middle", 11,
               "fill=\"#666\"");
    }
  }
  return svg.finish();
}

// Required-section (必修) rate per year against the 80% pass line.
std::string required_chart(const Bench& bench, const std::vector<std::string>& years, const std::vector<Series>& all) {
  std::vector<Series> series;
  for (const Series& s : all) {
    bool any = std::any_of(years.begin(), years.end(), [&](const std::string& year) {
      return required_rate(get_object(s.years, year)).has_value();
    });
    if (any) series.push_back(s);
  }
  if (series.empty() || years.empty()) return {};
  const double left = 64, right = kChartWidth - 110, top = 44, plot_height = 170;
  const double plot_width = right - left;
  const double height = top + plot_height + 40;
  auto y_of = [&](double fraction) { return top + plot_height - std::clamp(fraction, 0.0, 1.0) * plot_height; };

  Svg svg(height, fmt::format("Required-section rate per year on {} against the 80% pass line", bench.name));
  std::vector<Svg::LegendItem> legend;
  for (const Series& s : series) {
    if (s.model) {
      legend.push_back({"box", std::string(kPassColor), s.label + ": pass"});
      legend.push_back({"box", std::string(kFailColor), s.label + ": fail"});
    } else {
      legend.push_back({"box", s.color, s.label});
    }
  }
  legend.push_back({"hdash", "#333", "pass line 80%"});
  svg.legend(left, 20, legend);
  for (int percent = 0; percent <= 100; percent += 20) {
    double y = y_of(percent / 100.0);
    svg.line(left, y, right, y, percent == 0 ? "#888" : "#e2e2e2", 1);
    svg.text(left - 8, y + 4, fmt::format("{}%", percent), "end", 11, "fill=\"#555\"");
  }
  svg.text(18, top + plot_height / 2, "required (必修)", "middle", 12,
           fmt::format("fill=\"#333\" transform=\"rotate(-90 18 {})\"", svg_number(top + plot_height / 2)));

  const double group_width = plot_width / static_cast<double>(years.size());
  const double bar_width = std::min(44.0, group_width * 0.7 / static_cast<double>(series.size()));
  for (size_t j = 0; j < years.size(); ++j) {
    double group_left = left + group_width * static_cast<double>(j) +
                        (group_width - bar_width * static_cast<double>(series.size())) / 2;
    for (size_t s = 0; s < series.size(); ++s) {
      const Json* entry = get_object(series[s].years, years[j]);
      auto rate = required_rate(entry);
      if (!rate) continue;
      std::optional<bool> pass = boolean(entry, "required_pass");
      bool passed = pass.value_or(*rate >= kRequiredPassRate);
      std::string color = series[s].model ? std::string(passed ? kPassColor : kFailColor) : series[s].color;
      double x = group_left + bar_width * static_cast<double>(s);
      double y = y_of(*rate);
      svg.rect(x + 1, y, bar_width - 2, top + plot_height - y, color,
               fmt::format("{} {}: required {} ({})", series[s].label, years[j], required_text(entry),
                           passed ? "pass" : "fail"));
      // Inside the top of the bar, moved below the 80% line where the line would cross it; above
      // the bar when the bar is too short.
      double label_size = bar_width < 30 ? 9 : 11;
      double base = top + plot_height;
      double label_y = y + label_size + 3;
      double pass_line = y_of(kRequiredPassRate);
      if (pass_line >= label_y - label_size - 2 && pass_line <= label_y + 2) label_y = pass_line + label_size + 5;
      bool inside = label_y <= base - 2;
      svg.text(x + bar_width / 2, inside ? label_y : y - 4, pct(rate), "middle", label_size,
               inside ? "fill=\"#fff\" font-weight=\"700\"" : fmt::format("font-weight=\"700\" {}", kHalo));
    }
    svg.text(left + group_width * (static_cast<double>(j) + 0.5), top + plot_height + 18, clean_text(years[j]),
             "middle", 13, "font-weight=\"600\"");
  }
  double pass_y = y_of(kRequiredPassRate);
  svg.line(left, pass_y, right, pass_y, "#333", 1.5, "6 4");
  svg.text(right + 6, pass_y + 4, "pass line 80%", "start", 11, "fill=\"#333\"");
  return svg.finish();
}

// ------------------------------------------------------------------------------------------
// HTML.

constexpr std::string_view kStyle = R"css(
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

// Unique element ids from arbitrary names.
class IdMaker {
 public:
  std::string make(std::string_view prefix, std::string_view name) {
    std::string id(prefix);
    bool dash = !id.empty();
    for (char c : name) {
      if (is_ascii_alnum(c)) {
        if (dash && !id.empty()) id += '-';
        id += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        dash = false;
      } else {
        dash = true;
      }
    }
    if (id.empty() || id == prefix) id = std::string(prefix) + (prefix.empty() ? "id" : "-x");
    std::string unique = id;
    for (int k = 2; !used_.insert(unique).second; ++k) unique = fmt::format("{}-{}", id, k);
    return unique;
  }

 private:
  std::set<std::string> used_;
};

std::string kv_table(const std::string& caption, const Json* object, const std::vector<std::string>& keys, bool model) {
  std::string out = fmt::format("<table class=\"kv\">\n<caption>{}</caption>\n<tbody>\n", html_escape(caption));
  for (const std::string& key : keys) {
    std::string value = model ? model_value(object, key) : value_text(object, key);
    bool code = key == "path" || key == "sha256" || key == "data_root";
    std::string cell = value == kNa ? "<span class=\"na\">n/a</span>"
                       : code       ? "<code>" + html_escape(value) + "</code>"
                                    : html_escape(value);
    out += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", html_escape(key), cell);
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>\n" + svg + "<figcaption>" + html_escape(caption) + "</figcaption>\n</figure>\n";
}

std::string html(const Json& results) {
  check_results(results);
  std::vector<Bench> benches = read_benchmarks(results);
  const Json* model = get_object(&results, "model");
  const Json* config = get_object(&results, "config");
  const std::string name = model_name(results);
  IdMaker ids;

  struct Link {
    std::string id;
    std::string label;
  };
  std::vector<Link> links;
  std::string body;

  // Summary and the accuracy chart.
  std::string summary_id = ids.make("", "summary");
  links.push_back({summary_id, "Summary"});
  body += fmt::format("<section id=\"{}\">\n<h2>Summary</h2>\n", summary_id);
  if (benches.empty()) {
    body += "<p class=\"na\">No benchmarks in the results.</p>\n";
  } else {
    body += html_table(summary_table(benches, true), "summary");
    body +=
        "<p class=\"note\">Accuracies in %. The primary metric is shown with its 95% confidence interval "
        "(Wilson score interval).</p>\n";
  }
  body += "</section>\n";
  if (!benches.empty()) {
    std::string id = ids.make("", "accuracy");
    links.push_back({id, "Accuracy"});
    body += fmt::format("<section id=\"{}\">\n<h2>Accuracy per benchmark</h2>\n", id);
    body += figure(accuracy_chart(benches),
                   "Primary metric of each benchmark (bar), its 95% Wilson confidence interval (whiskers) and, where "
                   "the results give it, the chance level (red dashed marker).");
    body += "</section>\n";
  }

  // Exams.
  for (const Bench& bench : benches) {
    if (bench.exam == nullptr) continue;
    std::vector<Baseline> baselines = read_baselines(bench.exam);
    std::vector<std::string> years = exam_years(bench, baselines);
    std::vector<Series> series = exam_series(bench, baselines, name);
    std::string id = ids.make("exam", bench.name);
    links.push_back({id, bench.name + " exam"});
    body += fmt::format("<section id=\"{}\">\n<h2>{}: the exam year by year</h2>\n", id, html_escape(bench.name));
    Table table = exam_table(bench, baselines, true);
    if (table.rows.empty()) {
      body += "<p class=\"na\">No per-year results.</p>\n";
    } else {
      body += html_table(table, "exam");
      std::string note =
          "Accuracy, text only (questions without figures) and with images: % of questions answered correctly. "
          "Points: earned / possible. Required: the 必修 section's points and rate; it passes at ≥ 80%.";
      if (!baselines.empty()) {
        std::vector<std::string> labels;
        for (const Baseline& baseline : baselines) labels.push_back(baseline.label);
        note += fmt::format(" {}: their points on the same year.", fmt::join(labels, ", "));
      }
      body += "<p class=\"note\">" + html_escape(note) + "</p>\n";
    }
    std::string points = points_chart(bench, years, series);
    if (!points.empty()) {
      body += "<h3>Points per year</h3>\n";
      body += figure(points,
                     "Points earned per exam year by this model and the recorded baselines; the dashed line over each "
                     "group is that year's possible points.");
    }
    std::string required = required_chart(bench, years, series);
    if (!required.empty()) {
      body += "<h3>Required section (必修) per year</h3>\n";
      body += figure(required,
                     "Share of the required section's points earned per year; the section passes at 80% (dashed "
                     "line).");
    }
    Table booklets = booklet_table(bench);
    if (!booklets.rows.empty()) {
      body += "<h3>Per booklet</h3>\n" + html_table(booklets, "booklets");
      body += "<p class=\"note\">points earned / possible · accuracy %.</p>\n";
    }
    body += "</section>\n";
  }

  // Per subject / specialty.
  for (const Bench& bench : benches) {
    if (bench.per_subject == nullptr || bench.per_subject->empty()) continue;
    std::string kind = bench.exam != nullptr ? "specialty" : "subject";
    std::string id = ids.make("subjects", bench.name);
    links.push_back({id, bench.name + " per " + kind});
    body += fmt::format("<section id=\"{}\">\n<h2>{}: accuracy per {}</h2>\n", id, html_escape(bench.name),
                        html_escape(kind));
    body += figure(subject_chart(bench),
                   fmt::format("Accuracy per {} sorted from highest, with the number of questions (n) and a 95% "
                               "Wilson interval from n; the dashed line is the benchmark's overall accuracy.",
                               kind));
    body += "</section>\n";
  }

  // Example prompts.
  {
    std::string id = ids.make("", "prompts");
    links.push_back({id, "Example prompts"});
    body += fmt::format("<section id=\"{}\">\n<h2>Example prompts</h2>\n", id);
    bool any = false;
    for (const Bench& bench : benches) {
      auto prompt = str(bench.data, "example_prompt");
      if (!prompt) continue;
      any = true;
      std::string lang = bench.language.empty() ? "" : fmt::format(" lang=\"{}\"", html_escape(bench.language));
      body += fmt::format("<h3 id=\"{}\">{}</h3>\n", ids.make("prompt", bench.name), html_escape(bench.name));
      body += fmt::format("<p class=\"note\">prompt format: {} · scoring: {}</p>\n",
                          html_escape(str(bench.data, "prompt_format").value_or(std::string(kNa))),
                          html_escape(str(bench.data, "scoring").value_or(std::string(kNa))));
      body += fmt::format("<pre{}>{}</pre>\n", lang, html_escape(*prompt));
    }
    if (!any) body += "<p class=\"na\">No example prompts in the results.</p>\n";
    body += "</section>\n";
  }

  // Footer: how the numbers were computed.
  std::string method_id = ids.make("", "method");
  links.push_back({method_id, "Method"});
  std::string footer = fmt::format("<footer id=\"{}\">\n<h2>How the numbers were computed</h2>\n<ul>\n", method_id);
  for (const std::string& note : method_notes(results, benches)) footer += "<li>" + html_escape(note) + "</li>\n";
  footer += "</ul>\n";
  if (!benches.empty()) footer += html_table(scoring_table(benches), "scoring");
  footer += fmt::format("<p class=\"note\">Report written by medllm {} from results.json created {}.</p>\n</footer>\n",
                        html_escape(str(&results, "medllm_version").value_or(std::string(kNa))),
                        html_escape(str(&results, "created").value_or(std::string(kNa))));

  // Page.
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>Evaluation report: {}</title>\n", html_escape(name));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
  out += fmt::format("<header>\n<h1>Evaluation report: {}</h1>\n", html_escape(name));
  std::string method = value_text(config, "method");
  out += fmt::format("<p class=\"subtitle\">{} · {} · method {} · {} shots · medllm {}</p>\n",
                     html_escape(str(&results, "created").value_or("date n/a")),
                     html_escape("took " + duration(num(&results, "duration_s"))), html_escape(method),
                     html_escape(value_text(config, "shots")),
                     html_escape(str(&results, "medllm_version").value_or(std::string(kNa))));
  out += "<div class=\"meta\">\n";
  out += kv_table("Model", model, keys_in_order(model, model_keys()), true);
  out += kv_table("Configuration", config, keys_in_order(config, config_keys()), false);
  out += "</div>\n<nav>";
  for (const Link& link : links) out += fmt::format("<a href=\"#{}\">{}</a>", link.id, html_escape(link.label));
  out += "</nav>\n</header>\n<main>\n";
  out += body;
  out += "</main>\n";
  out += footer;
  out += "</body>\n</html>\n";
  return out;
}

void write_both(const Json& results, const std::string& out_dir) {
  std::string summary = markdown(results);
  std::string page = html(results);
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) fail("cannot create the report directory {}: {}", out_dir, error.message());
  write_file_atomically((std::filesystem::path(out_dir) / "summary.md").string(), summary);
  write_file_atomically((std::filesystem::path(out_dir) / "report.html").string(), page);
}

}  // namespace

std::string render_markdown(const nlohmann::json& results) {
  return markdown(to_ordered(results));
}
std::string render_markdown(const nlohmann::ordered_json& results) {
  return markdown(results);
}
std::string render_html(const nlohmann::json& results) {
  return html(to_ordered(results));
}
std::string render_html(const nlohmann::ordered_json& results) {
  return html(results);
}
void write_reports(const nlohmann::json& results, const std::string& out_dir) {
  write_both(to_ordered(results), out_dir);
}
void write_reports(const nlohmann::ordered_json& results, const std::string& out_dir) {
  write_both(results, out_dir);
}

}  // namespace medllm::eval
