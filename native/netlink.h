// Netlink sockets for host-wide observation (sock_diag dumps, the mptcp_pm event group).
#pragma once

#include <napi.h>

namespace mptcp_doctor {

// Adds netlinkTransact, NetlinkDump, NetlinkSubscription and the netlink constants to the addon's exports.
void RegisterNetlink(Napi::Env env, Napi::Object exports);

}  // namespace mptcp_doctor
