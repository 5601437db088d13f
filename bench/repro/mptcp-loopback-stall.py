#!/usr/bin/env python3
"""Minimal reproducer of the ~200 ms MPTCP stalls seen in every loopback benchmark (bench/analysis.md).

No Node, no FTP: one MPTCP connection over 127.0.0.1, a thread sends N bytes (non-blocking, poll for
POLLOUT), the main thread receives with recv_into a 64 KiB buffer and reports every gap over 30 ms.
Run it in a throwaway namespace to read the counters of this connection alone:

  ip netns add stalltest && ip -n stalltest link set lo up
  ip netns exec stalltest nstat -n
  ip netns exec stalltest python3 bench/repro/mptcp-loopback-stall.py 10M 10
  ip netns exec stalltest nstat | grep -E 'MPTCPRetrans|DuplicateData'
  ip netns del stalltest

On Linux 6.18 (2 cores, 2026-11-26) about a third of 10 MiB transfers stall once for 200-210 ms; each stall
is exactly one MPTcpExtMPTCPRetrans and one MPTcpExtDuplicateData (the data had arrived: the sender
retransmitted at the MPTCP level after the minimum RTO). The same pair with plain TCP (--tcp) never stalls.
"""
import select
import socket
import sys
import threading
import time

IPPROTO_MPTCP = 262


def parse_size(text: str) -> int:
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def transfer(size: int, proto: int) -> tuple[float, list[str]]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    server.bind(('127.0.0.1', 0))
    server.listen(1)

    def send() -> None:
        conn, _ = server.accept()
        conn.setblocking(False)
        poller = select.poll()
        poller.register(conn, select.POLLOUT)
        chunk = b'x' * (1 << 20)
        left = size
        while left:
            try:
                left -= conn.send(chunk[:min(left, len(chunk))])
            except BlockingIOError:
                poller.poll(1000)
        conn.close()

    threading.Thread(target=send, daemon=True).start()
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    client.connect(server.getsockname())
    buffer = bytearray(1 << 16)
    received = 0
    gaps = []
    start = last = time.monotonic()
    while True:
        n = client.recv_into(buffer)
        now = time.monotonic()
        if n == 0:
            break
        if now - last > 0.03:
            gaps.append(f'{(now - last) * 1000:.0f} ms after {received} bytes')
        received += n
        last = now
    client.close()
    server.close()
    return (last - start) * 1000, gaps


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    size = parse_size(args[0]) if args else 10 << 20
    runs = int(args[1]) if len(args) > 1 else 10
    proto = 0 if '--tcp' in sys.argv else IPPROTO_MPTCP
    stalled = 0
    for i in range(runs):
        ms, gaps = transfer(size, proto)
        stalled += 1 if gaps else 0
        print(f'run {i + 1}: {ms:.0f} ms' + (f'  stalls: {"; ".join(gaps)}' if gaps else ''))
    print(f'{"TCP" if proto == 0 else "MPTCP"} {size} bytes: {stalled} of {runs} runs stalled')


if __name__ == '__main__':
    main()
