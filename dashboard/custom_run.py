"""A custom run (issue 24): your own policy, summary adapter, reward model and label rule, dataset
and columns, and judges, on top of a preset's numbers, each checked as it is filled.

The checks are the engine's preflight (engine/preflight.py: the right kind of model, an adapter
that fits its base, a classifier with the rule's label, a dataset that reads) plus this app's
rules on what may be named (dashboard/allowed_sources.py). Nothing is downloaded to check.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.config import ConfigError, LabelRule, resolve, shown
from engine.data import DataError, usable_rows
from engine.preflight import dataset_problems, in_hub_cache, model_path_problems, offline_by_env
from engine.sources import is_hub_id, local_path

from dashboard.allowed_sources import AllowedSources
from dashboard.hub import hub_reachable  # asked once per process, not once per keystroke

CUSTOM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("model.policy", "Policy", "a seq2seq summarizer: a Hub id or a folder (T5, FLAN-T5, mT5, BART, Pegasus)"),
    ("model.summary_adapter", "Summary adapter (optional)", "a LoRA for that policy, merged in: the reference"),
    ("model.reward_model", "Reward model", "a toxicity classifier: a Hub id or a folder"),
    ("model.reward_label", "Reward label", "its label whose logit is the reward, or -label for minus its logit"),
    ("data.dataset", "Dataset", "a Hub id, or a CSV/JSONL file in DialogSum's shape"),
    ("data.dialogue_column", "Dialogue column", "the column holding the dialogues"),
    ("data.summary_column", "Summary column", "the column holding the reference summaries"),
    ("run.judges", "Judges", "comma-separated: profanity-check and/or Hub toxicity classifiers"),
)
"""(config key, label, what to enter): the custom run's fields, in the form's order."""
CUSTOM_KEYS = tuple(key for key, _, _ in CUSTOM_FIELDS)
MODEL_KEYS = ("model.policy", "model.summary_adapter", "model.reward_model")
OK = "✓"


def overrides(values: dict[str, Any]) -> dict[str, Any]:
    """The custom fields that were filled, as config overrides ("none" clears the adapter)."""
    out: dict[str, Any] = {}
    for key in CUSTOM_KEYS:
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key == "run.judges":
            value = [j.strip() for j in value.split(",") if j.strip()] if isinstance(value, str) else value
        elif isinstance(value, str):
            value = value.strip()
        out[key] = None if key == "model.summary_adapter" and value == "none" else value
    return out


@dataclass
class CustomCheck:
    notes: dict[str, str] = field(default_factory=dict)
    """Per field: "✓ ..." when it passed, else the reason it cannot be used."""
    labels: list[str] = field(default_factory=list)
    """The reward model's own labels, once it is found: what the reward label may name."""
    problems: list[str] = field(default_factory=list)
    """Every reason the run cannot start, each naming its field."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, key: str, why: str) -> None:
        self.notes[key] = why
        self.problems.append(f"{key}: {why}")


def _where(source: str) -> str:
    if not is_hub_id(source):
        return "a local folder"
    if in_hub_cache(source, "model"):
        return "in this machine's Hub cache"
    return "downloadable from the Hub" if hub_reachable() else ""


def _labels(source: str) -> list[str]:
    """The classifier's label names from its config.json (a local folder or the Hub cache)."""
    folder = local_path(source)
    if folder is None:
        try:
            from huggingface_hub import hf_hub_download

            folder = local_path(hf_hub_download(source, "config.json", local_files_only=True)).parent
        except OSError:
            return []
    try:
        id2label = json.loads((folder / "config.json").read_text()).get("id2label") or {}
    except (OSError, ValueError):
        return []
    return [str(id2label[k]).lower() for k in sorted(id2label, key=lambda k: int(k))]


def check_custom(base: str, values: dict[str, Any], rules: AllowedSources) -> CustomCheck:
    """Every custom field checked: what this app allows, then the engine's preflight."""
    check = CustomCheck()
    wanted = overrides(values)
    for key in MODEL_KEYS:
        source = wanted.get(key)
        if source:
            problem = rules.model_problem(key.split(".")[1].replace("_", " "), source)
            if problem:
                check.refuse(key, problem)
    dataset = wanted.get("data.dataset")
    if dataset:
        problem = rules.path_problem("dataset", dataset)
        if problem:
            check.refuse("data.dataset", problem)
    if check.problems:
        return check  # nothing outside what this app allows is looked at, not even its config
    try:
        cfg = resolve(base, wanted)
    except ConfigError as exc:
        check.problems.append(str(exc))
        return check
    for problem in model_path_problems(cfg.model):
        key, _, why = problem.partition(": ")
        check.refuse(key if key in CUSTOM_KEYS else "model.policy", why)
    check.labels = _labels(cfg.model.reward_model)
    rule = LabelRule.parse(cfg.model.reward_label)
    if check.labels and rule.label not in check.labels:
        check.refuse("model.reward_label", f"'{shown(rule.label)}' is not a label of the reward model "
                                           f"({', '.join(check.labels)})")
    for key in MODEL_KEYS:
        source = getattr(cfg.model, key.split(".")[1])
        if source and key not in check.notes:
            where = _where(source)
            if where:
                check.notes[key] = f"{OK} {where}"
            else:
                why = "offline mode is set" if offline_by_env() else "the Hub does not answer"
                check.refuse(key, f"not in this machine's cache and not downloadable ({why})")
    if "model.reward_label" not in check.notes and check.labels:
        check.notes["model.reward_label"] = f"{OK} reward = {rule.describe()}; labels: {', '.join(check.labels)}"
    data_problems = dataset_problems(cfg.data)
    for problem in data_problems:
        check.refuse("data.dataset", problem.partition(": ")[2])
    if not data_problems and not is_hub_id(cfg.data.dataset):
        try:
            rows = len(usable_rows(cfg.data))
            d = cfg.data
            check.notes["data.dataset"] = (f"{OK} {rows:,} dialogues of {d.min_chars} < length <= {d.max_chars} "
                                           f"characters, columns '{d.dialogue_column}' and '{d.summary_column}'")
        except DataError as exc:
            check.refuse("data.dataset", str(exc))
    return check
