"""Where the app runs: a Hugging Face Space or elsewhere, and what a Space changes.

Imports nothing heavy: app.py calls `prepare_environment` before huggingface_hub is imported,
because the hub library reads HF_HOME once, at import.
"""
from __future__ import annotations

import os

from engine.runs.layout import on_spaces, persistent_storage  # noqa: F401 (on_spaces: asked through here)


def prepare_environment() -> None:
    """On a Space with persistent storage, keep model downloads there too, so a restarted Space
    does not fetch them again."""
    storage = persistent_storage()
    if storage:
        os.environ.setdefault("HF_HOME", str(storage / ".huggingface"))
