"""DialogSum prompts: load (Hub id, local file or folder), filter by length, wrap, tokenize, split.

The recipe: keep dialogues with 200 < len <= 1000 characters, wrap them in the summarization
prompt, tokenize, and split 80/20 *without* shuffling (8017 / 2005 rows of the Hub train split).
"""

from __future__ import annotations

import re

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import ASSETS, DataConfig
from engine.sources import DATA_SUFFIXES, is_hub_id, local_path

PROMPT = "\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n"


def dialogue_of(query: str) -> str:
    """The dialogue inside a summarization prompt (PROMPT's inverse): every query starts and
    ends the same way, so tables show only what differs. Text that is no prompt comes back stripped."""
    head, _, tail = PROMPT.partition("{dialogue}")
    text = query.strip()
    if text.startswith(head.strip()):
        text = text[len(head.strip()):]
    if text.endswith(tail.strip()):
        text = text[: -len(tail.strip())]
    return text.strip()
SPLIT_ALIASES = {"dev": ("dev", "validation", "val"), "validation": ("validation", "dev", "val"),
                 "train": ("train",), "test": ("test",)}
MAX_TEXT_CHARS = 20_000
"""The longest dialogue or text a user may paste or send (the Compare tab, `score_text`): over
four times DialogSum's longest (4,430 characters in dev and test); the models read 512 tokens."""


STRESS_SET = ASSETS / "dialogues" / "stress.jsonl"
"""The project's rude dialogues, the default held-out prompts."""
HELD_OUT = "held-out"
PROMPT_SOURCES = ("test", "stress", HELD_OUT)
"""Named prompt sets besides a file: the run's test split, the stress set, and the run's own
held-out prompts (`run.eval_prompts`: for the demo preset, heated dialogues no model saw)."""


class DataError(ValueError):
    """A dataset or text that cannot be used, with a message that says why."""


