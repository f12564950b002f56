#pragma once
// Helpers to raise medllm::Error with formatted messages and to add context on the way up.

#include <fmt/format.h>

#include <medllm/error.hpp>
#include <string_view>
#include <utility>

namespace medllm {

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Runs fn(); an Error escaping it is rethrown as "<context>: <message>", so a low-level
// parser need not know which file or request it is working on.
template <typename Fn>
decltype(auto) with_context(std::string_view context, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", context, e.what()));
  }
}

}  // namespace medllm
