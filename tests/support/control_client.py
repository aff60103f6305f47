"""Hostile clients of weft's control socket (tests/e2e/hostile_control.sh).

control_client.py SOCKET send LINE...   each LINE on its own connection;
                                        prints each reply line (or "closed")
control_client.py SOCKET idle SECONDS   connect, say nothing: prints how
                                        long until the server closed it
control_client.py SOCKET flood N [HOLD] open up to N silent connections at
                                        once, hold them HOLD s (default 1):
                                        prints how many the server closed
"""
import socket
import sys
import time


def connect(path, timeout=5):
    # A Unix socket's connect fails at once (EAGAIN) while the listener's
    # backlog is full, whatever the timeout: try again until it passes.
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def read_reply(s, timeout):
    s.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout"
    return data.decode("utf-8", "replace").strip() or "closed"


def main():
    path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "send":
        for line in args:
            s = connect(path)
            s.sendall(line.encode() + b"\n")
            print(read_reply(s, 10))
            s.close()
    elif mode == "idle":
        s = connect(path)
        t0 = time.monotonic()
        r = read_reply(s, float(args[0]))
        print("%s %.1f" % (r, time.monotonic() - t0))
    elif mode == "flood":
        socks = []
        for _ in range(int(args[0])):
            try:
                s = connect(path, 1)
            except OSError:
                break  # the backlog is full while the server does not accept
            socks.append(s)
        time.sleep(float(args[1]) if len(args) > 1 else 1)
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
        print(closed)
        for s in socks:
            s.close()


main()
