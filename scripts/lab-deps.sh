#!/usr/bin/env bash
# Installs the Debian packages the tests and the network lab need (as root).
# Used by .ci/run and by `npm run lab:deps`.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "lab-deps: run as root (apt-get install)" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential python3 \
  iproute2 iptables nftables kmod procps psmisc \
  vsftpd mptcpd lftp curl openssl ca-certificates iputils-ping time \
  >/dev/null
