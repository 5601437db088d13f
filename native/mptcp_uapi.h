// Our own copy of the MPTCP user API (include/uapi/linux/mptcp.h, Linux 6.10).
//
// We never include the build machine's <linux/mptcp.h>: Debian 12 ships 6.1 headers that lack
// MPTCP_FULL_INFO and the 6.5+ fields, and the running kernel may be older or newer than the
// headers anyway. The kernel copies min(our size, its size) bytes and tells us how many through
// optlen; the TypeScript decoders (src/native/decode-*.ts) read exactly that many.
#pragma once

#include <cstdint>
#include <sys/socket.h>

namespace mptcp_uapi {

constexpr int kIpprotoMptcp = 262;  // IPPROTO_MPTCP
constexpr int kSolMptcp = 284;      // SOL_MPTCP

constexpr int kMptcpInfo = 1;          // 5.9+
constexpr int kMptcpTcpInfo = 2;       // 5.16+
constexpr int kMptcpSubflowAddrs = 3;  // 5.16+
constexpr int kMptcpFullInfo = 4;      // 6.5+

constexpr int kTcpIsMptcp = 43;  // level SOL_TCP, 5.16+

struct MptcpInfo {  // struct mptcp_info, the 6.10 layout (96 bytes)
  uint8_t subflows;
  uint8_t add_addr_signal;
  uint8_t add_addr_accepted;
  uint8_t subflows_max;
  uint8_t add_addr_signal_max;
  uint8_t add_addr_accepted_max;
  uint32_t flags;
  uint32_t token;
  uint64_t write_seq;
  uint64_t snd_una;
  uint64_t rcv_nxt;
  uint8_t local_addr_used;  // 5.12
  uint8_t local_addr_max;   // 5.12
  uint8_t csum_enabled;     // 5.14
  uint32_t retransmits;     // 6.5
  uint64_t bytes_retrans;
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t bytes_acked;
  uint8_t subflows_total;  // 6.8
  uint8_t reserved[3];
  uint32_t last_data_sent;  // 6.10
  uint32_t last_data_recv;
  uint32_t last_ack_recv;
};
static_assert(sizeof(MptcpInfo) == 96, "mptcp_info layout");

// Header of MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS requests; the elements follow it.
struct alignas(8) MptcpSubflowData {
  uint32_t size_subflow_data;  // sizeof(MptcpSubflowData), set by us
  uint32_t num_subflows;       // set by the kernel: the real subflow count
  uint32_t size_kernel;        // set by the kernel: its element size
  uint32_t size_user;          // set by us: our element size
};
static_assert(sizeof(MptcpSubflowData) == 16, "mptcp_subflow_data layout");

struct MptcpSubflowAddrs {  // two struct __kernel_sockaddr_storage
  sockaddr_storage local;
  sockaddr_storage remote;
};
static_assert(sizeof(MptcpSubflowAddrs) == 256, "mptcp_subflow_addrs layout");

struct MptcpSubflowInfo {
  uint32_t id;
  MptcpSubflowAddrs addrs;
};
static_assert(sizeof(MptcpSubflowInfo) == 264, "mptcp_subflow_info layout");

struct MptcpFullInfo {
  uint32_t size_tcpinfo_kernel;  // set by the kernel
  uint32_t size_tcpinfo_user;
  uint32_t size_sfinfo_kernel;  // set by the kernel
  uint32_t size_sfinfo_user;
  uint32_t num_subflows;      // set by the kernel
  uint32_t size_arrays_user;  // how many elements our arrays hold
  alignas(8) uint64_t subflow_info;  // user pointer to MptcpSubflowInfo[size_arrays_user]
  alignas(8) uint64_t tcp_info;      // user pointer to tcp_info[size_arrays_user]
  MptcpInfo mptcp_info;
};
static_assert(sizeof(MptcpFullInfo) == 40 + 96, "mptcp_full_info layout");

// struct tcp_info grows too (248 bytes in 6.10); we ask for this much and decode by length.
constexpr uint32_t kTcpInfoUserSize = 512;

}  // namespace mptcp_uapi
