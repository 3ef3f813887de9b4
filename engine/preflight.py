"""Cheap checks of the files a config names, made before a run directory is written.

A wrong model folder used to be found by the loader, a minute into a run that then read
`failed`. These checks read only small files (config.json, adapter_config.json, the JSON header
of a safetensors file, a local dataset) and import no torch, so `python -m engine.train` refuses
such a config in milliseconds, with the setting's name, and writes nothing. Hub ids are left to
the loader, which says clearly when the Hub cannot be reached.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import struct
import threading
from pathlib import Path

from engine.config import (OFFLINE_PRESET, PROJECTION_ALIASES, Config, ConfigError, DataConfig, LabelRule,
                           ModelConfig)
from engine.sources import is_hub_id, local_path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "spiece.model", "vocab.json")
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
MAX_HEADER_BYTES = 100 * 1024 * 1024
"""A safetensors header is JSON; anything bigger than this is not one."""
LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<part>[AB])(?:\.[^.]+)?\.weight$")

Shapes = dict[str, list[int]]


def safetensors_shapes(path: Path) -> Shapes:
    """{tensor name: shape} from the JSON header of a safetensors file (no weights are read)."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError("the file is too short to be safetensors")
        size = struct.unpack("<Q", head)[0]
        if size > MAX_HEADER_BYTES:
            raise ValueError("its header is not a safetensors header")
        header = json.loads(f.read(size))
        held = os.fstat(f.fileno()).st_size - 8 - size
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")
    tensors = {name: info for name, info in header.items() if name != "__metadata__" and isinstance(info, dict)}
    # A file cut short (an interrupted download or copy) otherwise fails deep inside the loader
    # with "incomplete metadata, file not fully covered".
    try:
        described = max((int(info.get("data_offsets", [0, 0])[1]) for info in tensors.values()), default=0)
    except (TypeError, ValueError, IndexError):
        raise ValueError("its header is not a safetensors header") from None
    if held < described:
        raise ValueError(f"the file is cut short: its header describes {described:,} bytes of weights but it "
                         f"holds {max(held, 0):,} (an interrupted download or copy?)")
    return {name: list(info.get("shape", [])) for name, info in tensors.items()}


class _Checker:
    """Collects every problem, so one refusal lists them all (as `config.validate` does)."""

    def __init__(self):
        self.problems: list[str] = []

    def folder(self, key: str, source: str | None) -> Path | None:
        """The local folder of setting `key`; None for a Hub id, or when it is missing."""
        if not source:
            return None
        path = local_path(source)
        if path is None:
            return None
        if not path.exists():
            self.problems.append(f"{key}: no such folder {path}")
            return None
        if not path.is_dir():
            self.problems.append(f"{key}: {path} is a file, not a folder")
            return None
        return path

    def json_file(self, key: str, path: Path, what: str) -> dict | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.problems.append(f"{key}: {path.parent} has no {path.name}, so it is not {what}")
            return None
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self.problems.append(f"{key}: cannot read {path}: {exc}")
            return None
        if not isinstance(data, dict):
            self.problems.append(f"{key}: {path} is not a JSON object")
            return None
        return data

    def weights(self, key: str, folder: Path) -> Shapes | None:
        """Tensor shapes of the model's safetensors weights (the only format the loader reads)."""
        files = [folder / WEIGHTS_FILE]
        if not files[0].is_file():
            index = folder / WEIGHTS_INDEX
            if not index.is_file():
                self.problems.append(f"{key}: {folder} has no {WEIGHTS_FILE}: the model's weights "
                                     "must be in safetensors format")
                return None
            index_data = self.json_file(key, index, "a sharded model")
            if index_data is None:
                return None
            weight_map = index_data.get("weight_map")
            if not isinstance(weight_map, dict):
                self.problems.append(f"{key}: {index} has no weight_map")
                return None
            files = sorted({folder / str(name) for name in weight_map.values()})
        shapes: Shapes = {}
        for path in files:
            try:
                shapes.update(safetensors_shapes(path))
            except (OSError, ValueError) as exc:
                self.problems.append(f"{key}: cannot read the weights {path}: {exc}")
                return None
        return shapes

    def model_config(self, key: str, source: str, tokenizer_key: str,
                     tokenizer: str | None) -> tuple[Path | None, dict | None]:
        """(folder, config.json) of a local model setting, after checking its separate tokenizer
        folder if it names one; (None, None) for a Hub id or a problem already recorded."""
        if tokenizer:
            tokenizer_folder = self.folder(tokenizer_key, tokenizer)
            if tokenizer_folder is not None:
                self.tokenizer(tokenizer_key, tokenizer_folder, "point it at a folder that has one")
        folder = self.folder(key, source)
        if folder is None:
            return None, None
        return folder, self.json_file(key, folder / "config.json", "a Hugging Face model folder")

    def tokenizer(self, key: str, folder: Path, fix: str) -> None:
        if not any((folder / name).is_file() for name in TOKENIZER_FILES):
            self.problems.append(f"{key}: {folder} has no tokenizer ({' or '.join(TOKENIZER_FILES[:2])}); "
                                 f"{fix}")


