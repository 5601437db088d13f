// mptcp-doctor native addon: the few socket calls Node cannot make.
//
// Thin by design (docs/architecture.md, "The native boundary"): create sockets, bind them, read socket options into raw
// bytes, set buffer sizes. Node does all I/O on the descriptors we hand back; the TypeScript
// decoders in src/native turn the bytes into objects, by the length the kernel returned.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "errno_error.h"
#include "mptcp_uapi.h"
#include "netlink.h"

namespace {

using namespace mptcp_uapi;
using mptcp_doctor::ErrnoError;

int FdArg(const Napi::CallbackInfo& info, size_t index = 0) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "a file descriptor (number) is required");
  }
  return info[index].As<Napi::Number>().Int32Value();
}

uint32_t UintArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " (number) is required");
  }
  return info[index].As<Napi::Number>().Uint32Value();
}

Napi::Buffer<uint8_t> CopyBuffer(Napi::Env env, const void* data, size_t length) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), length);
}

// openSocket(family 4|6, mptcp boolean) -> fd. Non-blocking and close-on-exec, as libuv wants.
Napi::Value OpenSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t family = UintArg(info, 0, "family 4 or 6");
  if (family != 4 && family != 6) throw Napi::RangeError::New(env, "family must be 4 or 6");
  bool mptcp = info.Length() > 1 && info[1].ToBoolean().Value();
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  mptcp ? kIpprotoMptcp : IPPROTO_TCP);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  return Napi::Number::New(env, fd);
}

// closeSocket(fd): only for descriptors never handed to Node (Node closes its own).
Napi::Value CloseSocket(const Napi::CallbackInfo& info) {
  int fd = FdArg(info);
  if (close(fd) != 0 && errno != EINTR) throw ErrnoError(info.Env(), errno, "close");
  return info.Env().Undefined();
}

// bindSocket(fd, address, port, {reuseAddress, v6Only}): Node's net.Server can listen on a bound
// descriptor but cannot bind one it did not create.
Napi::Value BindSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  if (info.Length() < 2 || !info[1].IsString()) throw Napi::TypeError::New(env, "address (string) is required");
  std::string address = info[1].As<Napi::String>().Utf8Value();
  uint32_t port = UintArg(info, 2, "port");
  if (port > 65535) throw Napi::RangeError::New(env, "port must be 0-65535");
  bool reuse = true;
  bool v6only = false;
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object options = info[3].As<Napi::Object>();
    if (options.Has("reuseAddress")) reuse = options.Get("reuseAddress").ToBoolean().Value();
    if (options.Has("v6Only")) v6only = options.Get("v6Only").ToBoolean().Value();
  }

  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string host = address;
  std::string scope;
  size_t percent = address.find('%');
  if (percent != std::string::npos) {
    host = address.substr(0, percent);
    scope = address.substr(percent + 1);
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    if (!scope.empty()) sin6->sin6_scope_id = if_nametoindex(scope.c_str());
    length = sizeof(sockaddr_in6);
    int on = v6only ? 1 : 0;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) throw ErrnoError(env, errno, "setsockopt");
  } else {
    throw ErrnoError(env, EINVAL, "bind");
  }
  if (reuse) {
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) throw ErrnoError(env, errno, "setsockopt");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) throw ErrnoError(env, errno, "bind");
  return env.Undefined();
}

int GetInt(Napi::Env env, int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (getsockopt(fd, level, name, &value, &length) != 0) throw ErrnoError(env, errno, "getsockopt");
  return value;
}

// getTcpIsMptcp(fd) -> 1 while MPTCP, 0 after fallback or for TCP (5.16+).
Napi::Value GetTcpIsMptcp(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), GetInt(info.Env(), FdArg(info), IPPROTO_TCP, kTcpIsMptcp));
}

// getSocketProtocol(fd) -> the protocol the socket was created with (262 for MPTCP, also after fallback).
Napi::Value GetSocketProtocol(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), GetInt(info.Env(), FdArg(info), SOL_SOCKET, SO_PROTOCOL));
}

