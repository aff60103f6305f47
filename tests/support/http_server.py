#!/usr/bin/env python3
"""A local HTTP server for the plugin tests (no internet): binds 127.0.0.1 on
a free port, writes the port to the file named by argv[1], and serves

  /ok            200, body "hello from the test server"
  /status/NNN    status NNN, body "status NNN"
  /echo          200, body "METHOD|X-Test header|Content-Type|request body"
  /slow          waits 5 s, then 200
  /ready         503 until the file named by argv[2] exists, then 200
"""
import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/ok":
            self.answer(200, "hello from the test server")
        elif self.path.startswith("/status/"):
            code = int(self.path.rsplit("/", 1)[1])
            self.answer(code, "status %d" % code)
        elif self.path == "/echo":
            self.answer(200, "%s|%s|%s|%s" % (self.command, self.headers.get("X-Test", ""),
                                              self.headers.get("Content-Type", ""), body))
        elif self.path == "/slow":
            time.sleep(5)
            self.answer(200, "slow")
        elif self.path == "/ready":
            self.answer(200 if os.path.exists(sys.argv[2]) else 503, "ready?")
        else:
            self.answer(404, "no such path")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