def _describe(config: dict) -> str:
    """'a roberta model (RobertaForSequenceClassification)' from a config.json."""
    kind = config.get("model_type") or "model of unknown type"
    architectures = config.get("architectures")
    names = ", ".join(map(str, architectures)) if isinstance(architectures, list) and architectures else ""
    return f"a {kind} model" + (f" ({names})" if names else "")


def _module_names(shapes: Shapes) -> set[str]:
    return {name.rsplit(".", 1)[0] for name in shapes}


def _matches(target: str, modules: set[str]) -> bool:
    """PEFT's rule for a list of target names: a module matches when its name ends with it."""
    return any(m == target or m.endswith("." + target) for m in modules)


def _check_policy(c: _Checker, m: ModelConfig) -> Shapes | None:
    """Checks the policy folder; returns its weight shapes when they are known."""
    folder, config = c.model_config("model.policy", m.policy, "model.tokenizer", m.tokenizer)
    if folder is None or config is None:
        return None
    if not config.get("is_encoder_decoder"):
        c.problems.append(f"model.policy: {folder} holds {_describe(config)}; the policy must be a "
                          "sequence-to-sequence model such as T5 or FLAN-T5 (is_encoder_decoder)")
        return None
    if not m.tokenizer:
        c.tokenizer("model.policy", folder, "set model.tokenizer to a folder that has one")
    if m.random_init:
        return None  # built from config.json: no weights to check
    shapes = c.weights("model.policy", folder)
    if shapes is not None:
        modules = _module_names(shapes)
        unknown = [t for t in m.lora_target_modules
                   if not _matches(t, modules) and not _matches(PROJECTION_ALIASES.get(t, t), modules)]
        if unknown:
            c.problems.append(f"model.lora_target_modules: {', '.join(unknown)} names no module of the "
                              f"policy {folder} (T5 attention uses q, k, v and o)")
    return shapes


def _check_reward(c: _Checker, m: ModelConfig) -> None:
    folder, config = c.model_config("model.reward_model", m.reward_model, "model.reward_tokenizer",
                                    m.reward_tokenizer)
    if folder is None or config is None:
        return
    architectures = config.get("architectures") if isinstance(config.get("architectures"), list) else []
    classifier = any(str(a).endswith("ForSequenceClassification") for a in architectures)
    if config.get("is_encoder_decoder") or (architectures and not classifier):
        c.problems.append(f"model.reward_model: {folder} holds {_describe(config)}; the reward model "
                          "must be a sequence classifier (…ForSequenceClassification) with the label "
                          f"that model.reward_label names ('{m.reward_label}')")
        return
    id2label = config.get("id2label") if isinstance(config.get("id2label"), dict) else {}
    labels = sorted({str(v).lower() for v in id2label.values()})
    wanted = LabelRule.parse(m.reward_label).label
    if wanted not in labels:
        c.problems.append(f"model.reward_model: {folder} has the labels {labels or 'none'}; the reward rule "
                          f"model.reward_label='{m.reward_label}' needs a '{wanted}' label (name one of "
                          "them, or '-' and one of them for minus its logit)")
    if not m.reward_tokenizer:
        c.tokenizer("model.reward_model", folder, "set model.reward_tokenizer to a folder that has one")
    if not m.random_init:
        c.weights("model.reward_model", folder)


