#!/usr/bin/env python3
"""Minimal reproducer of the ~200 ms MPTCP stalls seen in every loopback benchmark (bench/analysis.md).

No Node, no FTP: one MPTCP connection over 127.0.0.1, a thread sends N bytes (non-blocking, poll for
POLLOUT), the main thread receives with recv_into a 64 KiB buffer and reports every gap over 30 ms.
Run it in a throwaway namespace to read the counters of this connection alone:

  ip netns add stalltest && ip -n stalltest link set lo up
  ip netns exec stalltest python3 bench/repro/mptcp-loopback-stall.py 10M 10
  ip netns exec stalltest python3 bench/repro/mptcp-loopback-stall.py --matrix 64M 12
  ip netns del stalltest

Every run prints the namespace's MPTcpExt counters that moved during it (MPTCPRetrans, DuplicateData,
WinProbe; /proc/net/netstat is per namespace, so run it in its own). On Linux 6.18 (2 cores,
2026-11-26) about a third of 10 MiB transfers stall once for 200-210 ms; each stall is exactly one
MPTcpExtMPTCPRetrans and one MPTcpExtDuplicateData (the data had arrived: the sender retransmitted at
the MPTCP level after the minimum RTO). The same pair with plain TCP (--tcp) never stalls.
It needs the receive window to fill: with --read 4096 (a slow reader) 15 of 16 transfers stall; with a fixed
receive buffer (--rcvbuf 1048576 or 67108864, which also turns autotuning off) 0 of 16 at 10 MiB, and about
one stall per 4 GiB instead of two.

Sender knobs (each one alone; --matrix runs them alternately, round after round, and prints a table):
  --cork            TCP_CORK on the sender for the whole transfer, cleared before close
  --nodelay         TCP_NODELAY on the sender
  --sndbuf BYTES    SO_SNDBUF on the sender (fixed: turns send-buffer autotuning off)
  --lowat BYTES     TCP_NOTSENT_LOWAT on the sender
  --send BYTES      bytes per send() call (default 1 MiB)
  --blocking        blocking sender (send() sleeps in the kernel instead of poll + EAGAIN)
  --sendfile        send from a file in /dev/shm with os.sendfile (vsftpd's way), blocking
Receiver knobs: --tcp, --rcvbuf BYTES (SO_RCVBUFFORCE on the receiver), --read BYTES (size of each recv_into).
"""
import os
import select
import socket
import statistics
import sys
import tempfile
import threading
import time

IPPROTO_MPTCP = 262
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32
TCP_NOTSENT_LOWAT = 25
VALUE_OPTIONS = ('--rcvbuf', '--read', '--sndbuf', '--lowat', '--send')
COUNTERS = ('MPTCPRetrans', 'DuplicateData', 'WinProbe')


def option(argv: list[str], name: str, default: int) -> int:
    """--name VALUE from the command line, as a size."""
    if name in argv:
        return parse_size(argv[argv.index(name) + 1])
    return default


def parse_size(text: str) -> int:
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def mptcp_counters() -> dict[str, int]:
    """This network namespace's MPTcpExt counters (/proc/net/netstat)."""
    with open('/proc/net/netstat') as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith('MPTcpExt:'):
            return {k: int(v) for k, v in zip(names.split()[1:], values.split()[1:]) if k in COUNTERS}
    return {}


class Knobs:
    def __init__(self, argv: list[str]):
        self.tcp = '--tcp' in argv
        self.cork = '--cork' in argv
        self.nodelay = '--nodelay' in argv
        self.blocking = '--blocking' in argv
        self.sendfile = '--sendfile' in argv
        self.rcvbuf = option(argv, '--rcvbuf', 0)
        self.read = option(argv, '--read', 1 << 16)
        self.sndbuf = option(argv, '--sndbuf', 0)
        self.lowat = option(argv, '--lowat', 0)
        self.send = option(argv, '--send', 1 << 20)


def configure_sender(conn: socket.socket, knobs: Knobs) -> None:
    if knobs.sndbuf:
        conn.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, knobs.sndbuf)
    if knobs.lowat:
        conn.setsockopt(socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT, knobs.lowat)
    if knobs.nodelay:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if knobs.cork:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)


def send_all(conn: socket.socket, size: int, knobs: Knobs, source: str | None) -> None:
    configure_sender(conn, knobs)
    if knobs.sendfile:
        with open(source, 'rb') as f:
            offset = 0
            while offset < size:
                offset += os.sendfile(conn.fileno(), f.fileno(), offset, min(size - offset, knobs.send))
    elif knobs.blocking:
        chunk = memoryview(b'x' * knobs.send)
        left = size
        while left:
            left -= conn.send(chunk[:min(left, len(chunk))])
    else:
        conn.setblocking(False)
        poller = select.poll()
        poller.register(conn, select.POLLOUT)
        chunk = memoryview(b'x' * knobs.send)
        left = size
        while left:
            try:
                left -= conn.send(chunk[:min(left, len(chunk))])
            except BlockingIOError:
                poller.poll(1000)
        conn.setblocking(True)
    if knobs.cork:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    conn.close()


