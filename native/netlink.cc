// Netlink sockets, kept thin: open one, send the request TypeScript built, hand back the raw bytes
// of the replies, or watch a multicast group from a libuv poll handle. Every header, attribute and
// struct is decoded in TypeScript (src/kernel), by length. The only framing done here is finding
// the end of a reply (NLMSG_DONE or NLMSG_ERROR), which a blocking reader cannot leave to JavaScript.
#include "netlink.h"

#include <uv.h>

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "errno_error.h"

namespace mptcp_doctor {
namespace {

// The kernel sizes dump datagrams from the reader's largest buffer, up to 32 KiB; twice that never truncates.
constexpr size_t kDatagramBytes = 64 * 1024;
// One event-loop turn hands JavaScript at most this much, so a flood cannot starve other handles.
constexpr size_t kBatchBytes = 1024 * 1024;

int OpenNetlink(int protocol, int extraFlags) {
  return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | extraFlags, protocol);
}

// Datagrams are appended back to back; each is padded to 4 bytes so every message stays aligned
// (the kernel's are already multiples of 4; the padding only guards the framing in TypeScript).
void AppendDatagram(std::vector<uint8_t>& out, const uint8_t* data, size_t length) {
  out.insert(out.end(), data, data + length);
  while (out.size() % 4 != 0) out.push_back(0);
}

// True when the datagram holds the end of a reply: NLMSG_DONE after a dump, NLMSG_ERROR (an error
// or the ACK of a request sent with NLM_F_ACK).
bool EndsReply(const uint8_t* data, size_t length) {
  size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= length) {
    nlmsghdr header;
    std::memcpy(&header, data + offset, sizeof(header));
    if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) return true;
    if (header.nlmsg_len < sizeof(nlmsghdr)) return true;  // malformed: stop reading, TypeScript reports it
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  return false;
}

// netlinkTransact(protocol, request, timeoutMs) -> Promise<Buffer>: one request on a fresh socket,
// every reply datagram until the reply ends, on the libuv thread pool (a dump of 10,000 sockets
// takes tens of milliseconds; the event loop keeps running meanwhile).
class TransactWorker : public Napi::AsyncWorker {
 public:
  TransactWorker(Napi::Env env, int protocol, std::vector<uint8_t> request, int timeoutMs)
      : Napi::AsyncWorker(env, "netlinkTransact"),
        deferred_(Napi::Promise::Deferred::New(env)),
        protocol_(protocol),
        request_(std::move(request)),
        timeoutMs_(timeoutMs) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    int fd = OpenNetlink(protocol_, 0);
    if (fd < 0) return Fail(errno, "socket");
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = sendto(fd, request_.data(), request_.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return Fail(errno, "sendto", fd);
    std::vector<uint8_t> datagram(kDatagramBytes);
    uint64_t deadline = uv_hrtime() / 1000000 + static_cast<uint64_t>(timeoutMs_);
    for (;;) {
      uint64_t now = uv_hrtime() / 1000000;
      if (now >= deadline) return Fail(ETIMEDOUT, "recvmsg", fd);
      pollfd waiting{fd, POLLIN, 0};
      int ready = poll(&waiting, 1, static_cast<int>(deadline - now));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return Fail(errno, "poll", fd);
      if (ready == 0) return Fail(ETIMEDOUT, "recvmsg", fd);
      iovec vector{datagram.data(), datagram.size()};
      msghdr message{};
      message.msg_iov = &vector;
      message.msg_iovlen = 1;
      ssize_t length = recvmsg(fd, &message, 0);
      if (length < 0 && errno == EINTR) continue;
      if (length < 0) return Fail(errno, "recvmsg", fd);
      if (message.msg_flags & MSG_TRUNC) return Fail(EMSGSIZE, "recvmsg", fd);
      AppendDatagram(reply_, datagram.data(), static_cast<size_t>(length));
      if (EndsReply(datagram.data(), static_cast<size_t>(length))) break;
    }
    close(fd);
  }

  void OnOK() override {
    auto* heap = new std::vector<uint8_t>(std::move(reply_));
    deferred_.Resolve(Napi::Buffer<uint8_t>::New(
        Env(), heap->data(), heap->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* bytes) { delete bytes; }, heap));
  }

  void OnError(const Napi::Error&) override {
    deferred_.Reject(ErrnoError(Env(), errno_, syscall_).Value());
  }

 private:
  void Fail(int err, const char* syscall, int fd = -1) {
    errno_ = err;
    syscall_ = syscall;
    if (fd >= 0) close(fd);
    SetError(syscall);
  }

  Napi::Promise::Deferred deferred_;
  int protocol_;
  std::vector<uint8_t> request_;
  int timeoutMs_;
  std::vector<uint8_t> reply_;
  int errno_ = 0;
  const char* syscall_ = "";
};

