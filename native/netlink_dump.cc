// The streamed dump (sock_diag's socket lists): its reply read piece by piece into reused buffers.
#include "netlink_socket.h"

#include <linux/netlink.h>
#include <unistd.h>

#include <cerrno>

#include "errno_error.h"

namespace mptcp_doctor {
namespace {

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
    if (SendToKernel(fd_, request.Data(), request.Length()) < 0) {
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
      uint64_t deadline = DeadlineAfter(timeoutMs_);
      while (!dump_->ended_ && capacity_ - length_ >= kDatagramBytes) {
        const char* syscall = "";
        ssize_t received = ReceiveDatagram(fd, data_ + length_, capacity_ - length_, deadline, &syscall);
        if (received < 0) return Fail(static_cast<int>(-received), syscall);
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

}  // namespace

Napi::Function DefineNetlinkDump(Napi::Env env) {
  return NetlinkDump::Define(env);
}

}  // namespace mptcp_doctor
