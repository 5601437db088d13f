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
It needs the receive window to fill: with --read 4096 (a slow reader) 15 of 16 transfers stall; with a fixed
receive buffer (--rcvbuf 1048576 or 67108864, which also turns autotuning off) 0 of 16 at 10 MiB, and about
one stall per 4 GiB instead of two.

Options: --tcp, --rcvbuf BYTES (SO_RCVBUFFORCE on the receiver), --read BYTES (size of each recv_into).
"""
import select
import socket
import sys
import threading
import time

IPPROTO_MPTCP = 262
SO_RCVBUFFORCE = 33


def option(name: str, default: int) -> int:
    """--name VALUE from the command line, as an integer."""
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def parse_size(text: str) -> int:
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def transfer(size: int, proto: int, rcvbuf: int, read: int) -> tuple[float, list[str]]:
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
    if rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    client.connect(server.getsockname())
    buffer = bytearray(read)
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
    args = []
    skip = False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in ('--rcvbuf', '--read'):
            skip = True
        elif not a.startswith('--'):
            args.append(a)
    rcvbuf = option('--rcvbuf', 0)
    read = option('--read', 1 << 16)
    size = parse_size(args[0]) if args else 10 << 20
    runs = int(args[1]) if len(args) > 1 else 10
    proto = 0 if '--tcp' in sys.argv else IPPROTO_MPTCP
    stalled = 0
    for i in range(runs):
        ms, gaps = transfer(size, proto, rcvbuf, read)
        stalled += 1 if gaps else 0
        print(f'run {i + 1}: {ms:.0f} ms' + (f'  stalls: {"; ".join(gaps)}' if gaps else ''))
    print(f'{"TCP" if proto == 0 else "MPTCP"} {size} bytes: {stalled} of {runs} runs stalled')


if __name__ == '__main__':
    main()
