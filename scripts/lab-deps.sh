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
  vsftpd mptcpd mptcpize lftp curl openssl ca-certificates iputils-ping time \
  chromium \
  >/dev/null

# A second FTP server for interoperability tests. Debian's pure-ftpd conflicts with vsftpd (both
# provide ftp-server), so its binaries are unpacked beside the system instead of installed.
PURE_FTPD_ROOT=/opt/mptcp-doctor-lab/pure-ftpd
if [ ! -x "$PURE_FTPD_ROOT/usr/sbin/pure-ftpd" ]; then
  apt-get install -y -qq --no-install-recommends libsodium23 libcap2 libpam0g libssl3 libcrypt1 >/dev/null
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq pure-ftpd >/dev/null)
  mkdir -p "$PURE_FTPD_ROOT"
  dpkg -x "$work"/pure-ftpd_*.deb "$PURE_FTPD_ROOT"
  rm -rf "$work"
fi
