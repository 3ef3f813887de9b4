"""Routes this app never needs, closed before Gradio sees the request.

Gradio serves them for apps with file inputs: `POST /gradio_api/upload` stores any file a
visitor sends (signed in or not, on an open app or a read-only Space) and `/gradio_api/file=`
serves it back, which makes free file hosting and a way to fill the server's disk; and
`/gradio_api/file=<http URL>` fetches any public URL through this server. This app has no input
that takes a file and links to no outside file, so both are refused for everyone. The files the
app itself serves (the Compare tab's CSV, its plots) stay reachable through `file=` with a local
path, under Gradio's own rules for which paths it may serve.

Under a login (DETOX_AUTH), Gradio also keeps `/gradio_api/heartbeat/<session>` open to
visitors who are not signed in: a persistent connection per request, for anyone. It is refused
to them here. (FastAPI's `/openapi.json`, a map of every route, is switched off in ui.py.)
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]

NO_UPLOADS = "This app accepts no file uploads."
NO_PROXY = "This app fetches no outside URLs."
SIGN_IN = "Sign in first."


def refusal(method: str, path: str) -> str | None:
    """Why the request is refused, or None to let it through. `path` is percent-decoded."""
    if method == "POST" and path.rstrip("/").endswith("/upload"):
        return NO_UPLOADS
    _, file_route, target = path.partition("/file=")
    if file_route and target.lower().lstrip("/").startswith(("http:", "https:")):
        return NO_PROXY
    return None


def signed_in(scope: Scope) -> bool:
    """Whether the request may use routes that need a login: always when the app has none, else
    when it carries the access-token cookie Gradio's login page set (the check of its `login_check`)."""
    app = scope.get("app")
    if getattr(app, "auth", None) is None:
        return True
    cookies = Request(scope).cookies
    cookie_id = getattr(app, "cookie_id", "")
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return getattr(app, "tokens", {}).get(token) is not None


class ClosedRoutes:
    """ASGI middleware: 403 with a plain sentence for the routes `refusal` names, and 401 for
    the heartbeat of a visitor who is not signed in under a login."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            reason = refusal(scope.get("method", ""), path)
            if reason:
                await PlainTextResponse(reason, status_code=403)(scope, receive, send)
                return
            if "/heartbeat/" in path and not signed_in(scope):
                await PlainTextResponse(SIGN_IN, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)
