"""Where a model, tokenizer or data set comes from: a local path or a Hugging Face Hub id.

The one rule, asked by the preflight, the loaders, the data reader, the judges and the
dashboard's Hub banner: a source is local when it exists, starts like a path (`.`, `/`, `~`),
ends like a data file, or is not shaped like a Hub id (`name` or `org/name`); otherwise it is
a Hub id, the loader's to find (in the cache or on the Hub).
"""
from __future__ import annotations

import re
from pathlib import Path

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
DATA_SUFFIXES = (".jsonl", ".json", ".csv")


def local_path(source: str) -> Path | None:
    """The path `source` names, or None when it is a Hub id."""
    path = Path(source).expanduser()
    if (path.exists() or source.startswith((".", "/", "~")) or path.suffix in DATA_SUFFIXES
            or not HUB_ID.match(source)):
        return path
    return None


def is_hub_id(source: str | None) -> bool:
    return bool(source) and local_path(source) is None
