"""Request guards below routing, in one pure ASGI middleware (each layer costs every request):
NUL characters in the path or query (422: PostgreSQL text cannot hold them, and no name
does) and oversized bodies (413, also without Content-Length)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.problems import problem


class BodyTooLarge(Exception):
    pass


class Guards:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(
            scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape"),
            scope.get("query_string", b""),
        ):
            await _refuse_nul(scope, receive, send)
            return
        length, chunked = _framing(scope["headers"])
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        if length is None and not chunked:
            # No Content-Length and no Transfer-Encoding: a request without a body (RFC 9112
            # 6.3), such as every plain GET; nothing to count, so no wrappers to pay for.
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count what arrives, also under a Content-Length: the limit must not depend on
        the server holding the client to it."""
        seen = 0
        started = too_large = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # The app caught the error while reading (FastAPI answers 400 "error parsing
                # the body"): what it says about a body it never got whole is replaced by 413.
                if not started:
                    started = True
                    await self._refuse(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "Body too large",
            f"request bodies are limited to {self.max_bytes} bytes",
            slug="body-too-large",
        )
        await response(scope, receive, send)


def _has_nul(raw_path: bytes, query: bytes) -> bool:
    # A NUL arrives either as is or percent-encoded (%00: digits, so no case to fold).
    return b"\x00" in raw_path or b"%00" in raw_path or b"\x00" in query or b"%00" in query


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[bytes | None, bool]:
    """The (last) Content-Length value, and whether a Transfer-Encoding header is present."""
    length = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(
        422,
        "Invalid request",
        "NUL characters are not allowed in the path or query",
        slug="invalid-request",
        errors=[{"loc": ["query"], "msg": "NUL character", "type": "nul_character"}],
    )
    await response(scope, receive, send)
