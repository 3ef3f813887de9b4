"""Who may start, stop and evaluate runs, and how big a run a shared app accepts.

Three modes, read from the environment once per app:
- open: a local app without DETOX_AUTH; anyone who can reach it may do anything (as before).
- password: DETOX_AUTH="user:password[,user2:password2]". Gradio asks for a login before it serves
  anything (every route, the queue included); the handlers check again, because a hidden
  endpoint is not access control. Guessing is throttled per client address (LoginThrottle), so a
  stranger's guesses cannot lock the real user out.
- Hugging Face login: on a Space with `hf_oauth: true` and no DETOX_AUTH. Everyone may watch runs,
  compare and score texts (viewer mode); only the accounts in DETOX_ADMINS (default: the Space's
  owner) may start, stop and evaluate once signed in with the "Sign in with Hugging Face" button.
A Space with neither is read-only: a public link must not let strangers spend its GPU.

Caps for a shared app: DETOX_MAX_STEPS and DETOX_MAX_BATCH lower the engine's own limits; the
runner checks them on the server, whatever the form or an API caller sends.
"""
from __future__ import annotations

import asyncio
import hmac
import math
import os
import threading
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

import gradio as gr
from fastapi import HTTPException
from starlette.middleware import Middleware

from engine.config import MAX_BATCH, MAX_STEPS, Config, shown

from dashboard.space import on_spaces

AUTH_ENV = "DETOX_AUTH"
ADMINS_ENV = "DETOX_ADMINS"
MAX_STEPS_ENV = "DETOX_MAX_STEPS"
MAX_BATCH_ENV = "DETOX_MAX_BATCH"


class AccessConfigError(ValueError):
    """The access settings in the environment cannot be understood."""


def parse_auth(value: str) -> tuple[tuple[str, str], ...]:
    """"ann:pw1, bob:pw2" -> (("ann", "pw1"), ("bob", "pw2")); a password may contain ':'."""
    pairs = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise AccessConfigError(f"{AUTH_ENV} must look like user:password (several pairs separated "
                                    f"by commas); got an entry without a user or a password")
        pairs.append((user.strip(), password))
    return tuple(pairs)


