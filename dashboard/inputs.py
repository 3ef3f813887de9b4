"""What the user typed or sent, checked: the one kind of error shown as "Cannot X: ...".

Handlers get values from a form and from raw API calls, which can send anything ("ten", 2.5,
NaN, a list). These helpers turn such values into what the engine needs, or raise
`UserInputError` with words a workshop participant understands.
"""
from __future__ import annotations

from typing import Any

from engine.config import shown
from engine.data import DataError, check_text

class UserInputError(Exception):
    """An input the user must change; the message says which and why."""


def whole_number(value: Any, what: str, low: int, high: int) -> int:
    """`value` as an int in [low, high], or a UserInputError that says so (int() would answer
    with Python's words)."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    whole = (isinstance(number, (int, float)) and not isinstance(number, bool)
             and float(number).is_integer() and low <= number <= high)
    if not whole:
        text = f"'{shown(value)}'" if isinstance(value, str) else shown(value)
        raise UserInputError(f"{what} must be between {low:,} and {high:,} (a whole number), got {text}")
    return int(number)


def choice(value: Any, labels: dict[str, str], what: str) -> str:
    """The value behind a radio label ("Test split" -> "test"), or the value if it is one
    (API callers send values: an unknown one is answered with the values). Nothing picked is
    answered with the labels a person sees, never with "None"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        offered = ", ".join(f'"{label}"' for label in labels)
        raise UserInputError(f"pick the {what}: one of {offered}")
    value = labels.get(value, value) if isinstance(value, str) else value
    if value not in labels.values():
        raise UserInputError(f"unknown {what} {shown(repr(value))}: use {', '.join(labels.values())}")
    return value


def user_text(text: Any, what: str, empty_hint: str) -> str:
    """engine.data.check_text's verdict as a UserInputError (a warning to fix, not a failure)."""
    try:
        return check_text(text, what, empty_hint)
    except DataError as exc:
        raise UserInputError(str(exc)) from None