def _check_adapter(c: _Checker, m: ModelConfig, policy: Shapes | None) -> None:
    folder = c.folder("model.summary_adapter", m.summary_adapter)
    if folder is None:
        return
    config = c.json_file("model.summary_adapter", folder / ADAPTER_CONFIG, "a PEFT adapter folder")
    if config is None or policy is None:
        return  # without the policy's shapes (a Hub id, or a broken folder) the loader decides
    base = config.get("base_model_name_or_path") or "an unnamed base model"
    made_for = f"the adapter {folder} was made for '{base}'"
    targets = config.get("target_modules")
    modules = _module_names(policy)
    if isinstance(targets, list):
        unknown = [str(t) for t in targets if not _matches(str(t), modules)]
        if unknown:
            c.problems.append(f"model.summary_adapter: {made_for}: its target modules "
                              f"{', '.join(unknown)} are not in the policy {m.policy}")
            return
    weights = folder / ADAPTER_WEIGHTS
    if not weights.is_file():
        return  # an adapter_model.bin: PEFT checks it while loading
    try:
        adapter = safetensors_shapes(weights)
    except (OSError, ValueError) as exc:
        c.problems.append(f"model.summary_adapter: cannot read the weights {weights}: {exc}")
        return
    for name, shape in sorted(adapter.items()):
        problem = _lora_misfit(name, shape, policy)
        if problem:
            c.problems.append(f"model.summary_adapter: {made_for} and does not fit the policy "
                              f"{m.policy}: {problem}")
            return


def _lora_misfit(name: str, shape: list[int], policy: Shapes) -> str | None:
    """Why LoRA weight `name` cannot sit on the policy, or None. lora_A is (r, in), lora_B (out, r)."""
    match = LORA_KEY.match(name)
    if not match or len(shape) != 2:
        return None
    module, part = match.group("module"), match.group("part")
    target = policy.get(f"{module}.weight")
    if target is None or len(target) != 2:
        return f"the policy has no layer {module}"
    out_features, in_features = target
    if part == "A" and shape[1] != in_features:
        return f"{module} takes {in_features} inputs in the policy, {shape[1]} in the adapter"
    if part == "B" and shape[0] != out_features:
        return f"{module} gives {out_features} outputs in the policy, {shape[0]} in the adapter"
    return None


def model_path_problems(m: ModelConfig) -> list[str]:
    """Every problem with the local model folders `m` names (empty when all look loadable)."""
    c = _Checker()
    policy = _check_policy(c, m)
    _check_adapter(c, m, policy)
    _check_reward(c, m)
    return c.problems


def dataset_problems(d: DataConfig) -> list[str]:
    """A local dataset is read now (it is small next to the models); a Hub dataset is not."""
    from engine.data import DataError, check_dataset

    try:
        check_dataset(d)
    except DataError as exc:
        return [f"data.dataset: {exc}"]
    return []


def eval_prompt_problems(cfg: Config) -> list[str]:
    """The held-out prompts file, read now: a typo there would otherwise fail the run at step 0."""
    from engine.data import HELD_OUT, DataError, source_rows

    r = cfg.run
    if not r.eval_every or r.eval_prompts in ("test", "stress"):
        return []
    if r.eval_prompts == HELD_OUT:
        return ["run.eval_prompts: 'held-out' names these very prompts; use stress, test or a file"]
    try:
        source_rows(r.eval_prompts, cfg.data)
    except DataError as exc:
        return [f"run.eval_prompts: {exc}"]
    return []


