// Promise-returning AsyncWorker for the model entry points: `run()` executes on a libuv worker thread
// (no N-API there); every C++ exception becomes a rejected promise whose message names the step.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

namespace glide::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::string step)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), step_(std::move(step)) {}

  /** Queues the worker and returns its promise. */
  Napi::Promise start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  /** The work (worker thread). */
  virtual void run() = 0;
  /** The resolved value (JS thread). */
  virtual Napi::Value result(Napi::Env env) = 0;

 private:
  void Execute() override {
    try {
      run();
    } catch (const std::bad_alloc&) {
      SetError(step_ + ": out of memory");
    } catch (const std::exception& e) {
      SetError(step_ + ": " + e.what());
    } catch (...) {
      SetError(step_ + ": unknown native error");
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(result(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  std::string step_;
};

}  // namespace glide::addon
