// See boundary.h: every C++ exception becomes a JS Error with a short message and a code.
#include "boundary.h"
#include <c10/util/Exception.h>
#include <exception>

namespace hubtune {

[[noreturn]] void ThrowJs(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }

std::string ShortMessage(const char* what) {
  // libtorch messages may carry "Exception raised from ..." lines and trailing blanks.
  std::string s(what ? what : "libtorch error");
  auto cut = s.find("\nException raised from");
  if (cut != std::string::npos) s = s.substr(0, cut);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

static Napi::Error WithCode(Napi::Env env, const std::string& msg, const char* code) {
  auto err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

Napi::Error CurrentExceptionToJs(Napi::Env env) {
  try {
    throw;
  } catch (const OutOfMemory& e) {
    return WithCode(env, e.what(), "ERR_HUBTUNE_OUT_OF_MEMORY");
  } catch (const std::bad_alloc&) {
    return WithCode(env, "out of memory: a native allocation failed; use smaller inputs, batches or models", "ERR_HUBTUNE_OUT_OF_MEMORY");
  } catch (const c10::Error& e) {
    std::string msg = ShortMessage(e.what_without_backtrace());
    // libtorch's own allocator reports memory exhaustion as a c10::Error.
    bool oom = msg.find("not enough memory") != std::string::npos || msg.find("out of memory") != std::string::npos;
    return WithCode(env, msg, oom ? "ERR_HUBTUNE_OUT_OF_MEMORY" : "ERR_HUBTUNE_LIBTORCH");
  } catch (const std::exception& e) {
    return WithCode(env, ShortMessage(e.what()), "ERR_HUBTUNE_NATIVE");
  } catch (...) {
    return WithCode(env, "unknown native error", "ERR_HUBTUNE_NATIVE");
  }
}

}  // namespace hubtune
