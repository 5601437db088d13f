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
# Packages with a service (openssh-server, prometheus, prometheus-node-exporter, mptcpd) must not
# start it on this machine: the tests run their own copies, inside network namespaces. Debian's
# policy-rc.d hook says no while they install (only if this machine has none of its own).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends \
  build-essential python3 \
  iproute2 iptables nftables kmod procps psmisc \
  vsftpd mptcpd mptcpize lftp curl openssl ca-certificates iputils-ping time \
  chromium \
  >/dev/null
# Release artifacts and fleet tooling: the arm64 cross compiler for the prebuilt addon, man(1) and
# zsh for the man page and completion tests, systemd-analyze (package systemd) for the units, and
# the fleet: sshd and ansible-core to audit namespace hosts, node_exporter and promtool (package
# prometheus) for the textfile and the alerting rules.
apt-get install -y -qq --no-install-recommends \
  g++-aarch64-linux-gnu binutils man-db zsh systemd \
  openssh-server openssh-client ansible-core prometheus-node-exporter prometheus \
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
