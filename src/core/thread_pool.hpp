#pragma once
// A fixed pool of worker threads for data-parallel loops. Work is split into equal contiguous
// ranges, one per thread, so every element is always computed by the same code path and the
// results never depend on scheduling. Workers spin briefly before sleeping: a decoded token
// makes about a hundred parallel calls, and a condition-variable wake-up for each costs more
// than the work of a small matmul.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace medllm {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: one per hardware thread
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(begin, end) on disjoint ranges covering [0, n); returns when all are done.
  // The calling thread takes the first range. Exceptions from any range are rethrown here.
  // Calls from several threads are served one at a time; a body must not call parallel_for.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& body);

 private:
  void worker_loop(int index);
  void run_range(int index);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;       // guards sleeping and error_
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t n_ = 0;
  std::atomic<uint64_t> generation_ = 0;
  std::atomic<int> pending_ = 0;
  std::atomic<bool> stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace medllm