def installed(package: str) -> bool:
    """Whether `package` can be imported, without importing it. A bare folder of that name in the
    working directory (`./wandb` or `./tensorboard` from an earlier run) is a namespace package
    without an origin, not the package."""
    spec = importlib.util.find_spec(package)
    return spec is not None and spec.origin is not None


def tracker_problems(cfg: Config) -> list[str]:
    """Trackers in `run.report_to` whose package is not installed: said now, not by an import
    error after the models have loaded."""
    return [f'run.report_to: "{name}" needs the {name} package: pip install {name}'
            for name in cfg.run.report_to if not installed(name)]


HUB_HOST = ("huggingface.co", 443)
HUB_TIMEOUT_S = 2.0
_TRUE = ("1", "true", "yes", "on")


def offline_by_env() -> bool:
    return any(os.environ.get(name, "").strip().lower() in _TRUE
               for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "DETOX_OFFLINE"))


def hub_reachable(timeout: float = HUB_TIMEOUT_S) -> bool:
    """False when offline mode is set or huggingface.co:443 does not answer within `timeout`.

    The connect runs in a thread because name resolution ignores socket timeouts and can hang
    far longer than a refusal should take.
    """
    if offline_by_env():
        return False
    answered: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection(HUB_HOST, timeout=timeout):
                answered.append(True)
        except OSError:
            answered.append(False)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(answered and answered[0])


def hub_sources(cfg: Config) -> list[tuple[str, str, str]]:
    """(setting, Hub id, repo type) of every source that is not a local path."""
    m = cfg.model
    models = [("model.policy", m.policy), ("model.summary_adapter", m.summary_adapter),
              ("model.tokenizer", m.tokenizer), ("model.reward_model", m.reward_model),
              ("model.reward_tokenizer", m.reward_tokenizer)]
    found = [(key, source, "model") for key, source in models if is_hub_id(source)]
    if is_hub_id(cfg.data.dataset):
        found.append(("data.dataset", cfg.data.dataset, "dataset"))
    return found


def in_hub_cache(repo_id: str, repo_type: str) -> bool:
    """Whether a download of `repo_id` is in the Hugging Face cache (its snapshots folder)."""
    from huggingface_hub.constants import HF_HUB_CACHE

    folder = Path(HF_HUB_CACHE) / f"{repo_type}s--{repo_id.replace('/', '--')}" / "snapshots"
    return folder.is_dir() and any(folder.iterdir())


def hub_problems(cfg: Config) -> list[str]:
    """Hub ids that are neither cached nor downloadable from here: said now, in seconds, instead of
    by the loader a minute into the run (or after its network retries)."""
    missing = [(key, source) for key, source, kind in hub_sources(cfg) if not in_hub_cache(source, kind)]
    if not missing or hub_reachable():
        return []
    why = "offline mode is set" if offline_by_env() else f"{HUB_HOST[0]} does not answer"
    listed = "; ".join(f"{key} = {source}" for key, source in missing)
    return [f"the Hugging Face Hub cannot be reached ({why}) and these are not in this machine's cache: "
            f"{listed}. Use the offline '{OFFLINE_PRESET}' preset, or run once where the Hub is reachable"]


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ConfigError("the models or data cannot be used:\n  - " + "\n  - ".join(problems))


def check_model_paths(cfg: Config) -> None:
    """ConfigError listing every problem with the config's local model folders."""
    _refuse(model_path_problems(cfg.model))


def check_files(cfg: Config) -> None:
    """ConfigError listing every problem with the config's model folders and dataset, local or
    on an unreachable Hub, and with the packages of its trackers."""
    trackers = tracker_problems(cfg)
    if trackers:  # a missing package is not a model or data problem: its own message, first
        raise ConfigError("a tracker cannot be used:\n  - " + "\n  - ".join(trackers))
    _refuse(model_path_problems(cfg.model) + dataset_problems(cfg.data) + eval_prompt_problems(cfg)
            + hub_problems(cfg))
