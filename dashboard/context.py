"""The app context: everything a handler needs, one per app, so several apps can live in one process."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from dashboard.access import Access
from dashboard.model_cache import ModelCache
from dashboard.runner import Runner
from dashboard.storage import Storage


@dataclass
class AppContext:
    """Everything the handlers need; one per app, so several apps can live in one process."""
    storage: Storage
    runner: Runner
    models: ModelCache
    preset: str | None
    """The preset asked for on the command line (None: choose by Hub access)."""
    access: Access = Access()

    @property
    def runs_dir(self) -> Path:
        return self.storage.runs_dir


def require_user(ctx: AppContext, request: gr.Request | None, action: str) -> None:
    """Refuse `action` to anyone the app's access rules do not allow (checked in every handler
    that changes runs, as a hidden endpoint can still be called)."""
    ctx.access.require(request, action)
