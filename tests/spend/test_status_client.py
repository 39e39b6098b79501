"""The reference client signs its request with SigV4 for `lambda` (what a function URL with AWS_IAM checks)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from consumers.spend.status_client import ask_budget_status


def test_request_is_sigv4_signed_for_lambda_and_carries_the_user() -> None:
    seen: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            seen["path"] = self.path
            seen["headers"] = dict(self.headers.items())
            body = json.dumps({"allow": False, "reason": "own budget spent"}).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = boto3.Session(
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
        )
        url = f"http://127.0.0.1:{server.server_port}"
        answer = ask_budget_status(url, "jane.doe@example.com", ("contractors",), session)
    finally:
        server.shutdown()
    assert answer == {"allow": False, "reason": "own budget spent"}
    assert seen["path"] == "/?user=jane.doe%40example.com&groups=contractors"
    auth = seen["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") and "/eu-west-1/lambda/aws4_request" in auth
    assert "X-Amz-Date" in seen["headers"]