// getMptcpInfo(fd) -> Buffer of exactly the bytes the kernel filled.
Napi::Value GetMptcpInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MptcpInfo data{};
  socklen_t length = sizeof(data);
  if (getsockopt(FdArg(info), kSolMptcp, kMptcpInfo, &data, &length) != 0) throw ErrnoError(env, errno, "getsockopt");
  return CopyBuffer(env, &data, length);
}

// getTcpInfo(fd) -> Buffer of struct tcp_info; on a fallen-back MPTCP socket the kernel answers for its subflow.
Napi::Value GetTcpInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> data(kTcpInfoUserSize, 0);
  socklen_t length = static_cast<socklen_t>(data.size());
  if (getsockopt(FdArg(info), IPPROTO_TCP, TCP_INFO, data.data(), &length) != 0) throw ErrnoError(env, errno, "getsockopt");
  return CopyBuffer(env, data.data(), length);
}

// getSubflowData(fd, optname, elementSize, maxElements) for MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS (5.16+).
// The kernel clamps sizeUser to its own element size and packs elements at that stride.
Napi::Value GetSubflowData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  uint32_t optname = UintArg(info, 1, "optname");
  uint32_t elementSize = UintArg(info, 2, "elementSize");
  uint32_t maxElements = UintArg(info, 3, "maxElements");
  if (optname != kMptcpTcpInfo && optname != kMptcpSubflowAddrs) throw Napi::RangeError::New(env, "unsupported optname");
  if (elementSize == 0 || elementSize > 4096 || maxElements == 0 || maxElements > 256) {
    throw Napi::RangeError::New(env, "elementSize or maxElements out of range");
  }
  std::vector<uint8_t> buffer(sizeof(MptcpSubflowData) + static_cast<size_t>(elementSize) * maxElements, 0);
  auto* header = reinterpret_cast<MptcpSubflowData*>(buffer.data());
  header->size_subflow_data = sizeof(MptcpSubflowData);
  header->size_user = elementSize;
  socklen_t length = static_cast<socklen_t>(buffer.size());
  if (getsockopt(fd, kSolMptcp, static_cast<int>(optname), buffer.data(), &length) != 0) {
    throw ErrnoError(env, errno, "getsockopt");
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("numSubflows", header->num_subflows);
  result.Set("sizeKernel", header->size_kernel);
  result.Set("sizeUser", header->size_user);
  size_t dataLength = length > sizeof(MptcpSubflowData) ? length - sizeof(MptcpSubflowData) : 0;
  result.Set("data", CopyBuffer(env, buffer.data() + sizeof(MptcpSubflowData), dataLength));
  return result;
}

// getFullInfo(fd, maxSubflows) -> MPTCP_FULL_INFO (6.5+): per-subflow ids, addresses and tcp_info plus
// mptcp_info, in one consistent snapshot.
Napi::Value GetFullInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  uint32_t maxSubflows = UintArg(info, 1, "maxSubflows");
  if (maxSubflows == 0 || maxSubflows > 256) throw Napi::RangeError::New(env, "maxSubflows out of range");
  std::vector<MptcpSubflowInfo> subflows(maxSubflows);
  std::vector<uint8_t> tcpInfos(static_cast<size_t>(kTcpInfoUserSize) * maxSubflows, 0);
  MptcpFullInfo full{};
  full.size_tcpinfo_user = kTcpInfoUserSize;
  full.size_sfinfo_user = sizeof(MptcpSubflowInfo);
  full.size_arrays_user = maxSubflows;
  full.subflow_info = reinterpret_cast<uintptr_t>(subflows.data());
  full.tcp_info = reinterpret_cast<uintptr_t>(tcpInfos.data());
  socklen_t length = sizeof(full);
  if (getsockopt(fd, kSolMptcp, kMptcpFullInfo, &full, &length) != 0) throw ErrnoError(env, errno, "getsockopt");

  // The kernel clamps the element sizes to its own and packs the arrays at that stride.
  uint32_t count = full.num_subflows < maxSubflows ? full.num_subflows : maxSubflows;
  uint32_t sfStride = full.size_sfinfo_user;
  uint32_t tcpStride = full.size_tcpinfo_user;
  if (sfStride > sizeof(MptcpSubflowInfo)) sfStride = sizeof(MptcpSubflowInfo);
  if (tcpStride > kTcpInfoUserSize) tcpStride = kTcpInfoUserSize;
  constexpr size_t kHeader = offsetof(MptcpFullInfo, mptcp_info);
  size_t infoLength = length > kHeader ? length - kHeader : 0;

  Napi::Object result = Napi::Object::New(env);
  result.Set("numSubflows", full.num_subflows);
  result.Set("sizeTcpInfoKernel", full.size_tcpinfo_kernel);
  result.Set("sizeSubflowInfoKernel", full.size_sfinfo_kernel);
  result.Set("tcpInfoStride", tcpStride);
  result.Set("subflowInfoStride", sfStride);
  result.Set("subflowInfo", CopyBuffer(env, subflows.data(), static_cast<size_t>(sfStride) * count));
  result.Set("tcpInfo", CopyBuffer(env, tcpInfos.data(), static_cast<size_t>(tcpStride) * count));
  result.Set("mptcpInfo", CopyBuffer(env, &full.mptcp_info, infoLength));
  return result;
}

