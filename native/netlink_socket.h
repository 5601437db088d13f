// What the netlink parts of the addon share: opening a socket, sending one request, receiving one
// datagram under a deadline, and the little framing done in C++ (see netlink_socket.cc).
#pragma once

#include <napi.h>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mptcp_doctor {

// The kernel sizes dump datagrams from the reader's largest buffer, up to 32 KiB; twice that never truncates.
constexpr size_t kDatagramBytes = 64 * 1024;
// One event-loop turn hands JavaScript at most this much, so a flood cannot starve other handles.
constexpr size_t kBatchBytes = 1024 * 1024;

// A raw netlink socket of `protocol` (close-on-exec, plus `extraFlags` such as SOCK_NONBLOCK); -1 and errno on failure.
int OpenNetlink(int protocol, int extraFlags);

// Sends `request` to the kernel (port 0), retrying on EINTR; what sendto returns, errno kept.
ssize_t SendToKernel(int fd, const uint8_t* request, size_t length);

// Waits (poll, retrying on EINTR) until `fd` has a datagram or `deadlineMs` (uv_hrtime in
// milliseconds) has passed, then reads one datagram into data[0, capacity). Returns its length, or
// -errno with *syscall naming the call that failed (ETIMEDOUT as "recvmsg", EMSGSIZE when truncated).
ssize_t ReceiveDatagram(int fd, uint8_t* data, size_t capacity, uint64_t deadlineMs, const char** syscall);

// Milliseconds on libuv's monotonic clock, `timeoutMs` from now.
uint64_t DeadlineAfter(int timeoutMs);

// Appends one datagram to `out`, padded to 4 bytes.
void AppendDatagram(std::vector<uint8_t>& out, const uint8_t* data, size_t length);

// True when the datagram holds the end of a reply (NLMSG_DONE or NLMSG_ERROR).
bool EndsReply(const uint8_t* data, size_t length);

// The pieces RegisterNetlink puts on the addon's exports (each in its own file).
Napi::Value NetlinkTransact(const Napi::CallbackInfo& info);
Napi::Function DefineNetlinkDump(Napi::Env env);
Napi::Function DefineNetlinkSubscription(Napi::Env env);

}  // namespace mptcp_doctor
