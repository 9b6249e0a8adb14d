"""A scripted OpenAI-compatible chat completions server on 127.0.0.1, for the narrator's tests.

It speaks the real protocol (``POST /v1/chat/completions``, ``GET /v1/models``, bearer auth,
OpenAI's error body ``{"error": {"message", "type", "code"}}``) and answers from a script:
each request consumes the next ``Reply`` (the last one repeats). Requests are recorded so
tests can check what was sent (model, temperature, messages) and how many were sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted reply: a completion (``content``) or an HTTP error (``status`` >= 400)."""

    content: str | None = None
    status: int = 200
    finish_reason: str = "stop"
    refusal: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0          # seconds to wait before answering (timeouts)
    raw: str | None = None      # a body sent as is (malformed responses)


def answer(content: str, **kw) -> Reply:
    """A completion whose message says ``content``."""
    return Reply(content=content, **kw)


def error(status: int, message: str = "error", **kw) -> Reply:
    """An error response in OpenAI's shape."""
    return Reply(status=status, raw=json.dumps({"error": {"message": message, "type": "server_error" if status >= 500
                                                          else "invalid_request_error", "code": None}}), **kw)


class FakeOpenAI:
    """The server's state: the script, the known models, the expected key, the requests seen."""

    def __init__(self, script: list[Reply] | None = None, models: tuple[str, ...] = ("test-model",),
                 api_key: str | None = "sk-test-secret-0123456789"):
        self.script = list(script or [])
        self.models = models
        self.api_key = api_key
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    def next_reply(self) -> Reply:
        with self._lock:
            if not self.script:
                return error(500, "no scripted reply")
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @contextlib.contextmanager
    def serve(self) -> Iterator[FakeOpenAI]:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                         for m in self.fake.models]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error", "code": None}})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        fake = self.fake
        fake.requests.append({"path": self.path, "body": body, "authorization": self.headers.get("authorization")})
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
        if fake.api_key and self.headers.get("authorization") != f"Bearer {fake.api_key}":
            return self._json(401, {"error": {"message": "Incorrect API key provided: sk-***", "type": "invalid_request_error",
                                              "code": "invalid_api_key"}})
        if body.get("model") not in fake.models:
            return self._json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist",
                                              "type": "invalid_request_error", "code": "model_not_found"}})
        reply = fake.next_reply()
        if reply.delay:
            time.sleep(reply.delay)
        if reply.raw is not None:
            return self._send(reply.status, reply.raw.encode(), reply.headers)
        message = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
        self._json(reply.status, {
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1764000000, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
        }, reply.headers)

    def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers)

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def good_answer(sheet: dict, language: str) -> dict:
    """An answer to the narrator's prompt that states only facts of ``sheet`` (passes the lock)."""
    s = sheet["summary"]
    zh = language == "zh"
    out: dict = {
        "summary": (f"本周 {sheet['repository']} 合并了 {s['pr_count']} 个 PR，其中 {s['highlight_count']} 个为重点 PR。" if zh
                    else f"This week {sheet['repository']} merged {s['pr_count']} PRs, {s['highlight_count']} of them highlights."),
        "themes": {}, "highlights": {}, "suggestions": {},
    }
    for t in sheet["themes"]:
        cite = f"#{t['prs'][0]}" if t["prs"] else ""
        out["themes"][t["name"]] = (f"{t['name']} 主题共有 {t['pr_count']} 个 PR，包括 {cite}。" if zh
                                    else f"{t['name']} saw {t['pr_count']} PRs, among them {cite}.")
    for h in sheet["highlights"]:
        out["highlights"][str(h["number"])] = (
            f"#{h['number']} 由 {h['author']} 提交，得分 {h['score']}。它是本周的重点之一。" if zh
            else f"#{h['number']} is a {h['kind']} change by {h['author']}. It scored {h['score']}.")
    for sg in sheet["suggestions"]:
        cite = f"#{sg['prs'][0]}" if sg["prs"] else ""
        out["suggestions"][sg["key"]] = ((f"请跟进 {cite}。" if cite else "除常规评审外无需跟进。") if zh
                                          else (f"Follow up on {cite}." if cite else "Nothing beyond the usual review."))
    return out


def themed_model(model: dict) -> dict:
    """``model`` with themes (schema 1.1) made from its busiest code modules, one theme per PR."""
    themes, used = [], set()
    for mod in [m for m in model["modules"] if not m.get("auxiliary")][:5]:
        prs = [n for n in mod["prs"] if n not in used]
        used.update(prs)
        if prs:
            themes.append({"name": mod["key"], "basis": "module", "summary": "", "prs": prs, "kinds": [],
                           "leads": prs[:3], "highlights": [h["number"] for h in model["highlights"] if h["number"] in prs]})
    return {**model, "themes": themes}
