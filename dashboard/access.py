"""Who may start, stop and evaluate runs, and how big a run a shared app accepts.

Three modes, read from the environment once per app:
- open: a local app without DETOX_AUTH; anyone who can reach it may do anything (as before).
- password: DETOX_AUTH="user:password[,user2:password2]". Gradio asks for a login before it serves
  anything (every route, the queue included); the handlers check again, because a hidden
  endpoint is not access control.
- Hugging Face login: on a Space with `hf_oauth: true` and no DETOX_AUTH. Everyone may watch runs,
  compare and score texts (viewer mode); only the accounts in DETOX_ADMINS (default: the Space's
  owner) may start, stop and evaluate once signed in with the "Sign in with Hugging Face" button.
A Space with neither is read-only: a public link must not let strangers spend its GPU.

Caps for a shared app: DETOX_MAX_STEPS and DETOX_MAX_BATCH lower the engine's own limits; the
runner checks them on the server, whatever the form or an API caller sends.
"""
from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import gradio as gr

from engine.config import MAX_BATCH, MAX_STEPS, Config

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
            found.append(f"batch size: this app allows at most {self.max_batch} prompts per step "
                         f"({MAX_BATCH_ENV}), got {cfg.ppo.batch_size}")
        return found


class LoginThrottle:
    """At most MAX_FAILURES wrong passwords per user name in WINDOW_S seconds: Gradio's login page
    has no limit of its own, and a workshop password on a public link invites guessing. (Gradio
    passes no client address to the check, so the limit is per name: a guesser can lock a name
    out for a minute, no longer.)"""
    MAX_FAILURES = 5
    WINDOW_S = 60.0

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked(self, user: str) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(user, []) if self._clock() - t < self.WINDOW_S]
            self._failures[user] = recent
            return len(recent) >= self.MAX_FAILURES

    def failed(self, user: str) -> None:
        with self._lock:
            self._failures.setdefault(user, []).append(self._clock())


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

    def check_password(self, user: str, password: str) -> bool:
        """Gradio's login check; compare_digest so timing tells nothing about the password, and
        a name with too many recent failures is refused even with the right one."""
        ok = False
        for known_user, known_password in self.passwords:
            ok |= (hmac.compare_digest(user.encode(), known_user.encode())
                   & hmac.compare_digest(password.encode(), known_password.encode()))
        if self.throttle.locked(user):
            return False
        if not ok:
            self.throttle.failed(user)
        return ok

    def gradio_auth(self):
        return self.check_password if self.passwords else None

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
