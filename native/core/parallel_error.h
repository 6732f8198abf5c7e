// An exception escaping an OpenMP parallel region terminates the process, and a thread that leaves a
// region early deadlocks the others at the next barrier. Code that can throw inside a region (buffer
// allocation) runs through ParallelError::run, which records the first exception; every thread keeps
// taking part in the worksharing loops, and the error is rethrown after the region.
#pragma once
#include <atomic>
#include <exception>
#include <mutex>

namespace glide {

class ParallelError {
 public:
  /** Runs f(), capturing any exception. Returns false if f threw. */
  template <typename F>
  bool run(F&& f) noexcept {
    try {
      f();
      return true;
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
      return false;
    }
  }
  /** Whether any run() failed so far (threads use it to skip remaining work). */
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  /** Rethrows the first captured exception (call after the parallel region). */
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace glide