def check_text(text: object, what: str = "dialogue", empty_hint: str = "",
               limit: int = MAX_TEXT_CHARS) -> str:
    """`text` stripped, if it is a usable user text: not empty, at most `limit` characters, and
    encodable as UTF-8 (a JSON string can carry lone surrogates, on which tokenizers fail)."""
    if text is None:  # a cleared text box
        text = ""
    if not isinstance(text, str):
        raise DataError(f"the {what} must be text, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise DataError(f"the {what} is empty" + (f": {empty_hint}" if empty_hint else ""))
    if len(text) > limit:
        raise DataError(f"the {what} is too long ({len(text):,} characters; at most {limit:,})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataError(f"the {what} is not valid UTF-8 text: character {exc.start + 1} is "
                        f"{ascii(exc.object[exc.start])[1:-1]}, half of a surrogate pair") from None
    return text


@dataclass
class Example:
    dialogue: str
    references: list[str]
    """Reference summaries (DialogSum's test split has three), kept for ROUGE."""
    query: str = ""
    """The decoded prompt, as the reward model and the UI see it."""
    input_ids: list[int] = field(default_factory=list)
    fname: str = ""
    topic: str = ""


@dataclass
class PromptData:
    train: list[Example]
    test: list[Example]


_TURN = re.compile(r"^\s*#Person\d+#\s*:", re.MULTILINE)
MIN_TURNS = 2


def looks_like_dialogue(text: str) -> bool:
    """Whether `text` is a dialogue in DialogSum's format: at least MIN_TURNS lines like
    '#Person1#: Hello.' The models were trained on such dialogues only: of anything else they
    still write a summary, a confident one that means little."""
    return len(_TURN.findall(text or "")) >= MIN_TURNS


def build_prompt(dialogue: str) -> str:
    return PROMPT.format(dialogue=dialogue)


def normalize_row(row: dict, dialogue_column: str = "dialogue", summary_column: str = "summary") -> Example:
    """One DialogSum row in any of its formats: `summary` or `summary1..3`, `id` or `fname`;
    the dialogue and summary under other column names where the data names them so."""
    dialogue = row.get(dialogue_column)
    if not isinstance(dialogue, str):
        raise DataError(f"row without a '{dialogue_column}' text field: its columns are {sorted(map(str, row))}; "
                        "set data.dialogue_column (and data.summary_column) to the data's own names")
    refs = [row[k] for k in (summary_column, "summary1", "summary2", "summary3") if isinstance(row.get(k), str) and row[k]]
    topic = row.get("topic") or row.get("topic1") or ""
    return Example(dialogue=dialogue, references=refs, fname=str(row.get("fname") or row.get("id") or ""),
                   topic=str(topic))


def _read_local_file(path: Path) -> list[dict]:
    try:
        if path.suffix == ".csv":
            import pandas as pd

            return pd.read_csv(path, keep_default_na=False).to_dict("records")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json" and text.lstrip().startswith("["):
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except UnicodeDecodeError as e:
        raise DataError(f"cannot read {path}: it is not valid UTF-8 text (byte 0x{e.object[e.start]:02x} "
                        f"at offset {e.start:,}); save it as UTF-8") from None
    except (json.JSONDecodeError, ValueError) as e:
        raise DataError(f"cannot read {path}: {e}") from e


def _pick_split_file(folder: Path, split: str) -> Path:
    files = sorted(p for p in folder.iterdir() if p.suffix in DATA_SUFFIXES)
    if not files:
        raise DataError(f"no .jsonl, .json or .csv file in {folder}")
    if len(files) == 1:
        return files[0]
    for alias in SPLIT_ALIASES.get(split, (split,)):
        matches = [p for p in files if alias in p.stem.lower().replace("-", ".").split(".")
                   or p.stem.lower() == alias]
        if len(matches) == 1:
            return matches[0]
    names = ", ".join(p.name for p in files)
    raise DataError(f"{folder} has several files ({names}) and none is clearly the '{split}' split; "
                    "set data.split (e.g. dev or test) or point data.dataset at one file")


def load_rows(dataset: str, split: str = "train", dialogue_column: str = "dialogue",
              summary_column: str = "summary") -> list[Example]:
    """Rows of a Hub dataset id, a local file, or a folder holding one file per split."""
    path = local_path(dataset)
    if path is None:
        rows = _load_hub(dataset, split)
    else:
        if path.is_dir():
            path = _pick_split_file(path, split)
        if not path.exists():
            raise DataError(f"dataset file {dataset} does not exist")
        if not path.is_file():  # a device such as /dev/zero, a pipe: reading it never ends
            raise DataError(f"dataset file {dataset} is not a regular file: point it at a "
                            ".jsonl, .json or .csv file")
        rows = _read_local_file(path)
    return [normalize_row(r, dialogue_column, summary_column) for r in rows]


def _load_hub(dataset_id: str, split: str) -> list[dict]:
    from datasets import load_dataset

    try:
        return list(load_dataset(dataset_id, split=split))
    except Exception as e:  # datasets raises many types: offline, missing, bad split
        raise DataError(f"cannot load dataset '{dataset_id}' (split '{split}') from the Hugging Face Hub "
                        f"or its cache: {type(e).__name__}: {e}") from e


def filter_by_length(rows: list[Example], min_chars: int, max_chars: int) -> list[Example]:
    return [r for r in rows if min_chars < len(r.dialogue) <= max_chars]


def tokenize(rows: list[Example], tokenizer, max_prompt_tokens: int) -> list[Example]:
    """Fill `input_ids` and `query` (the decoded prompt) in one batched tokenizer call."""
    if not rows:
        return rows
    enc = tokenizer([build_prompt(r.dialogue) for r in rows], truncation=True, max_length=max_prompt_tokens)
    queries = tokenizer.batch_decode(enc["input_ids"], skip_special_tokens=True)
    for row, ids, query in zip(rows, enc["input_ids"], queries):
        row.input_ids, row.query = list(ids), query
    return rows


def split_unshuffled(rows: list, test_fraction: float) -> tuple[list, list]:
    """Last ceil(fraction * n) rows are the test set, as `datasets.train_test_split(shuffle=False)`."""
    n_test = math.ceil(test_fraction * len(rows))
    return rows[: len(rows) - n_test], rows[len(rows) - n_test:]


def usable_rows(cfg: DataConfig) -> list[Example]:
    """The dialogues of the length the config trains on; DataError when fewer than two."""
    every = load_rows(cfg.dataset, cfg.split, cfg.dialogue_column, cfg.summary_column)
    rows = filter_by_length(every, cfg.min_chars, cfg.max_chars)
    if len(rows) < 2:
        too_long = sum(len(r.dialogue) > cfg.max_chars for r in every)
        raise DataError(f"only {len(rows)} of the {len(every)} dialogue(s) of {cfg.dataset} have "
                        f"{cfg.min_chars} < length <= {cfg.max_chars} characters ({too_long} too long, "
                        f"{len(every) - len(rows) - too_long} too short); need at least 2 to train and test")
    return rows


def check_dataset(cfg: DataConfig) -> None:
    """Read a local dataset now, so a bad file is refused before a run starts; Hub datasets are
    left to the loader."""
    if not is_hub_id(cfg.dataset):
        usable_rows(cfg)


def load_prompts(cfg: DataConfig, tokenizer) -> PromptData:
    rows = usable_rows(cfg)
    train, test = split_unshuffled(tokenize(rows, tokenizer, cfg.max_prompt_tokens), cfg.test_fraction)
    return PromptData(train=train, test=test)


def source_rows(source: str, cfg: DataConfig, held_out: str = "stress") -> list[Example]:
    """Untokenized dialogues of a prompt source ("test", "stress", "held-out" (= `held_out`) or
    a file), of the run's lengths; DataError when there are none."""
    if source == HELD_OUT:
        source = held_out
    if source == "test":
        rows = split_unshuffled(usable_rows(cfg), cfg.test_fraction)[1]
    else:
        rows = filter_by_length(load_rows(str(STRESS_SET) if source == "stress" else source, "test"),
                                cfg.min_chars, cfg.max_chars)
    if not rows:
        raise DataError(f"no dialogues in '{source}' have {cfg.min_chars} < length <= {cfg.max_chars} characters")
    return rows


def prompts_from(source: str, cfg: DataConfig, tokenizer, n: int, held_out: str = "stress") -> list[Example]:
    """The first `n` dialogues of `source`, tokenized."""
    return tokenize(source_rows(source, cfg, held_out)[:n], tokenizer, cfg.max_prompt_tokens)
