// Netlink sockets, kept thin: open one, send the request TypeScript built, hand back the raw bytes
// of the replies (here all at once; netlink_dump.cc streams them), or watch a multicast group
// (netlink_events.cc). Every header, attribute and struct is decoded in TypeScript (src/kernel), by
// length. The only framing done here is finding the end of a reply (NLMSG_DONE or NLMSG_ERROR),
// which a blocking reader cannot leave to JavaScript.
#include "netlink.h"
#include "netlink_socket.h"

#include <uv.h>

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errno_error.h"

namespace mptcp_doctor {

int OpenNetlink(int protocol, int extraFlags) {
  return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | extraFlags, protocol);
}

ssize_t SendToKernel(int fd, const uint8_t* request, size_t length) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, request, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  return sent;
}

uint64_t DeadlineAfter(int timeoutMs) {
  return uv_hrtime() / 1000000 + static_cast<uint64_t>(timeoutMs);
}

ssize_t ReceiveDatagram(int fd, uint8_t* data, size_t capacity, uint64_t deadlineMs, const char** syscall) {
  auto fail = [syscall](int err, const char* call) {
    *syscall = call;
    return static_cast<ssize_t>(-err);
  };
  for (;;) {
    uint64_t now = uv_hrtime() / 1000000;
    if (now >= deadlineMs) return fail(ETIMEDOUT, "recvmsg");
    pollfd waiting{fd, POLLIN, 0};
    int ready = poll(&waiting, 1, static_cast<int>(deadlineMs - now));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return fail(errno, "poll");
    if (ready == 0) return fail(ETIMEDOUT, "recvmsg");
    iovec vector{data, capacity};
    msghdr message{};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    ssize_t length = recvmsg(fd, &message, 0);
    if (length < 0 && errno == EINTR) continue;
    if (length < 0) return fail(errno, "recvmsg");
    if (message.msg_flags & MSG_TRUNC) return fail(EMSGSIZE, "recvmsg");
    return length;
  }
}

// Datagrams are appended back to back; each is padded to 4 bytes so every message stays aligned
// (the kernel's are already multiples of 4; the padding only guards the framing in TypeScript).
void AppendDatagram(std::vector<uint8_t>& out, const uint8_t* data, size_t length) {
  out.insert(out.end(), data, data + length);
  while (out.size() % 4 != 0) out.push_back(0);
}

// An NLMSG_ERROR is an error or the ACK of a request sent with NLM_F_ACK; NLMSG_DONE ends a dump.
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

namespace {

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
    if (SendToKernel(fd, request_.data(), request_.size()) < 0) return Fail(errno, "sendto", fd);
    std::vector<uint8_t> datagram(kDatagramBytes);
    uint64_t deadline = DeadlineAfter(timeoutMs_);
    for (;;) {
      const char* syscall = "";
      ssize_t length = ReceiveDatagram(fd, datagram.data(), datagram.size(), deadline, &syscall);
      if (length < 0) return Fail(static_cast<int>(-length), syscall, fd);
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

}  // namespace

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

void RegisterNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTransact", Napi::Function::New(env, NetlinkTransact, "netlinkTransact"));
  exports.Set("NetlinkSubscription", DefineNetlinkSubscription(env));
  exports.Set("NetlinkDump", DefineNetlinkDump(env));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("NETLINK_SOCK_DIAG", static_cast<int>(NETLINK_SOCK_DIAG));
  constants.Set("NETLINK_GENERIC", static_cast<int>(NETLINK_GENERIC));
  exports.Set("netlinkConstants", constants);
}

}  // namespace mptcp_doctor
