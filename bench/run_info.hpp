#pragma once
// Facts about the run that a reader needs to judge or reproduce its figures.

#include <nlohmann/json.hpp>
#include <string>

namespace medllm::bench {

struct RunInfo {
  std::string date;       // UTC, ISO 8601
  std::string cpu_model;  // "model name" of /proc/cpuinfo
  int logical_cpus = 0;
  std::string load_average;   // /proc/loadavg at the start: other work skews the figures
  std::string git_commit;     // "" when the source is not a git checkout
  bool git_dirty = false;     // uncommitted changes in the checkout
  std::string openblas_core;  // the kernel set OpenBLAS chose for this CPU
  std::string openblas_config;
  std::string kernels;  // medllm's SIMD kernel set in use (kernels/isa.hpp: avx2, avx512)

  nlohmann::json to_json() const;
};

// Reads the facts about this machine and the checkout at source_dir.
RunInfo collect_run_info(const std::string& source_dir);

}  // namespace medllm::bench
