"""Request body limits, enforced before a body is read whole.

A declared ``Content-Length`` over the limit is refused at once; a chunked
body is counted as it arrives and refused as soon as it passes the limit, so
an oversized upload never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(limit: int) -> str:
    return f"the request body is over the {limit:,}-byte limit for this route; send less (or split a batch)"


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit_for(path)`` bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI re-raises HTTPExceptions from body reading, so this becomes the response.
                raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)
