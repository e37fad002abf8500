"""A stand-in for the app's request URLs in the peer's tests: records what it receives and whether Slack's
signature checks out (slack_sdk's own verifier), and answers url_verification as an app must."""
from __future__ import annotations

import json
import threading

from slack_sdk.signature import SignatureVerifier
from werkzeug.wrappers import Request, Response


class Receiver:
    def __init__(self, secret: str):
        self.verifier = SignatureVerifier(secret)
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        entry = {"path": request.path, "host": request.host, "headers": dict(request.headers), "body": body,
                 "verified": self.verifier.is_valid_request(body, dict(request.headers))}
        with self.lock:
            self.received.append(entry)
        payload = json.loads(body) if request.mimetype == "application/json" else None
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return Response(json.dumps({"challenge": payload["challenge"]}), mimetype="application/json")(
                environ, start_response)
        return Response(json.dumps({"response_type": "ephemeral", "text": "got it"}), mimetype="application/json")(
            environ, start_response)
