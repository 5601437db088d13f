{
  "targets": [
    {
      "target_name": "mptcp_doctor",
      "sources": ["native/addon.cc", "native/netlink_socket.cc", "native/netlink_dump.cc", "native/netlink_events.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    }
  ]
}
