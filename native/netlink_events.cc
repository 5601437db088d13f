// The event subscription: a netlink socket joined to multicast groups (the mptcp_pm family's events),
// read on the main loop whenever libuv says it is readable, and handed to JavaScript in batches.
#include "netlink_socket.h"

#include <uv.h>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "errno_error.h"

namespace mptcp_doctor {
namespace {

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

Napi::Function DefineNetlinkSubscription(Napi::Env env) {
  return NetlinkSubscription::Define(env);
}

}  // namespace mptcp_doctor
