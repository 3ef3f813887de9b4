"""What each preset is, in one sentence or a warning: the notes shown beside a preset wherever a
workshop audience could take a toy for the real thing (Train, Compare, Export)."""
from __future__ import annotations

from engine.config import DESCRIPTIONS

from dashboard.display import banner

PRESET_CHOICES = [(f"{name}: {text}", name) for name, text in DESCRIPTIONS.items()]
"""The preset menu: each name with its one-line description (the API takes the bare name)."""

PRESET_NOTES = {
    "demo": ("**demo** is a toy: a 2M-parameter summarizer and a small classifier, trained offline on "
             "this project's synthetic dialogues. On those it often repeats the insults of heated "
             "dialogues, and PPO teaches it to stop within minutes on a CPU. It **does not read other "
             "dialogues**: on yours it writes a memorised story. Its numbers are about toy models; the "
             "real recipe (flan-t5-base and a hate-speech RoBERTa) is **seed**."),
    "tiny": ("**tiny** is a test preset with random-weight models: it runs offline in seconds and "
             "exercises everything, but its summaries are **gibberish** and its rewards mean "
             "nothing. To see detox offline, use **demo**."),
}
"""What a preset is, shown beside it wherever a workshop audience could take a toy for the real thing."""


def preset_note(preset: str | None) -> str:
    """The info banner for a preset, or "" for the real ones."""
    note = PRESET_NOTES.get(preset) if isinstance(preset, str) else None
    return banner("info", note) if note else ""
