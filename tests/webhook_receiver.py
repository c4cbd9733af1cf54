"""A webhook receiver for tests, run as its own process on loopback:

    python tests/webhook_receiver.py PORT LOG.jsonl FAIL_FIRST

Every POST is appended to LOG.jsonl (headers, body, the status answered); the first
FAIL_FIRST requests are answered 500, the rest 204."""
from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_seen = 0


def main(port: int, log: str, fail_first: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            global _seen
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with _lock:
                _seen += 1
                status = 500 if _seen <= fail_first else 204
                with open(log, "a", encoding="utf-8") as out:
                    out.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                          "body": body.decode(), "status": status}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
