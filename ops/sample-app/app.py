"""EnvForge's sample app: a small web app with an /api route, static assets and a WebSocket echo.

Standard library only. It listens on $PORT (default 8080) and serves:
  /               the page (static/index.html)
  /static/...     its assets (app.js, style.css)
  /api/hello      JSON: who answered, and the names (never the values) of the secrets it was given
  /ws             a WebSocket that echoes every message back
  /healthz        "ok", for envforge.yml's health check
  /_admin         an admin page that a dev link must never open (the gateway refuses it before it gets here)
Run as `python3 app.py` (web) or `python3 app.py --admin` (the admin service of envforge.yml).
"""

import base64
import hashlib
import json
import os
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(ROOT, "static")
ADMIN = "--admin" in sys.argv
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
# The secrets envforge.yml may give either service: the app reports which it sees, never what they hold.
KNOWN_SECRETS = ("GREETING", "ADMIN_TOKEN")


class Handler(BaseHTTPRequestHandler):
    server_version = "EnvForgeSample/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep the container log quiet: one line per request, no headers
        sys.stderr.write("%s %s\n" % (self.command, self.path.split("?")[0]))

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/healthz":
            return self.send(200, "text/plain", b"ok")
        if ADMIN:
            return self.send(200, "text/plain", b"sample admin service")
        if path == "/":
            return self.file("index.html")
        if path.startswith("/static/") and "/.." not in path:
            return self.file(path[len("/static/"):])
        if path == "/api/hello":
            body = {
                "message": "Hello from the EnvForge sample app",
                "service": os.environ.get("ENVFORGE_SERVICE", "web"),
                "workspace": os.environ.get("ENVFORGE_WORKSPACE", ""),
                "secrets": sorted(name for name in KNOWN_SECRETS if os.environ.get(name)),
            }
            return self.send(200, "application/json", json.dumps(body).encode())
        if path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        if path == "/_admin":
            return self.send(200, "text/plain", b"sample admin page: never reachable through a dev link")
        return self.send(404, "text/plain", b"not found")

    def send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def file(self, name):
        full = os.path.realpath(os.path.join(STATIC, name))
        if not full.startswith(STATIC + os.sep) or not os.path.isfile(full):
            return self.send(404, "text/plain", b"not found")
        with open(full, "rb") as f:
            body = f.read()
        return self.send(200, TYPES.get(os.path.splitext(full)[1], "application/octet-stream"), body)

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            frame = self.read_frame()
            if frame is None:
                break
            opcode, payload = frame
            if opcode == 0x8:  # close: answer it and stop
                self.write_frame(0x8, payload[:2])
                break
            if opcode == 0x9:  # ping
                self.write_frame(0xA, payload)
            elif opcode in (0x1, 0x2):  # text or binary: echo
                self.write_frame(opcode, payload)
        self.close_connection = True

    def read_frame(self):
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode = head[0] & 0x0F
        masked = head[1] & 0x80
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", self.rfile.read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self.rfile.read(8))[0]
        if length > 1 << 20:
            return None
        mask = self.rfile.read(4) if masked else b"\0\0\0\0"
        data = self.rfile.read(length)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def write_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            head += bytes([len(payload)])
        elif len(payload) < 1 << 16:
            head += bytes([126]) + struct.pack(">H", len(payload))
        else:
            head += bytes([127]) + struct.pack(">Q", len(payload))
        self.wfile.write(head + payload)
        self.wfile.flush()


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    sys.stderr.write("sample app (%s) on port %d\n" % ("admin" if ADMIN else "web", port))
    server.serve_forever()
