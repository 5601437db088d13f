// Errors shaped like Node's own system errors, shared by every native source file.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <string>

namespace mptcp_doctor {

// An Error with code 'ENOPROTOOPT', errno -92 and syscall, like the ones Node raises.
inline Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // On Linux ENOTSUP == EOPNOTSUPP; libuv names it ENOTSUP, the kernel sources and man pages EOPNOTSUPP.
  const char* code = err == EOPNOTSUPP ? "EOPNOTSUPP" : uv_err_name(-err);
  std::string message = std::string(syscall) + " " + code + ": " + uv_strerror(-err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace mptcp_doctor
