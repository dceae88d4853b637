"""Waits until every given pid has exited, or until the timeout: the kernel signals each exit on a
pidfd (Linux 5.3+), so nothing polls /proc. Usage: wait-exit.py TIMEOUT_MS PID... Prints the pids
still running at the timeout, one per line, and exits 0 either way; the caller judges."""
import os
import select
import sys
import time

deadline = time.monotonic() + int(sys.argv[1]) / 1000
poller = select.poll()
waiting = {}
for pid in map(int, sys.argv[2:]):
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        continue  # already gone
    waiting[fd] = pid
    poller.register(fd, select.POLLIN)
while waiting:
    left_ms = (deadline - time.monotonic()) * 1000
    if left_ms <= 0:
        break
    for fd, _ in poller.poll(left_ms):
        poller.unregister(fd)
        waiting.pop(fd)
        os.close(fd)
for pid in waiting.values():
    print(pid)
