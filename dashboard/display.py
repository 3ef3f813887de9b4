"""What users read: coloured banners, warnings, HTML-safe messages, and sending only what changed."""
from __future__ import annotations

import html
from typing import Any

import gradio as gr


def as_html(message: str) -> str:
    """gr.Error renders HTML: escape the message and keep its line breaks."""
    return html.escape(message).replace("\n", "<br>")


def warn(message: str) -> str:
    """Show `message` as a yellow toast and return it as a banner for a message box."""
    gr.Warning(as_html(message))
    return banner("warn", html.escape(message).replace("\n", "<br>"))


def unless_shown(shown: dict, key: str, value: str) -> Any:
    """`value`, or gr.skip() when this browser already shows it (`shown` holds digests), so a
    timer tick sends only what changed."""
    digest = hash(value)
    if shown.get(key) == digest:
        return gr.skip()
    shown[key] = digest
    return value


def banner(kind: str, text: str) -> str:
    """Markdown for a coloured notice (the CSS classes live in dashboard.ui)."""
    if not text:
        return ""
    return f'<div class="detox-banner detox-{kind}">\n\n{text}\n\n</div>'
