"""A request body larger than the limit is refused with 413 before it is read into memory: by its Content-Length
when it says, else by counting while it streams in. The API answers problem+json; a page's path (a form's upload)
answers the site's error page, as every other failure on a page does (web.problems.install)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.problems import Described, PageRenderer, as_json


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        page: PageRenderer | None = None,
        is_page: Callable[[str], bool] = lambda _path: False,
    ) -> None:
        self.app, self.limit, self.page, self.is_page = app, limit, page, is_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        too_large = False

        async def counted() -> Message:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Stop reading here; whatever the app answers to the cut body is replaced by the refusal.
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def answered(message: Message) -> None:
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(scope, send)

        await self.app(scope, counted, answered)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        found = Described(413, f"isi permintaan lebih dari {self.limit // 1024} KiB; kirim berkas yang lebih kecil")
        if self.page is not None and self.is_page(scope.get("path", "")):
            answer = await self.page(Request(scope), found)
        else:
            answer = as_json(found)
        await answer(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
