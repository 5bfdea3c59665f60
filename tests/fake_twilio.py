"""A local fake of Twilio's Messages API, for the real twilio client to talk to in tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    """Records every POST to /2010-04-01/Accounts/<sid>/Messages.json; can fail on demand."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.failures: deque[tuple[int, int]] = deque()  # (http status, twilio error code)
        self.fail_always: tuple[int, int] | None = None
        self.delay = 0.0  # seconds to wait before answering (to kill a sender mid-request)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like the real API
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between header and body

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                if fake.delay:
                    time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:  # the client died mid-request: like Twilio, nothing is sent
                    self.close_connection = True
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, body = fake._answer(self.path, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 500, code: int = 20500) -> None:
        with self._lock:
            self.failures.extend([(status, code)] * count)

    @property
    def sent(self) -> list[dict[str, str]]:
        """The requests that were accepted (answered 201)."""
        return [r for r in self.requests if r["_status"] == "201"]

    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            failure = self.failures.popleft() if self.failures else self.fail_always
            record = dict(form, _path=path)
            if not path.endswith("/Messages.json"):
                record["_status"] = "404"
                self.requests.append(record)
                return 404, {"code": 20404, "message": "not found", "status": 404}
            if failure is not None:
                status, code = failure
                record["_status"] = str(status)
                self.requests.append(record)
                return status, {"code": code, "message": f"fake error {code}", "status": status}
            sid = "SM" + uuid.uuid4().hex
            record["_status"] = "201"
            record["_sid"] = sid
            self.requests.append(record)
        return 201, {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "num_segments": "1",
            "direction": "outbound-api",
        }
