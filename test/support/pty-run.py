#!/usr/bin/env python3
"""Runs one command on a real pseudo-terminal, for tests of terminal behaviour (progress bars,
prompts without echo, colour, Ctrl-C). Node has no pty of its own here; Python's pty module does.

Usage: pty-run.py '{"argv": [...], "cols": 80, "rows": 24, "stdout": "pty"|"pipe", "stderr": "pty"|"pipe"}'

- The command gets the pty as its controlling terminal and stdin; stdout and stderr are the pty
  too, or ("pipe") this process's fd 3 and fd 4, which the caller reads separately.
- What the command writes to the pty comes out on our stdout, as the terminal would show it.
- Our stdin goes to the pty as typed input: "\\x03" is Ctrl-C (the line discipline turns it into
  SIGINT for the command's process group), "\\r" is Enter.
- SIGTERM and SIGINT sent to us are passed on to the command.
- We exit with the command's exit code, or 128 + N when a signal N ended it (as a shell reports).
"""
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios

config = json.loads(sys.argv[1])
argv = config["argv"]
cols = int(config.get("cols", 80))
rows = int(config.get("rows", 24))

# fd 3 and fd 4 are the caller's pipes for a piped stdout and stderr, when it gave them.
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


passed = [fd for fd in (3, 4) if is_open(fd)]

pid, master = pty.fork()
if pid == 0:
    # Child: the size is set before exec, so the command never sees the default 0x0.
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    if config.get("stdout") == "pipe":
        os.dup2(3, 1)
    if config.get("stderr") == "pipe":
        os.dup2(4, 2)
    for fd in passed:
        os.close(fd)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)

# Parent: our own copies of the pipes are not needed (the child has them), and they must close
# when the child's do, so that the caller sees their end.
for fd in passed:
    os.close(fd)


def forward(signum, _frame):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)

stdin_open = True
out = sys.stdout.buffer
while True:
    readable = [master] + ([0] if stdin_open else [])
    try:
        ready, _, _ = select.select(readable, [], [], 0.5)
    except InterruptedError:
        continue
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if not data:
            break
        out.write(data)
        out.flush()
    if 0 in ready:
        data = os.read(0, 4096)
        if data:
            os.write(master, data)
        else:
            stdin_open = False

_, status = os.waitpid(pid, 0)
if os.WIFSIGNALED(status):
    sys.exit(128 + os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