Napi::Value NetlinkTransact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "netlinkTransact(protocol, request Buffer, timeoutMs) expected");
  }
  int protocol = info[0].As<Napi::Number>().Int32Value();
  auto request = info[1].As<Napi::Buffer<uint8_t>>();
  int timeoutMs = info[2].As<Napi::Number>().Int32Value();
  if (request.Length() < sizeof(nlmsghdr) || timeoutMs <= 0) throw Napi::RangeError::New(env, "request too short or timeout not positive");
  auto* worker = new TransactWorker(env, protocol, std::vector<uint8_t>(request.Data(), request.Data() + request.Length()), timeoutMs);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// new NetlinkDump(protocol, request): one request sent on a fresh netlink socket, its reply read
// piece by piece. read(buffer, timeoutMs) -> Promise<number>: on the thread pool, fills `buffer`
// from its start with whole reply datagrams, until fewer than kDatagramBytes are left or the reply
// ended, and resolves with the bytes written (0 once the reply has ended). JavaScript decodes them
// and reads again into the same buffer: a dump of tens of thousands of sockets then costs a buffer
// or two, where netlinkTransact holds every byte of it at once (and grows its copy as it goes).
// A dump is produced by the kernel as it is read, so a slow reader only slows the dump down.
class NetlinkDump : public Napi::ObjectWrap<NetlinkDump> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkDump", {
      InstanceMethod("read", &NetlinkDump::Read),
      InstanceMethod("close", &NetlinkDump::Close),
    });
  }

  explicit NetlinkDump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkDump>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
      throw Napi::TypeError::New(env, "NetlinkDump(protocol, request Buffer) expected");
    }
    auto request = info[1].As<Napi::Buffer<uint8_t>>();
    if (request.Length() < sizeof(nlmsghdr)) throw Napi::RangeError::New(env, "request too short");
    fd_ = OpenNetlink(info[0].As<Napi::Number>().Int32Value(), 0);
    if (fd_ < 0) throw ErrnoError(env, errno, "socket");
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = sendto(fd_, request.Data(), request.Length(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      int err = errno;
      close(fd_);
      fd_ = -1;
      throw ErrnoError(env, err, "sendto");
    }
  }

  ~NetlinkDump() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  class ReadWorker : public Napi::AsyncWorker {
   public:
    ReadWorker(Napi::Env env, NetlinkDump* dump, Napi::Object self, Napi::Buffer<uint8_t> buffer, int timeoutMs)
        : Napi::AsyncWorker(env, "netlinkDumpRead"),
          deferred_(Napi::Promise::Deferred::New(env)),
          dump_(dump),
          self_(Napi::Persistent(self)),
          buffer_(Napi::Persistent(buffer.As<Napi::Object>())),
          data_(buffer.Data()),
          capacity_(buffer.Length()),
          timeoutMs_(timeoutMs) {}

    Napi::Promise Promise() { return deferred_.Promise(); }

    void Execute() override {
      int fd = dump_->fd_;
      uint64_t deadline = uv_hrtime() / 1000000 + static_cast<uint64_t>(timeoutMs_);
      while (!dump_->ended_ && capacity_ - length_ >= kDatagramBytes) {
        uint64_t now = uv_hrtime() / 1000000;
        if (now >= deadline) return Fail(ETIMEDOUT, "recvmsg");
        pollfd waiting{fd, POLLIN, 0};
        int ready = poll(&waiting, 1, static_cast<int>(deadline - now));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return Fail(errno, "poll");
        if (ready == 0) return Fail(ETIMEDOUT, "recvmsg");
        iovec vector{data_ + length_, capacity_ - length_};
        msghdr message{};
        message.msg_iov = &vector;
        message.msg_iovlen = 1;
        ssize_t received = recvmsg(fd, &message, 0);
        if (received < 0 && errno == EINTR) continue;
        if (received < 0) return Fail(errno, "recvmsg");
        if (message.msg_flags & MSG_TRUNC) return Fail(EMSGSIZE, "recvmsg");
        bool ends = EndsReply(data_ + length_, static_cast<size_t>(received));
        length_ += static_cast<size_t>(received);
        // Keep every message 4-byte aligned for the framing in TypeScript, as AppendDatagram does.
        while (length_ % 4 != 0 && length_ < capacity_) data_[length_++] = 0;
        if (ends) dump_->ended_ = true;
      }
    }

    void OnOK() override {
      dump_->ReadEnded();
      deferred_.Resolve(Napi::Number::New(Env(), static_cast<double>(length_)));
    }

    void OnError(const Napi::Error&) override {
      dump_->ReadEnded();
      deferred_.Reject(ErrnoError(Env(), errno_, syscall_).Value());
    }

   private:
    void Fail(int err, const char* syscall) {
      errno_ = err;
      syscall_ = syscall;
      SetError(syscall);
    }

    Napi::Promise::Deferred deferred_;
    NetlinkDump* dump_;
    Napi::ObjectReference self_;    // keeps the dump (and its socket) alive while reading
    Napi::ObjectReference buffer_;  // keeps the buffer alive while the thread pool writes into it
    uint8_t* data_;
    size_t capacity_;
    size_t length_ = 0;
    int timeoutMs_;
    int errno_ = 0;
    const char* syscall_ = "";
  };

  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "read(buffer Buffer, timeoutMs) expected");
    }
    auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
    int timeoutMs = info[1].As<Napi::Number>().Int32Value();
    if (buffer.Length() < kDatagramBytes || timeoutMs <= 0) throw Napi::RangeError::New(env, "buffer under 64 KiB or timeout not positive");
    if (fd_ < 0 || closing_) throw ErrnoError(env, EBADF, "recvmsg");
    if (reading_) throw ErrnoError(env, EBUSY, "recvmsg");
    reading_ = true;
    auto* worker = new ReadWorker(env, this, info.This().As<Napi::Object>(), buffer, timeoutMs);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // close(): the socket goes (the kernel drops the rest of the dump); a read in flight keeps it until it ends.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    closing_ = true;
    if (!reading_) CloseSocket();
    return info.Env().Undefined();
  }

  void ReadEnded() {
    reading_ = false;
    if (closing_) CloseSocket();
  }

  void CloseSocket() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
  bool reading_ = false;
  bool closing_ = false;
  bool ended_ = false;
};