def _positive_int(env: Mapping[str, str], name: str, ceiling: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return ceiling
    try:
        value = int(raw)
    except ValueError:
        raise AccessConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not 1 <= value <= ceiling:
        raise AccessConfigError(f"{name} must be between 1 and {ceiling}, got {value}")
    return value


@dataclass(frozen=True)
class Limits:
    """The largest run this app starts; the engine's own limits when nothing is set."""
    max_steps: int = MAX_STEPS
    max_batch: int = MAX_BATCH

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Limits":
        return cls(_positive_int(env, MAX_STEPS_ENV, MAX_STEPS), _positive_int(env, MAX_BATCH_ENV, MAX_BATCH))

    def problems(self, cfg: Config) -> list[str]:
        found = []
        if cfg.ppo.steps > self.max_steps:
            found.append(f"steps: this app allows at most {self.max_steps:,} steps per run "
                         f"({MAX_STEPS_ENV}), got {cfg.ppo.steps:,}")
        if cfg.ppo.batch_size > self.max_batch:
            found.append(f"batch size: this app allows at most {self.max_batch} summaries per step "
                         f"({MAX_BATCH_ENV}), got {cfg.ppo.batch_size}")
        return found


LOGIN_ADDRESS: ContextVar[str] = ContextVar("detox_login_address", default="")
"""The client address of the POST /login being checked. Gradio calls the auth function with the
user name and password only; LoginGate, around that route, sets this for it."""


class LoginThrottle:
    """Limits on guessing a workshop password on a public link (Gradio's login page has none),
    built so that a stranger cannot lock the real user out:

    - MAX_FAILURES wrong passwords for one name from one address within WINDOW_S pause that
      name from that address until the oldest of them is WINDOW_S old. The same name from
      another address still signs in: counting per name alone would let anyone keep `ann` out.
    - Past GLOBAL_FAILURES wrong passwords within WINDOW_S from everywhere (a guesser with many
      addresses), every sign-in waits DELAY_STEP_S per failure beyond them, at most
      MAX_DELAY_S, before it is checked: slower for everyone, never refused.

    The address is the one uvicorn reports: behind a proxy it takes X-Forwarded-For only from
    the addresses in FORWARDED_ALLOW_IPS (default 127.0.0.1), so a client cannot pick its own.
    Behind a proxy elsewhere (a Space's, say) every visitor has the proxy's address, and the
    first limit acts per name again, until FORWARDED_ALLOW_IPS names that proxy.
    """
    MAX_FAILURES = 5
    WINDOW_S = 60.0
    GLOBAL_FAILURES = 20
    DELAY_STEP_S = 0.5
    MAX_DELAY_S = 5.0
    MAX_TRACKED = 1024
    """Beyond this many (address, name) pairs, those without a recent failure are forgotten."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._everywhere: deque[float] = deque()
        self._lock = threading.Lock()

    def paused_for(self, address: str, user: str) -> int:
        """Whole seconds until `user` may try again from `address`; 0: now."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._failures.get((address, user), []) if now - t < self.WINDOW_S]
            if len(recent) < self.MAX_FAILURES:
                return 0
            # Paused until fewer than MAX_FAILURES are recent: the one that many back must age out.
            return max(1, math.ceil(recent[-self.MAX_FAILURES] + self.WINDOW_S - now))

    def failed(self, address: str, user: str) -> None:
        with self._lock:
            now = self.clock()
            self._failures.setdefault((address, user), []).append(now)
            self._everywhere.append(now)
            if len(self._failures) > self.MAX_TRACKED:
                self._failures = {key: times for key, times in self._failures.items()
                                  if now - times[-1] < self.WINDOW_S}

    def delay(self) -> float:
        """Seconds every sign-in waits now (0 unless wrong passwords pour in from everywhere)."""
        with self._lock:
            now = self.clock()
            while self._everywhere and now - self._everywhere[0] >= self.WINDOW_S:
                self._everywhere.popleft()
            beyond = len(self._everywhere) - self.GLOBAL_FAILURES
        return min(self.MAX_DELAY_S, beyond * self.DELAY_STEP_S) if beyond > 0 else 0.0


class LoginPaused(HTTPException):
    """A sign-in refused unchecked because its address guessed too often: HTTP 429 with the
    seconds left in words and in Retry-After.

    Gradio 6's login page has one failure text, "Incorrect credentials.", which it shows for any
    400 answer; it cannot show a message of ours. Saying "incorrect" to someone who typed the
    right password while paused would send them hunting for a typo, so the pause is answered
    with its own status and sentence instead: an API caller or curl reads it, Retry-After says
    when, and the page (which shows nothing for a 429) states the rule above the form
    (LOGIN_MESSAGE)."""

    def __init__(self, user: str, seconds: int):
        super().__init__(status_code=429, headers={"Retry-After": str(seconds)},
                         detail=f"Sign-in as {shown(user)} from your address is paused for {seconds} more "
                                f"second{'s' if seconds != 1 else ''} after {LoginThrottle.MAX_FAILURES} wrong "
                                f"passwords; the password was not checked. Try again then.")


LOGIN_MESSAGE = (f"Sign in to use the detox dashboard. After {LoginThrottle.MAX_FAILURES} wrong passwords, "
                 f"sign-in from your address pauses for up to a minute: if Login then does nothing, wait "
                 f"a minute and try again.")
"""Above Gradio's login form; HTML is allowed there."""


class LoginGate:
    """ASGI middleware around Gradio's POST /login: it puts the client's address in
    LOGIN_ADDRESS for the password check, and first waits the throttle's delay, with an
    awaitable sleep, because the check itself runs on the server's event loop, where a
    time.sleep would stall every visitor."""

    def __init__(self, app, throttle: LoginThrottle,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.app = app
        self.throttle = throttle
        self.sleep = sleep

    async def __call__(self, scope, receive, send) -> None:
        is_login = (scope["type"] == "http" and scope.get("method") == "POST"
                    and scope.get("path", "").rstrip("/").endswith("/login"))
        if not is_login:
            await self.app(scope, receive, send)
            return
        delay = self.throttle.delay()
        if delay:
            await self.sleep(delay)
        client = scope.get("client")
        token = LOGIN_ADDRESS.set(client[0] if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            LOGIN_ADDRESS.reset(token)


@dataclass(frozen=True)
class Access:
    passwords: tuple[tuple[str, str], ...] = ()
    """DETOX_AUTH pairs: Gradio's login page."""
    hf_admins: frozenset[str] | None = None
    """Hugging Face accounts that may act after signing in (None: no Hugging Face login)."""
    read_only: bool = False
    """Nobody may start, stop or evaluate (a Space without any sign-in configured)."""
    throttle: LoginThrottle = field(default_factory=LoginThrottle, compare=False, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Access":
        passwords = parse_auth(env.get(AUTH_ENV, ""))
        if passwords:
            return cls(passwords=passwords)
        if not on_spaces(env):
            return cls()
        if env.get("OAUTH_CLIENT_ID"):  # set by Spaces when the README says hf_oauth: true
            listed = {name.strip() for name in env.get(ADMINS_ENV, "").split(",") if name.strip()}
            owner = env.get("SPACE_AUTHOR_NAME", "").strip()
            return cls(hf_admins=frozenset(listed or ({owner} if owner else set())))
        return cls(read_only=True)

    @property
    def open(self) -> bool:
        return not self.passwords and self.hf_admins is None and not self.read_only

    @property
    def hf_login(self) -> bool:
        return self.hf_admins is not None

    def check_password(self, user: str, password: str, address: str | None = None) -> bool:
        """Gradio's login check; compare_digest so timing tells nothing about the password.
        `address`: the client's (default: the one LoginGate saw for this request). A name paused
        for that address raises LoginPaused unchecked, rather than answering False, which
        Gradio would show as "Incorrect credentials."."""
        address = LOGIN_ADDRESS.get() if address is None else address
        seconds = self.throttle.paused_for(address, user)
        if seconds:
            raise LoginPaused(user, seconds)
        ok = False
        for known_user, known_password in self.passwords:
            ok |= (hmac.compare_digest(user.encode(), known_user.encode())
                   & hmac.compare_digest(password.encode(), known_password.encode()))
        if not ok:
            self.throttle.failed(address, user)
        return ok

    def gradio_auth(self):
        return self.check_password if self.passwords else None

    def gradio_middleware(self) -> list[Middleware]:
        """For launch(app_kwargs=...): LoginGate, which check_password needs to know addresses."""
        return [Middleware(LoginGate, throttle=self.throttle)] if self.passwords else []

    def user(self, request: gr.Request | None) -> str | None:
        """The signed-in user allowed to change runs, else None (always "local" when open)."""
        if self.open:
            return "local"
        if self.passwords:
            return getattr(request, "username", None) or None
        if self.hf_login:
            name = hf_username(request)
            return name if name in self.hf_admins else None
        return None

    def why_not(self, request: gr.Request | None, action: str) -> str | None:
        """None when the request may `action`, else the sentence to show."""
        if self.user(request):
            return None
        if self.read_only:
            return (f"This app is read-only: it cannot {action}. Its owner can allow it by setting "
                    f"the {AUTH_ENV} secret or by turning on Hugging Face sign-in (hf_oauth: true).")
        if self.hf_login:
            who = hf_username(request)
            if who:
                return f"Signed in as {who}, who may not {action} here; ask the owner to add you to {ADMINS_ENV}."
            return f"Sign in with Hugging Face to {action}."
        return f"Sign in to {action}."

    def require(self, request: gr.Request | None, action: str) -> None:
        reason = self.why_not(request, action)
        if reason:
            raise gr.Error(reason, title="Not allowed", print_exception=False)


def hf_username(request: gr.Request | None) -> str | None:
    """The Hugging Face account signed in on this request's session, if any (OAuth on a Space).

    Gradio keeps the OAuth answer in the signed session cookie; an expired one counts as signed out.
    """
    underlying = getattr(request, "request", None) or request
    scope = getattr(underlying, "scope", None)
    session: Any = scope.get("session") if isinstance(scope, dict) else getattr(underlying, "session", None)
    info = (session or {}).get("oauth_info") if isinstance(session, Mapping) else None
    if not isinstance(info, Mapping):
        return None
    expires_at = info.get("expires_at")
    if isinstance(expires_at, (int, float)) and expires_at < time.time():
        return None
    userinfo = info.get("userinfo")
    name = userinfo.get("preferred_username") if isinstance(userinfo, Mapping) else None
    return name if isinstance(name, str) and name else None
