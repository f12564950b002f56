#include "report/eval_report.hpp"

#include <filesystem>
#include <system_error>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace medllm::report {

void write_eval_reports(const eval::EvalResults& results, const std::string& out_dir) {
  // Both rendered before anything is written: a render error leaves the directory as it was.
  const std::string summary = eval_markdown(results);
  const std::string page = eval_html(results);
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) fail("cannot create the report directory {}: {}", out_dir, error.message());
  write_file_atomically((std::filesystem::path(out_dir) / "summary.md").string(), summary);
  write_file_atomically((std::filesystem::path(out_dir) / "report.html").string(), page);
}

}  // namespace medllm::report