// setBufferSizes(fd, {receive, send, force}) -> effective {receive, send} as the kernel reports them
// (doubled for bookkeeping). force tries SO_*BUFFORCE first (CAP_NET_ADMIN: ignores rmem_max/wmem_max).
Napi::Value SetBufferSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "options object is required");
  Napi::Object options = info[1].As<Napi::Object>();
  bool force = options.Has("force") && options.Get("force").ToBoolean().Value();
  auto apply = [&](const char* key, int name, int forceName) {
    if (!options.Has(key) || !options.Get(key).IsNumber()) return;
    int value = options.Get(key).As<Napi::Number>().Int32Value();
    if (value <= 0) return;
    if (force && setsockopt(fd, SOL_SOCKET, forceName, &value, sizeof(value)) == 0) return;
    if (setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value)) != 0) throw ErrnoError(env, errno, "setsockopt");
  };
  apply("receive", SO_RCVBUF, SO_RCVBUFFORCE);
  apply("send", SO_SNDBUF, SO_SNDBUFFORCE);
  Napi::Object result = Napi::Object::New(env);
  result.Set("receive", GetInt(env, fd, SOL_SOCKET, SO_RCVBUF));
  result.Set("send", GetInt(env, fd, SOL_SOCKET, SO_SNDBUF));
  return result;
}

// The integer socket options we set or read beside the buffer sizes (TCP_NOTSENT_LOWAT, TCP_NODELAY,
// TCP_CORK, the buffer sizes one at a time): an allow-list, so this stays a reader/writer of known
// knobs, not a generic setsockopt.
bool AllowedIntOption(int level, int name) {
  if (level == IPPROTO_TCP) return name == TCP_NODELAY || name == TCP_CORK || name == TCP_NOTSENT_LOWAT;
  if (level == SOL_SOCKET) return name == SO_SNDBUF || name == SO_RCVBUF || name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE;
  return false;
}

// setIntOption(fd, level, name, value): setsockopt of one int.
Napi::Value SetIntOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  int level = static_cast<int>(UintArg(info, 1, "level"));
  int name = static_cast<int>(UintArg(info, 2, "option name"));
  if (!AllowedIntOption(level, name)) throw Napi::RangeError::New(env, "unsupported socket option");
  if (info.Length() <= 3 || !info[3].IsNumber()) throw Napi::TypeError::New(env, "value (number) is required");
  int value = info[3].As<Napi::Number>().Int32Value();
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) throw ErrnoError(env, errno, "setsockopt");
  return env.Undefined();
}

// getIntOption(fd, level, name) -> the int the kernel reports.
Napi::Value GetIntOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  int level = static_cast<int>(UintArg(info, 1, "level"));
  int name = static_cast<int>(UintArg(info, 2, "option name"));
  if (!AllowedIntOption(level, name)) throw Napi::RangeError::New(env, "unsupported socket option");
  return Napi::Number::New(env, GetInt(env, fd, level, name));
}

