#!/usr/bin/env python3
"""A stand-in for lore.kernel.org on 127.0.0.1, for the tests: a real HTTP server with lore's
URL layout. GET /<list>/<message-id>/t.mbox.gz answers the gzipped mbox of the thread that
holds <message-id> (every *.mbox file in ROOT is one thread; any message of it names it), for
any <list>. Some message-ids misbehave on purpose:
  cut-short@test    200, Content-Length of the whole gzip, half of it sent, connection closed
  not-gzip@test     200 with an HTML page
  anything unknown  404
Every request is appended to ROOT/requests.log. Prints the port on stdout, then serves until
killed (or for at most 10 minutes)."""
import gzip
import http.server
import os
import re
import signal
import sys
import threading
import urllib.parse

ROOT = sys.argv[1]
# A parent that ignores SIGTERM (as patchcheck's tests may) passes that on: stop on it anyway.
signal.signal(signal.SIGTERM, signal.SIG_DFL)


def threads():
    """message-id -> the thread file's bytes."""
    index = {}
    for name in sorted(os.listdir(ROOT)):
        if not name.endswith(".mbox"):
            continue
        with open(os.path.join(ROOT, name), "rb") as f:
            data = f.read()
        for match in re.finditer(rb"^Message-I[Dd]:\s*<([^>]+)>", data, re.M):
            index[match.group(1).decode()] = data
    return index


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(self.path + "\n")
        parts = [urllib.parse.unquote(p) for p in self.path.split("/") if p]
        if len(parts) != 3 or parts[2] != "t.mbox.gz":
            return self.answer(404, b"not found\n", "text/plain")
        msgid = parts[1]
        if msgid == "cut-short@test":
            body = gzip.compress(b"From x\n" + os.urandom(200000))
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if msgid == "not-gzip@test":
            return self.answer(200, b"<html><body>Anubis says hi</body></html>\n", "text/html")
        thread = threads().get(msgid)
        if thread is None:
            return self.answer(404, b"not found\n", "text/plain")
        self.answer(200, gzip.compress(thread), "application/gzip")

    def answer(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Timer(600, server.shutdown).start()
server.serve_forever()