// new NetlinkSubscription(protocol, groups, receiveBufferBytes, onBatch): a non-blocking socket
// joined to multicast groups, watched by a libuv poll handle on the main loop. When it is readable,
// every queued datagram is read (up to kBatchBytes) and onBatch(bytes, lost) is called, where lost
// counts the ENOBUFS the kernel reported since the previous batch: each one means the socket's
// receive buffer overflowed and some messages were dropped. A third argument is an Error when the
// socket failed; polling has stopped then.
class NetlinkSubscription : public Napi::ObjectWrap<NetlinkSubscription> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkSubscription", {
      InstanceMethod("close", &NetlinkSubscription::Close),
      InstanceMethod("pause", &NetlinkSubscription::Pause),
      InstanceMethod("resume", &NetlinkSubscription::Resume),
      InstanceMethod("ref", &NetlinkSubscription::RefHandle),
      InstanceMethod("unref", &NetlinkSubscription::UnrefHandle),
      InstanceMethod("receiveBufferBytes", &NetlinkSubscription::ReceiveBufferBytes),
    });
  }

  explicit NetlinkSubscription(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSubscription>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsFunction()) {
      throw Napi::TypeError::New(env, "NetlinkSubscription(protocol, groups[], receiveBufferBytes, onBatch) expected");
    }
    int protocol = info[0].As<Napi::Number>().Int32Value();
    Napi::Array groups = info[1].As<Napi::Array>();
    int receiveBytes = info[2].As<Napi::Number>().Int32Value();
    fd_ = OpenNetlink(protocol, SOCK_NONBLOCK);
    if (fd_ < 0) throw ErrnoError(env, errno, "socket");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) FailConstruction(env, "bind");
    if (receiveBytes > 0) {
      // SO_RCVBUFFORCE needs CAP_NET_ADMIN, which joining the MPTCP group needs anyway; else rmem_max caps it.
      if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &receiveBytes, sizeof(receiveBytes)) != 0 &&
          setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBytes, sizeof(receiveBytes)) != 0) {
        FailConstruction(env, "setsockopt");
      }
    }
    for (uint32_t i = 0; i < groups.Length(); i++) {
      int group = groups.Get(i).As<Napi::Number>().Int32Value();
      if (setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) FailConstruction(env, "setsockopt");
    }
    callback_ = Napi::Persistent(info[3].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) FailConstruction(env, "uv_default_loop", EINVAL);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      FailConstruction(env, "uv_poll_init", -rc);
    }
    datagram_.resize(kDatagramBytes);
    Ref();  // stay alive while the poll handle may call back
    StartPolling();
  }

  ~NetlinkSubscription() override { Shutdown(); }

 private:
  [[noreturn]] void FailConstruction(Napi::Env env, const char* syscall, int err = 0) {
    int code = err != 0 ? err : errno;
    close(fd_);
    fd_ = -1;
    throw ErrnoError(env, code, syscall);
  }

  void StartPolling() {
    if (poll_ && !polling_) {
      uv_poll_start(poll_, UV_READABLE, &NetlinkSubscription::OnReadable);
      polling_ = true;
    }
  }

  void StopPolling() {
    if (poll_ && polling_) {
      uv_poll_stop(poll_);
      polling_ = false;
    }
  }

  void Shutdown() {
    if (fd_ < 0) return;
    StopPolling();
    if (poll_) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
    }
    close(fd_);
    fd_ = -1;
  }

  static void OnReadable(uv_poll_t* handle, int status, int) {
    static_cast<NetlinkSubscription*>(handle->data)->Drain(status);
  }

  void Drain(int status) {
    if (status < 0) {
      // libuv reports POLLERR as UV_EBADF and stops the handle. On a netlink socket POLLERR is the
      // pending ENOBUFS of an overflow: the recv below returns it (clearing it), so poll again.
      polling_ = false;
      StartPolling();
    }
    std::vector<uint8_t> batch;
    uint32_t lost = 0;
    int failure = 0;
    while (failure == 0 && batch.size() < kBatchBytes) {
      ssize_t length = recv(fd_, datagram_.data(), datagram_.size(), MSG_DONTWAIT);
      if (length >= 0) {
        AppendDatagram(batch, datagram_.data(), static_cast<size_t>(length));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {  // reported once per overflow; the socket keeps working
        lost += 1;
        continue;
      }
      failure = errno;
    }
    if (failure != 0) StopPolling();
    if (batch.empty() && lost == 0 && failure == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    auto* heap = new std::vector<uint8_t>(std::move(batch));
    Napi::Value bytes = Napi::Buffer<uint8_t>::New(
        env, heap->data(), heap->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* data) { delete data; }, heap);
    std::vector<napi_value> args = {bytes, Napi::Number::New(env, lost)};
    if (failure != 0) args.push_back(ErrnoError(env, failure, "recv").Value());
    try {
      callback_.MakeCallback(Value(), args);
    } catch (const Napi::Error& error) {
      // A throwing callback is a bug on the JavaScript side: surface it as an uncaught exception.
      napi_fatal_exception(env, error.Value());
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      Shutdown();
      Unref();
    }
    return info.Env().Undefined();
  }

  // pause()/resume(): stop reading while JavaScript's queue is full, so the kernel's buffer takes the
  // pressure (and reports ENOBUFS if it overflows) instead of our memory.
  Napi::Value Pause(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    StartPolling();
    return info.Env().Undefined();
  }

  Napi::Value RefHandle(const Napi::CallbackInfo& info) {
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value UnrefHandle(const Napi::CallbackInfo& info) {
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  // The receive buffer the kernel granted (it reports twice what was asked: bookkeeping included).
  Napi::Value ReceiveBufferBytes(const Napi::CallbackInfo& info) {
    int value = 0;
    socklen_t length = sizeof(value);
    if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &value, &length) != 0) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), value);
  }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  std::vector<uint8_t> datagram_;
  Napi::FunctionReference callback_;
};

}  // namespace

void RegisterNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTransact", Napi::Function::New(env, NetlinkTransact, "netlinkTransact"));
  exports.Set("NetlinkSubscription", NetlinkSubscription::Define(env));
  exports.Set("NetlinkDump", NetlinkDump::Define(env));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("NETLINK_SOCK_DIAG", static_cast<int>(NETLINK_SOCK_DIAG));
  constants.Set("NETLINK_GENERIC", static_cast<int>(NETLINK_GENERIC));
  exports.Set("netlinkConstants", constants);
}

}  // namespace mptcp_doctor
