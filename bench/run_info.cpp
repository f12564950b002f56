#include "run_info.hpp"

#include <cblas.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "kernels/isa.hpp"

namespace medllm::bench {

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// stdout of a shell command, or "" when it fails.
std::string command_output(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  std::array<char, 256> chunk;
  size_t got;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) out.append(chunk.data(), got);
  return pclose(pipe) == 0 ? out : "";
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

nlohmann::json RunInfo::to_json() const {
  return {{"date", date},
          {"cpu_model", cpu_model},
          {"logical_cpus", logical_cpus},
          {"load_average_at_start", load_average},
          {"git_commit", git_commit},
          {"git_dirty", git_dirty},
          {"openblas_core", openblas_core},
          {"openblas_config", openblas_config},
          {"kernels", kernels}};
}

RunInfo collect_run_info(const std::string& source_dir) {
  RunInfo info;
  info.date = utc_now();
  info.cpu_model = cpu_model_name();
  info.logical_cpus = static_cast<int>(std::thread::hardware_concurrency());
  // The first three fields: processes waiting to run, averaged over 1, 5 and 15 minutes.
  std::ifstream loadavg("/proc/loadavg");
  std::string minutes_1, minutes_5, minutes_15;
  if (loadavg >> minutes_1 >> minutes_5 >> minutes_15)
    info.load_average = minutes_1 + " " + minutes_5 + " " + minutes_15;
  const std::string git = "git -C '" + source_dir + "' ";
  info.git_commit = first_line(command_output(git + "rev-parse HEAD 2>/dev/null"));
  info.git_dirty =
      !info.git_commit.empty() && !command_output(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  info.openblas_core = openblas_get_corename();
  info.openblas_config = openblas_get_config();
  info.kernels = kernels::isa_name(kernels::kernel_isa());
  return info;
}

}  // namespace medllm::bench