// getSocketName(fd, peer) -> Buffer holding the local (or, with peer, the remote) sockaddr.
Napi::Value GetSocketName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  bool peer = info.Length() > 1 && info[1].ToBoolean().Value();
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (rc != 0) throw ErrnoError(env, errno, peer ? "getpeername" : "getsockname");
  return CopyBuffer(env, &storage, length);
}

// getBufferSizes(fd) -> {receive, send}.
Napi::Value GetBufferSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  Napi::Object result = Napi::Object::New(env);
  result.Set("receive", GetInt(env, fd, SOL_SOCKET, SO_RCVBUF));
  result.Set("send", GetInt(env, fd, SOL_SOCKET, SO_SNDBUF));
  return result;
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("IPPROTO_MPTCP", kIpprotoMptcp);
  constants.Set("IPPROTO_TCP", static_cast<int>(IPPROTO_TCP));
  constants.Set("SOL_MPTCP", kSolMptcp);
  constants.Set("MPTCP_INFO", kMptcpInfo);
  constants.Set("MPTCP_TCPINFO", kMptcpTcpInfo);
  constants.Set("MPTCP_SUBFLOW_ADDRS", kMptcpSubflowAddrs);
  constants.Set("MPTCP_FULL_INFO", kMptcpFullInfo);
  constants.Set("TCP_IS_MPTCP", kTcpIsMptcp);
  constants.Set("SOL_SOCKET", static_cast<int>(SOL_SOCKET));
  constants.Set("SO_SNDBUF", static_cast<int>(SO_SNDBUF));
  constants.Set("SO_SNDBUFFORCE", static_cast<int>(SO_SNDBUFFORCE));
  constants.Set("TCP_NODELAY", static_cast<int>(TCP_NODELAY));
  constants.Set("TCP_CORK", static_cast<int>(TCP_CORK));
  constants.Set("TCP_NOTSENT_LOWAT", static_cast<int>(TCP_NOTSENT_LOWAT));
  constants.Set("AF_INET", static_cast<int>(AF_INET));
  constants.Set("AF_INET6", static_cast<int>(AF_INET6));
  constants.Set("MPTCP_INFO_SIZE", static_cast<uint32_t>(sizeof(MptcpInfo)));
  constants.Set("SUBFLOW_ADDRS_SIZE", static_cast<uint32_t>(sizeof(MptcpSubflowAddrs)));
  constants.Set("TCP_INFO_MAX_SIZE", kTcpInfoUserSize);
  return constants;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openSocket", Napi::Function::New(env, OpenSocket, "openSocket"));
  exports.Set("closeSocket", Napi::Function::New(env, CloseSocket, "closeSocket"));
  exports.Set("bindSocket", Napi::Function::New(env, BindSocket, "bindSocket"));
  exports.Set("getTcpIsMptcp", Napi::Function::New(env, GetTcpIsMptcp, "getTcpIsMptcp"));
  exports.Set("getSocketProtocol", Napi::Function::New(env, GetSocketProtocol, "getSocketProtocol"));
  exports.Set("getMptcpInfo", Napi::Function::New(env, GetMptcpInfo, "getMptcpInfo"));
  exports.Set("getTcpInfo", Napi::Function::New(env, GetTcpInfo, "getTcpInfo"));
  exports.Set("getSubflowData", Napi::Function::New(env, GetSubflowData, "getSubflowData"));
  exports.Set("getFullInfo", Napi::Function::New(env, GetFullInfo, "getFullInfo"));
  exports.Set("setBufferSizes", Napi::Function::New(env, SetBufferSizes, "setBufferSizes"));
  exports.Set("getBufferSizes", Napi::Function::New(env, GetBufferSizes, "getBufferSizes"));
  exports.Set("setIntOption", Napi::Function::New(env, SetIntOption, "setIntOption"));
  exports.Set("getIntOption", Napi::Function::New(env, GetIntOption, "getIntOption"));
  exports.Set("getSocketName", Napi::Function::New(env, GetSocketName, "getSocketName"));
  exports.Set("constants", Constants(env));
  mptcp_doctor::RegisterNetlink(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(mptcp_doctor, Init)
