// The exception boundary of the addon, in one place: no C++ exception ever crosses into N-API
// (that aborts the process). Every exported function is registered through Guarded<>, and code
// that cannot be (ObjectWrap methods, constructors) uses HT_TRY / HT_CATCH; both turn whatever
// was thrown (c10::Error, std::bad_alloc, any std::exception, anything else) into a JS Error with
// a one-line message and a `code` (ERR_HUBTUNE_OUT_OF_MEMORY, ERR_HUBTUNE_LIBTORCH, ERR_HUBTUNE_NATIVE).
// New native code (autocast, quantization, c10d...) registers with REG / Guarded and gets the same.
#pragma once
#include <napi.h>
#include <new>
#include <string>

namespace hubtune {

/** A refused tensor allocation: says how much was asked and what is held. */
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string msg) : msg_(std::move(msg)) {}
  const char* what() const noexcept override { return msg_.c_str(); }
 private:
  std::string msg_;
};

[[noreturn]] void ThrowJs(Napi::Env env, const std::string& msg);
std::string ShortMessage(const char* what);

/** Call inside a `catch (...)`: the JS error for the exception being handled. */
Napi::Error CurrentExceptionToJs(Napi::Env env);

/** Wraps an exported function so that no C++ exception escapes it. */
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw CurrentExceptionToJs(info.Env());
  }
}

}  // namespace hubtune

#define HT_TRY try {
#define HT_CATCH                                                 \
  }                                                              \
  catch (const Napi::Error&) { throw; }                          \
  catch (...) { throw ::hubtune::CurrentExceptionToJs(info.Env()); }
