// Post-processors of tokenizer.json for single sequences: TemplateProcessing, BertProcessing,
// RobertaProcessing, ByteLevel (offsets only: no change to ids) and Sequence.

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

namespace {

// The ids before and after the sequence.
class Surround final : public PostProcessor {
 public:
  Surround(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<int32_t> before_;
  std::vector<int32_t> after_;
};

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> parse_template(const json& config, const std::string& where) {
  const json& single = required_array(config, "single", where);
  const json& specials = config.contains("special_tokens") ? config["special_tokens"] : json::object();
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const std::string item_where = fmt::format("{}.single[{}]", where, i);
    const json& item = single[i];
    if (item.contains("Sequence")) {
      if (seen_sequence) fail("{}: a single-sequence template may hold one Sequence", item_where);
      seen_sequence = true;
      continue;
    }
    if (!item.contains("SpecialToken")) fail("{}: expected SpecialToken or Sequence", item_where);
    const std::string name = required_string(item["SpecialToken"], "id", item_where + ".SpecialToken");
    if (!specials.contains(name)) fail("{}: special token '{}' is not in special_tokens", item_where, name);
    const json& ids = required_field(specials[name], "ids", where + ".special_tokens");
    if (!ids.is_array()) fail("{}.special_tokens['{}'].ids: expected an array", where, name);
    for (const json& id : ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (int64_t{1} << 24)) {
        fail("{}.special_tokens['{}'].ids: expected token ids, found {}", where, name, json_for_message(id));
      }
      (seen_sequence ? after : before).push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  }
  return std::make_unique<Surround>(std::move(before), std::move(after));
}

std::unique_ptr<PostProcessor> parse_pair_processor(const json& config, const std::string& where) {
  const auto id_of = [&](const char* key) {
    const json& pair = required_field(config, key, where);
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer() || pair[1].get<int64_t>() < 0 ||
        pair[1].get<int64_t>() >= (int64_t{1} << 24)) {
      fail("{}.{}: expected [token, id]", where, key);
    }
    return static_cast<int32_t>(pair[1].get<int64_t>());
  };
  return std::make_unique<Surround>(std::vector<int32_t>{id_of("cls")}, std::vector<int32_t>{id_of("sep")});
}

}  // namespace

std::unique_ptr<PostProcessor> make_bos_eos_processor(std::optional<int32_t> bos, std::optional<int32_t> eos) {
  std::vector<int32_t> before, after;
  if (bos) before.push_back(*bos);
  if (eos) after.push_back(*eos);
  return std::make_unique<Surround>(std::move(before), std::move(after));
}

std::unique_ptr<PostProcessor> parse_post_processor(const json& config, const std::string& where) {
  if (config.is_null()) return nullptr;
  const std::string type = required_string(config, "type", where);
  if (type == "TemplateProcessing") return parse_template(config, where);
  if (type == "BertProcessing" || type == "RobertaProcessing") return parse_pair_processor(config, where);
  if (type == "ByteLevel") return nullptr;
  if (type == "Sequence") {
    const json& list = required_array(config, "processors", where);
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto step = parse_post_processor(list[i], fmt::format("{}.processors[{}]", where, i))) {
        steps.push_back(std::move(step));
      }
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  fail("{}: post-processor type '{}' is not supported", where, type);
}

}  // namespace medllm::hf
