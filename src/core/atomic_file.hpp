#pragma once
// Writes a file so that readers see either the old content or the complete new one:
// write to a temporary beside it, fsync, rename over the target, fsync the directory.

#include <cstddef>
#include <cstdio>
#include <span>
#include <string>

namespace medllm {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // opens "<path>.tmp.<pid>"
  ~AtomicFile();                          // removes the temporary unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);
  void commit();  // flush, fsync, rename; errors name the target path

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
};

void write_file_atomically(const std::string& path, std::string_view contents);

// fsync of a directory, so renames and new entries in it survive a power cut (best effort).
void sync_directory(const std::string& directory);

}  // namespace medllm
