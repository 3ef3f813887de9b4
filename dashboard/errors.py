"""Which errors are the user's to fix and how the UI says so; everything else is a bug, logged
with its traceback and never dressed up as bad input."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import gradio as gr

from engine import runs
from engine.config import ConfigError

from dashboard.display import as_html
from dashboard.inputs import UserInputError

log = logging.getLogger(__name__)


def correctable_errors() -> tuple[type[BaseException], ...]:
    """Failures the user fixes by changing an input (a setting, the run, the text): answered
    with a warning, not an error that marks every output red. Catch them inside
    `user_errors`, which turns everything else into an error."""
    return (UserInputError, runs.RunError, ConfigError)


def user_error_types() -> tuple[type[BaseException], ...]:
    """The correctable errors and the engine's own typed errors about data and models, whose
    messages say what to do. Nothing else: a ValueError from inside torch or pandas is a bug."""
    from engine.data import DataError
    from engine.models import ModelError

    return (*correctable_errors(), DataError, ModelError)


@contextmanager
def user_errors(action: str, html_message: bool = True) -> Iterator[None]:
    """Turn expected failures into a readable gr.Error ("Cannot compare: ...").

    The UI renders the message as HTML; API callers (html_message=False) get plain text.
    """
    fmt = as_html if html_message else str
    try:
        yield
    except gr.Error:
        raise
    except user_error_types() as exc:
        raise gr.Error(fmt(f"Cannot {action}: {exc}"), title=f"Cannot {action}",
                       print_exception=False) from exc
    except Exception as exc:
        # A bug or a broken machine, never dressed up as bad input: its traceback goes to the
        # server log, the user is told that much.
        log.exception("unexpected error while trying to %s", action)
        raise gr.Error(fmt(f"Unexpected error while trying to {action}: {type(exc).__name__}: {exc} "
                           "(details in the server log)"), title=f"Cannot {action}",
                       print_exception=False) from exc
