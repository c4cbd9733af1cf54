"""Two pure ASGI middlewares: a request id on every request and answer (the audit trail
and the logs carry it), and the request body limit, enforced while the body streams in,
so an oversized upload is refused after at most one chunk past the limit, never spooled."""
from __future__ import annotations

import json
import re
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TYPE_BASE

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestId:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


class PayloadTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413)


def _too_large(limit: int, rid: str | None, path: str) -> tuple[dict, bytes]:
    body = {"type": TYPE_BASE + "payload_too_large", "title": "Payload too large",
            "status": 413, "code": "payload_too_large", "instance": path,
            "detail": f"Dữ liệu gửi lên vượt giới hạn {limit // 2**20} MB.",
            "request_id": rid}
    data = json.dumps(body, ensure_ascii=False).encode()
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", PROBLEM_JSON.encode()),
                         (b"content-length", str(len(data)).encode()),
                         (b"connection", b"close")]}
    return start, data


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = scope.get("state", {}).get("request_id")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(send, rid, scope["path"])
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge:
            if started:
                raise
            await self._refuse(send, rid, scope["path"])

    async def _refuse(self, send: Send, rid: str | None, path: str) -> None:
        start, data = _too_large(self.limit, rid, path)
        await send(start)
        await send({"type": "http.response.body", "body": data})