def transfer(size: int, knobs: Knobs, source: str | None) -> tuple[float, list[str]]:
    proto = 0 if knobs.tcp else IPPROTO_MPTCP
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    server.bind(('127.0.0.1', 0))
    server.listen(1)

    def send() -> None:
        conn, _ = server.accept()
        send_all(conn, size, knobs, source)

    threading.Thread(target=send, daemon=True).start()
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    if knobs.rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, knobs.rcvbuf)
    client.connect(server.getsockname())
    buffer = bytearray(knobs.read)
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
    if received != size:
        raise SystemExit(f'received {received} of {size} bytes')
    return (last - start) * 1000, gaps


def counted(size: int, knobs: Knobs, source: str | None) -> tuple[float, list[str], dict[str, int]]:
    before = mptcp_counters()
    ms, gaps = transfer(size, knobs, source)
    time.sleep(0.05)  # let the last acknowledgements land before reading the counters
    after = mptcp_counters()
    return ms, gaps, {k: after.get(k, 0) - before.get(k, 0) for k in COUNTERS}


def positional(argv: list[str]) -> list[str]:
    args, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in VALUE_OPTIONS:
            skip = True
        elif not a.startswith('--'):
            args.append(a)
    return args


def source_file(size: int) -> str:
    """A file of `size` bytes in /dev/shm for --sendfile (tmpfs: no disk in the measurement)."""
    fd, path = tempfile.mkstemp(prefix='mptcp-stall-', dir='/dev/shm')
    with os.fdopen(fd, 'wb') as f:
        block = b'x' * (1 << 20)
        left = size
        while left:
            left -= f.write(block[:min(left, len(block))])
    return path


MATRIX = [
    ('default (non-blocking, 1 MiB sends)', []),
    ('--cork', ['--cork']),
    ('--nodelay', ['--nodelay']),
    ('--sndbuf 1M', ['--sndbuf', '1M']),
    ('--sndbuf 4M', ['--sndbuf', '4M']),
    ('--lowat 128K', ['--lowat', '128K']),
    ('--lowat 1M', ['--lowat', '1M']),
    ('--send 64K', ['--send', '64K']),
    ('--blocking', ['--blocking']),
    ('--sendfile', ['--sendfile']),
    ('--tcp (plain TCP)', ['--tcp']),
]


def matrix(size: int, rounds: int, common: list[str]) -> None:
    """Every sender knob alone, alternated round after round (order flipped every round)."""
    source = source_file(size)
    results: dict[str, list[tuple[float, list[str], dict[str, int]]]] = {name: [] for name, _ in MATRIX}
    try:
        for r in range(rounds):
            order = MATRIX if r % 2 == 0 else list(reversed(MATRIX))
            for name, extra in order:
                results[name].append(counted(size, Knobs(common + extra), source))
            print(f'round {r + 1} of {rounds} done (load {os.getloadavg()[0]:.1f})', file=sys.stderr)
    finally:
        os.unlink(source)
    print(f'{size} bytes per transfer, {rounds} rounds alternated, receiver: {" ".join(common) or "defaults"}')
    print('| sender | median ms | transfers with MPTCPRetrans | stalls > 30 ms | MPTCPRetrans / DuplicateData / WinProbe per transfer |')
    print('| --- | --- | --- | --- | --- |')
    for name, _ in MATRIX:
        runs = results[name]
        retrans = sum(1 for _, _, c in runs if c.get('MPTCPRetrans', 0) > 0)
        stalls = sum(len(g) for _, g, _ in runs)
        per_run = ' '.join(f'{c.get("MPTCPRetrans", 0)}/{c.get("DuplicateData", 0)}/{c.get("WinProbe", 0)}' for _, _, c in runs)
        print(f'| {name} | {statistics.median(ms for ms, _, _ in runs):.0f} | {retrans}/{rounds} | {stalls} | {per_run} |')


def main() -> None:
    argv = sys.argv[1:]
    args = positional(argv)
    size = parse_size(args[0]) if args else 10 << 20
    runs = int(args[1]) if len(args) > 1 else 10
    if '--matrix' in argv:
        # Receiver options apply to every row; the rows vary the sender.
        common = [x for name in ('--rcvbuf', '--read') if name in argv for x in (name, argv[argv.index(name) + 1])]
        matrix(size, runs, common)
        return
    knobs = Knobs(argv)
    source = source_file(size) if knobs.sendfile else None
    stalled = 0
    try:
        for i in range(runs):
            ms, gaps, counts = counted(size, knobs, source)
            stalled += 1 if gaps else 0
            moved = ' '.join(f'{k} {v}' for k, v in counts.items() if v)
            print(f'run {i + 1}: {ms:.0f} ms' + (f'  stalls: {"; ".join(gaps)}' if gaps else '') + (f'  [{moved}]' if moved else ''))
    finally:
        if source:
            os.unlink(source)
    print(f'{"TCP" if knobs.tcp else "MPTCP"} {size} bytes: {stalled} of {runs} runs stalled')


if __name__ == '__main__':
    main()
