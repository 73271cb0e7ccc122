"""Request guards below routing: oversized bodies (413, also without Content-Length) and NUL
characters in the path or query (422: PostgreSQL text cannot hold them, and no name does)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.problems import problem


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Body too large",
                           f"request bodies are limited to {self.max_bytes} bytes",
                           slug="body-too-large")
        await response(scope, receive, send)


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            if b"\x00" in unquote_to_bytes(raw) or b"\x00" in unquote_to_bytes(
                    scope.get("query_string", b"")):
                response = problem(422, "Invalid request",
                                   "NUL characters are not allowed in the path or query",
                                   slug="invalid-request",
                                   errors=[{"loc": ["query"], "msg": "NUL character",
                                            "type": "nul_character"}])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
