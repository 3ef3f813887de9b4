"""Can this machine use the Hugging Face Hub? Decides which preset the UI offers first.

Checked once per process, off the import path, and never for longer than a couple of seconds:
the answer only picks a default and a banner, so a slow network must not slow the page.
"""
from __future__ import annotations

import functools

from engine import preflight
from engine.config import OFFLINE_PRESET, ConfigError, preset as load_preset
from engine.sources import is_hub_id


@functools.lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """engine.preflight's answer, asked once per process: it only picks a default and a banner."""
    return preflight.hub_reachable()


def needs_hub(preset: str) -> bool:
    """Whether the preset names any model or data set that is not a local path."""
    try:
        cfg = load_preset(preset)
    except ConfigError:
        return False
    m = cfg.model
    sources = [m.policy, m.reward_model, m.summary_adapter, m.tokenizer, m.reward_tokenizer,
               cfg.data.dataset]
    return any(is_hub_id(s) for s in sources)


def usable_offline(preset: str) -> bool:
    return not needs_hub(preset) or hub_reachable()


def default_preset(requested: str | None) -> str:
    """The preset the UI starts with: the requested one, unless it needs an unreachable Hub.

    Without a request: `seed` on a GPU with the Hub, else the offline `demo` (on a CPU it shows
    detox in minutes, where `seed` would take hours).
    """
    if requested and usable_offline(requested):
        return requested
    if requested or not hub_reachable():
        return OFFLINE_PRESET
    import torch  # only reached with a Hub connection, where a real model will be loaded anyway

    return "seed" if torch.cuda.is_available() else OFFLINE_PRESET


def hub_banner(preset: str) -> str:
    """Markdown warning for a preset that cannot work here, or "" when it can."""
    if usable_offline(preset):
        return ""
    return (f"**The Hugging Face Hub cannot be reached from this machine**, and preset "
            f"**{preset}** downloads its models and data from it: it only works if they are "
            f"already in the local Hugging Face cache. The **{OFFLINE_PRESET}** preset works "
            "offline.")
