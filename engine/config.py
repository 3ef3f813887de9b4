"""Settings for one PPO detox run: dataclasses, presets, `--set` overrides, validation.

A `Config` is complete and self-describing: it is what `config.json` in a run directory holds,
and `Config.from_dict(json.load(...))` gives the same run back. Field docstrings explain the
numbers; the defaults are the original course recipe (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ASSETS = Path(__file__).resolve().parent.parent / "assets"


REWARD_INPUTS = ("response", "query+response")
"""What the reward model may read (ppo.reward_input): the summary alone, or prompt and summary
(the notebook). The one list: validation, engine.reward and the Train tab's menu read it."""


ALGORITHMS = {
    "ppo": "one summary per dialogue; a value head learns what each word is worth (the recipe)",
    "rloo": "several summaries per dialogue, each scored against the others' mean reward; no value head",
    "grpo": "several summaries per dialogue, scored against their group's mean and spread; KL in the loss",
}
"""ppo.algorithm's choices, one plain sentence each: validation, the CLI's help and the Train tab's
menu read this one list (engine/ppo.py has PPO, engine/rloo_grpo.py the other two)."""


PROJECTION_ALIASES = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "out_proj"}
"""model.lora_target_modules names T5's attention projections; BART, Pegasus and Marian call the
same ones these names (engine.models.lora_targets, and the preflight, read them)."""


class ConfigError(ValueError):
    """A setting the user must fix; the message says which and why."""


MAX_STEPS = 100_000
"""The engine's own caps; a shared app may set lower ones (dashboard/access.py)."""
MAX_BATCH = 1024

def _number(x: float) -> str:
    return "2^32" if x == 2**32 else f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Limits:
    """What one setting accepts, said once: validate() checks it, the Train tab shows
    `describe()` under the field and engine.train's `--help` lists it (`settings_help()`)."""
    name: str
    """How messages and the CLI name the setting: "learning rate"."""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    """The low end is excluded: (0, ...]."""
    high_open: bool = False
    whole: bool = False
    """A whole number (not a bool)."""
    choices: tuple[str, ...] = ()
    help: str = ""
    """What the number counts, in a few words: "summaries per step"."""

    def accepts(self, value: Any) -> bool:
        if self.choices:
            return isinstance(value, str) and value in self.choices
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)) or value != value:
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    @property
    def range(self) -> tuple[Any, Any]:
        return self.low, self.high

    def describe(self, high: float | None = None) -> str:
        """"between 1 and 100000", "in (0, 0.01]", "at least 1", "positive", "one of ...";
        `high` is a lower cap of this app's (dashboard/access.py)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        low, high = self.low, self.high if high is None else high
        if low is not None and high is not None:
            if not (self.low_open or self.high_open):
                return f"between {_number(low)} and {_number(high)}"
            return f"in {'(' if self.low_open else '['}{_number(low)}, {_number(high)}{')' if self.high_open else ']'}"
        if low is not None:
            if self.low_open:
                return "positive" if low == 0 else f"above {_number(low)}"
            return f"at least {_number(low)}"
        return "any number" if high is None else f"at most {_number(high)}"

    def problem(self, value: Any) -> str | None:
        if self.accepts(value):
            return None
        kind = " (a whole number)" if self.whole and not (isinstance(value, int) and not isinstance(value, bool)) else ""
        got = f"'{shown(value)}'" if isinstance(value, str) else shown(value)
        return f"{self.name} must be {self.describe()}{kind}, got {got}"


def setting(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None, **limits: Any) -> Any:
    """A dataclass field whose limits live beside it (see Limits)."""
    if factory is not None:
        return field(default_factory=factory, metadata={"limits": Limits(**limits)})
    return field(default=default, metadata={"limits": Limits(**limits)})


@dataclass(frozen=True)
class LabelRule:
    """Which label's logit is the reward, and with which sign: model.reward_label parsed
    (engine/reward.py applies it)."""
    label: str
    sign: int

    @classmethod
    def parse(cls, text: str) -> LabelRule:
        text = text.strip()
        return cls(text[1:].strip().lower(), -1) if text.startswith("-") else cls(text.lower(), 1)

    def describe(self) -> str:
        return f"its `{self.label}` logit" if self.sign > 0 else f"minus its `{self.label}` logit"


@dataclass
class ModelConfig:
    policy: str = "google/flan-t5-base"
    """Base seq2seq model: a Hub id or a local folder."""
    summary_adapter: str | None = "intotheverse/peft-dialogue-summary-checkpoint"
    """LoRA adapter that makes the base a dialogue summarizer. It is merged into the base once
    at load time; the merged model is the frozen reference. None: the bare base is the reference."""
    reward_model: str = "facebook/roberta-hate-speech-dynabench-r4-target"
    """Sequence classifier whose `reward_label` logit is the reward."""
    reward_label: str = "nothate"
    """The reward rule: a label of the reward model ("nothate": reward = its logit, toxicity = one
    minus its probability), or "-" and a label ("-toxic": reward = minus its logit, toxicity =
    its probability). Multi-label classifiers use the label's sigmoid (engine/reward.py)."""
    random_init: bool = False
    """Build policy and reward model from their configs with random weights (shape-true benchmarks)."""
    tokenizer: str | None = None
    """Tokenizer folder when it differs from `policy` (random-init models have no tokenizer)."""
    reward_tokenizer: str | None = None
    """Tokenizer folder when it differs from `reward_model`."""
    lora_r: int = setting(32, name="LoRA rank", low=1, high=1024, whole=True)
    """Rank of the trainable policy LoRA (r=32 on q,v of flan-t5-base = 3,538,944 parameters)."""
    lora_alpha: int = setting(32, name="LoRA alpha", low=0, low_open=True)
    """LoRA scaling numerator: updates are scaled by lora_alpha / lora_r (1.0 in the recipe)."""
    lora_target_modules: list[str] = field(default_factory=lambda: ["q", "v"])
    """Attention projections that get the LoRA: T5's query and value, as the summary adapter."""
    device: str = "auto"
    """"auto" (cuda if present, else cpu), "cpu", "cuda", "cuda:1", ..."""
    dtype: str = setting("auto", name="dtype", choices=("auto", "float32", "bfloat16", "float16"))
    """"auto" (bf16 on CUDA, fp32 on CPU), "float32", "bfloat16", "float16"."""


@dataclass
class DataConfig:
    dataset: str = "knkarthick/dialogsum"
    """A Hub dataset id, or a local CSV/JSONL file or a folder of them."""
    split: str = "train"
    """Split to train on (Hub datasets and folders with several files)."""
    dialogue_column: str = "dialogue"
    """The column holding each dialogue, for data in DialogSum's shape under other names."""
    summary_column: str = "summary"
    """The column holding its reference summary (DialogSum's summary1..3 are read too)."""
    min_chars: int = setting(200, name="min_chars", low=0, whole=True)
    """Keep dialogues longer than this many characters (the recipe's 200 < len)."""
    max_chars: int = setting(1000, name="max_chars", low=1, whole=True)
    """... and no longer than this (len <= 1000)."""
    test_fraction: float = setting(0.2, name="test fraction", low=0, high=1, low_open=True, high_open=True)
    """Share held out, from the end, without shuffling (the recipe's 80/20: 8017 / 2005 rows)."""
    max_prompt_tokens: int = setting(512, name="max prompt tokens", low=8, high=4096, whole=True)
    """Prompts are truncated to this many tokens (flan-t5's trained input length)."""


@dataclass
class GenerationConfig:
    output_min_length: int = setting(100, name="output min length", low=1, whole=True, help="tokens")
    """Each response gets its own length, drawn uniformly from [output_min_length, output_max_length)."""
    output_max_length: int = setting(400, name="output max length", low=2, high=2048, whole=True,
                                     help="tokens, exclusive, above the min")
    min_length: int = setting(5, name="min_length", low=0, whole=True)
    """No EOS before this many decoder tokens (the recipe's min_length=5)."""
    top_k: int = setting(0, name="top_k", low=0, whole=True)
    """0: no top-k filtering (pure sampling, as the recipe)."""
    top_p: float = setting(1.0, name="top_p", low=0, high=1, low_open=True)
    """1.0: no nucleus filtering."""


@dataclass
class PPOConfig:
    """The RL algorithm and its numbers. The section keeps PPO's name (the recipe and TRL v0.11's
    `PPOConfig`), and `algorithm` picks PPO, RLOO or GRPO; fields used by one of them say so."""
    algorithm: str = setting("ppo", name="algorithm", choices=tuple(ALGORITHMS),
                             help=" · ".join(f"{name.upper()}: {text}" for name, text in ALGORITHMS.items()))
    """"ppo" (the recipe), "rloo" or "grpo" (engine/rloo_grpo.py); see ALGORITHMS."""
    steps: int = setting(10, name="steps", low=1, high=MAX_STEPS, whole=True)
    """Training steps; each samples `batch_size` summaries."""
    batch_size: int = setting(16, name="batch size", low=1, high=MAX_BATCH, whole=True, help="summaries per step")
    """Summaries sampled per step (the rollout): PPO writes one per prompt; RLOO and GRPO write
    `samples_per_prompt` per prompt, so they read batch_size / samples_per_prompt prompts (TRL's
    convention: its GRPO batch counts completions)."""
    samples_per_prompt: int = setting(4, name="samples per prompt", low=2, high=64, whole=True,
                                      help="RLOO and GRPO: the group; divides the batch")
    """RLOO and GRPO: summaries per prompt, the group whose rewards are each other's baseline."""
    beta: float = setting(0.05, name="beta (the KL weight)", low=0, high=100, help="RLOO and GRPO, fixed")
    """RLOO and GRPO: the fixed KL weight (TRL's `beta`). RLOO subtracts beta * KL from each
    summary's reward; GRPO adds beta * the per-token k3 estimate to the loss. PPO uses
    init_kl_coef instead."""
    mini_batch_size: int = setting(4, name="mini-batch size", low=1, whole=True, help="must divide the batch size")
    """Samples per optimizer step inside the update; must divide batch_size."""
    ppo_epochs: int = setting(1, name="PPO epochs", low=1, high=100, whole=True, help="passes over each batch")
    """Passes over the rollout per step."""
    learning_rate: float = setting(1.41e-5, name="learning rate", low=0, high=1e-2, low_open=True)
    """Adam learning rate (TRL's classic default)."""
    init_kl_coef: float = setting(0.2, name="KL coefficient", low=0, high=100,
                                  help="PPO: initial weight of the KL penalty")
    """PPO: starting weight of the per-token KL penalty against the reference."""
    adap_kl_ctrl: bool = True
    """PPO: adapt the KL weight towards `target` (Ziegler et al. 2019, https://arxiv.org/abs/1909.08593)."""
    target: float = setting(6.0, name="KL target", low=0, low_open=True, help="PPO: nats per response")
    """PPO: target KL (nats per response) for the adaptive controller."""
    horizon: int = setting(10000, name="KL horizon", low=1, whole=True)
    """PPO: samples over which the adaptive controller corrects the KL error."""
    gamma: float = setting(1.0, name="gamma", low=0, high=1)
    """PPO: discount per token; 1: the score at the end counts fully for every token of the summary."""
    lam: float = setting(0.95, name="GAE lambda", low=0, high=1)
    """PPO: GAE lambda (https://arxiv.org/abs/1506.02438)."""
    cliprange: float = setting(0.2, name="cliprange", low=0, high=1, low_open=True, high_open=True)
    """Ratio clip of the surrogate loss, for all three (https://arxiv.org/abs/1707.06347)."""
    cliprange_value: float = setting(0.2, name="value cliprange", low=0, low_open=True)
    """PPO: value predictions may move at most this far from the rollout's values per step."""
    vf_coef: float = setting(0.1, name="value loss coefficient", low=0)
    """PPO: weight of the value loss in the total loss."""
    max_grad_norm: float = setting(1.0, name="max grad norm", low=0)
    """Gradient clipping of trainable parameters (0 disables)."""
    reward_input: str = setting("response", name="reward input", choices=REWARD_INPUTS,
                                help="the summary alone, or prompt + summary (notebook)")
    """What the reward model reads: "response" (the summary alone) or "query+response" (the notebook)."""
    seed: int = setting(42, name="seed", low=0, high=2**32, high_open=True, whole=True)
    """Seeds LoRA init, sampling, lengths and minibatch order: same seed, same numbers."""


@dataclass
class RunConfig:
    save_every: int = setting(5, name="save_every", low=0, whole=True, help="steps; 0 = only the final one")
    """Save a checkpoint every this many steps (0: only the final one)."""
    samples_per_step: int = setting(4, name="samples per step", low=0, high=64, whole=True)
    """Rows written to samples.jsonl per step for the UI."""
    judges: list[str] = field(default_factory=lambda: ["s-nlp/roberta_toxicity_classifier", "profanity-check"])
    """Toxicity judges besides the reward model, for held-out and after-run evaluation:
    "profanity-check" (offline) or any Hugging Face classifier with a toxic label. One that
    cannot be loaded is skipped with a note."""
    eval_every: int = setting(10, name="eval_every", low=0, whole=True, help="steps; 0 = never")
    """Every this many steps (and before the first, and at the end) the policy summarises the
    held-out prompts and the reward model and judges score them, into eval.jsonl (0: never)."""
    eval_prompts: str = "stress"
    """Held-out prompts: "stress" (the project's rude dialogues), "test" (the run's test split)
    or a CSV/JSONL file of dialogues."""
    eval_size: int = setting(8, name="eval_size", low=1, high=256, whole=True)
    """How many held-out prompts (the first ones), one summary each: small, so it costs little."""
    report_to: list[str] = field(default_factory=list)
    """Experiment trackers that also get every metric row (TRL's `report_to`): any of "trackio"
    (local-first, `trackio show`), "tensorboard", "wandb"; each needs its own package. Empty:
    the run directory only, which stays the source of truth either way (engine/trackers.py)."""


@dataclass
class Config:
    preset: str = "seed"
    """The preset this config started from (informational once overrides are applied)."""
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        sections = {f.name: f.type for f in dataclasses.fields(cls) if f.name != "preset"}
        unknown = set(d) - set(sections) - {"preset"}
        if unknown:
            raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {"preset": d.get("preset", "custom")}
        for name in sections:
            section_cls = type(getattr(cls(), name))
            values = dict(d.get(name, {}))
            known = {f.name for f in dataclasses.fields(section_cls)}
            bad = set(values) - known
            if bad:
                raise ConfigError(f"unknown setting(s) in '{name}': {', '.join(sorted(bad))}")
            kwargs[name] = section_cls(**values)
        return cls(**kwargs)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Config:
        return cls.from_dict(json.loads(Path(path).read_text()))


def prompts_per_step(p: PPOConfig) -> int:
    """Prompts one step reads: each gets one summary under PPO, a group under RLOO and GRPO."""
    return p.batch_size if p.algorithm == "ppo" else p.batch_size // p.samples_per_prompt


# --- presets -------------------------------------------------------------------------------

def _seed() -> Config:
    return Config(preset="seed")


def _small() -> Config:
    cfg = Config(preset="small")
    cfg.model.policy = "google/flan-t5-small"
    cfg.model.summary_adapter = None
    cfg.generation.output_min_length = 32
    cfg.generation.output_max_length = 64
    cfg.ppo.batch_size = 8
    cfg.ppo.learning_rate = 1e-4
    return cfg


def _tiny() -> Config:
    tiny = ASSETS / "tiny"
    cfg = Config(preset="tiny")
    cfg.model.policy = str(tiny / "policy")
    cfg.model.summary_adapter = str(tiny / "summary-adapter")
    cfg.model.reward_model = str(tiny / "reward")
    cfg.model.lora_r = 8
    cfg.model.lora_alpha = 16
    cfg.data.dataset = str(ASSETS / "dialogues" / "samples.jsonl")
    cfg.generation.output_min_length = 8
    cfg.generation.output_max_length = 24
    cfg.ppo.steps = 8
    cfg.ppo.batch_size = 8
    cfg.ppo.mini_batch_size = 4
    cfg.ppo.learning_rate = 1e-3
    cfg.run.save_every = 4
    cfg.run.judges = ["profanity-check"]
    cfg.run.eval_every = 0  # tests switch it on where they need it
    return cfg


def _demo() -> Config:
    """Offline toy models that show detox on a CPU in minutes (assets/demo/README.md). Settings
    measured on 2 cores (bench/RESULTS.md): a small LoRA with a high
    learning rate moves the policy from the reference's rude summaries to its polite ones in 60
    steps (85-118 s with loading on 2 cores), at a KL of about 1 nat. 40 steps reach a smaller drop (58%
    against 72%); a learning rate of 2e-3 drops as fast but costs ROUGE-L on everyday dialogues."""
    demo = ASSETS / "demo"
    cfg = Config(preset="demo")
    cfg.model.policy = str(demo / "summarizer")
    cfg.model.summary_adapter = str(demo / "summary-adapter")
    cfg.model.reward_model = str(demo / "reward")
    cfg.model.lora_r = 8
    cfg.model.lora_alpha = 8
    cfg.data.dataset = str(demo / "dialogues.jsonl")
    cfg.generation.output_min_length = 48
    cfg.generation.output_max_length = 80
    cfg.ppo.steps = 60
    cfg.ppo.batch_size = 16
    cfg.ppo.mini_batch_size = 4
    cfg.ppo.learning_rate = 1e-3
    cfg.run.save_every = 20
    cfg.run.judges = ["profanity-check"]
    cfg.run.eval_every = 5
    cfg.run.eval_prompts = str(demo / "heated-test.jsonl")
    cfg.run.eval_size = 16
    return cfg


def _shape_base() -> Config:
    """flan-t5-base and roberta-base shapes with random weights: real-scale timing, no downloads."""
    shape, tiny = ASSETS / "shape", ASSETS / "tiny"
    cfg = Config(preset="shape-base")
    cfg.model.policy = str(shape / "flan-t5-base")
    cfg.model.summary_adapter = None
    cfg.model.reward_model = str(shape / "roberta-hate")
    cfg.model.random_init = True
    cfg.model.tokenizer = str(tiny / "policy")
    cfg.model.reward_tokenizer = str(tiny / "reward")
    cfg.data.dataset = str(ASSETS / "dialogues" / "samples.jsonl")
    cfg.run.judges = ["profanity-check"]
    cfg.run.eval_every = 0  # step timings only
    return cfg


PRESETS = {"demo": _demo, "seed": _seed, "small": _small, "tiny": _tiny, "shape-base": _shape_base}
DESCRIPTIONS = {
    "demo": "offline toy models trained on synthetic dialogues: detox on a CPU in minutes; they do not read dialogues unlike their own",
    "seed": "the course notebook's recipe: flan-t5-base + summary adapter (Hub, GPU)",
    "small": "flan-t5-small with a fresh LoRA, CPU-friendly (Hub)",
    "tiny": "for tests only: random weights, gibberish summaries",
    "shape-base": "for benchmarks only: flan-t5-base shapes, random weights",
}
"""One line per preset, for the CLI's help and the dashboard's preset menu."""
assert set(DESCRIPTIONS) == set(PRESETS)
OFFLINE_PRESET = "demo"
"""The preset that needs no download: the default without the Hub, and on a CPU."""
TRACKERS = ("trackio", "tensorboard", "wandb")
"""What `run.report_to` may name; each is also the name of its package (to import and to pip install)."""


def shown(value: Any, limit: int = 40) -> str:
    """`value` as text cut to `limit` characters, so a hostile or absurd value cannot flood a message."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def preset(name: str) -> Config:
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(f"unknown preset '{shown(name)}'; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]()


# --- overrides -----------------------------------------------------------------------------

def _parse_value(raw: str, current: Any, key: str) -> Any:
    """The text of a `--set key=value` as the setting's type: a command line has nothing but text."""
    if isinstance(current, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key}: expected true or false, got '{shown(raw)}'")
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{key}: expected a whole number, got '{shown(raw)}'") from None
    if isinstance(current, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{key}: expected a number, got '{shown(raw)}'") from None
    if isinstance(current, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if current is None or isinstance(current, str):
        return None if raw.strip().lower() in ("none", "null", "") else raw
    raise ConfigError(f"{key}: cannot set a value of type {type(current).__name__}")


def apply_overrides(cfg: Config, overrides: list[str] | dict[str, Any]) -> Config:
    """Apply `section.field=value` strings (CLI `--set`) or a {key: value} dict (UI, API).

    Only the strings are parsed: text is all a command line has. A dict's values are data and
    must already have the setting's type (see _typed_value)."""
    from_text = not isinstance(overrides, dict)
    items = [_split(o) for o in overrides] if from_text else overrides.items()
    for key, value in items:
        section_name, _, name = key.partition(".")
        section = getattr(cfg, section_name, None) if name else None
        if section is None or not dataclasses.is_dataclass(section):
            raise ConfigError(f"unknown setting '{key}'; use section.field, e.g. ppo.learning_rate")
        if not any(f.name == name for f in dataclasses.fields(section)):
            names = ", ".join(f"{section_name}.{f.name}" for f in dataclasses.fields(section))
            raise ConfigError(f"unknown setting '{key}'; '{section_name}' has: {names}")
        current = getattr(section, name)
        setattr(section, name, _parse_value(value, current, key) if from_text else _typed_value(value, current, key))
    return cfg


def _typed_value(value: Any, current: Any, key: str) -> Any:
    """`value` if it has the setting's type, else ConfigError; nothing is converted. A UI or API
    value says what it is: "8" is text, not a batch size, `true` no step count and 5 no switch.
    Parsing them would make the API accept what a typed client never sends and hide the
    caller's mistake (the README promises that values are not coerced)."""
    if isinstance(current, bool):
        ok = isinstance(value, bool)
        expected = "true or false"
    elif isinstance(current, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "a whole number"
    elif isinstance(current, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        expected = "a number"
    elif isinstance(current, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        expected = "a list of names"
    else:  # text settings, or None for "not set"
        ok = value is None or isinstance(value, str)
        expected = "text"
    if not ok:
        got = f"'{shown(value)}' (text)" if isinstance(value, str) else shown(json.dumps(value, default=str))
        raise ConfigError(f"{key}: expected {expected}, got {got}")
    return value


def _split(override: str) -> tuple[str, str]:
    key, sep, value = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got '{override}'")
    return key.strip(), value


# --- validation ----------------------------------------------------------------------------


def limits(section: Any, name: str) -> Limits | None:
    """The limits of `section.name` (a dataclass instance or class), None where it has none."""
    return {f.name: f.metadata.get("limits") for f in dataclasses.fields(section)}.get(name)


def settings_help() -> str:
    """Every setting with a range or choices, one line each: engine.train's --help epilog."""
    lines = ["settings (--set KEY=VALUE) with their limits:"]
    for section in dataclasses.fields(Config):
        if section.name == "preset":
            continue
        for f in dataclasses.fields(getattr(Config(), section.name)):
            lim = f.metadata.get("limits")
            if lim:
                shown_help = f" ({lim.help})" if lim.help and not lim.choices else ""
                lines.append(f"  {section.name}.{f.name}: {lim.describe()}{shown_help}")
    return "\n".join(lines)


def validate(cfg: Config) -> Config:
    """Raise ConfigError listing every problem, in words a workshop participant understands.

    Each field's own range and choices come from its Limits; what follows them relates fields to
    each other or has no range. Every value is echoed through shown(): an API caller may send
    1e308 for a step count, which is a whole float and becomes a 309-digit int, or a megabyte of
    text for a choice."""
    p, g, d, m, r = cfg.ppo, cfg.generation, cfg.data, cfg.model, cfg.run
    problems: list[str] = []

    def check(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    for section in (p, g, d, m, r):
        for f in dataclasses.fields(section):
            if "limits" in f.metadata:
                problem = f.metadata["limits"].problem(getattr(section, f.name))
                check(problem is None, problem or "")

    def ok(section: Any, name: str) -> bool:
        return limits(section, name).accepts(getattr(section, name))

    if ok(p, "mini_batch_size") and ok(p, "batch_size"):
        check(p.batch_size % p.mini_batch_size == 0,
              f"mini-batch size ({shown(p.mini_batch_size)}) must divide batch size ({shown(p.batch_size)})")
    if p.algorithm in ("rloo", "grpo") and ok(p, "samples_per_prompt") and ok(p, "batch_size"):
        check(p.batch_size % p.samples_per_prompt == 0,
              f"samples per prompt ({shown(p.samples_per_prompt)}) must divide batch size ({shown(p.batch_size)}): "
              f"{p.algorithm.upper()} samples whole groups")
    if ok(g, "output_min_length") and ok(g, "output_max_length"):
        check(g.output_max_length > g.output_min_length,
              f"output length range is empty: min {shown(g.output_min_length)} must be below max "
              f"{shown(g.output_max_length)} (max is exclusive)")
    if ok(d, "min_chars") and ok(d, "max_chars"):
        check(d.max_chars > d.min_chars, f"dialogue length range is empty: min_chars {shown(d.min_chars)} must be "
                                         f"below max_chars {shown(d.max_chars)}")
    check(bool(d.dataset), "dataset must be a Hub id or a path")
    check(all(isinstance(c, str) and c.strip() for c in (d.dialogue_column, d.summary_column)),
          "data.dialogue_column and data.summary_column must name columns")
    check(bool(m.policy), "policy model must be a Hub id or a path")
    check(bool(m.reward_model), "reward model must be a Hub id or a path")
    check(isinstance(m.reward_label, str) and bool(m.reward_label.strip().lstrip("-").strip()),
          f"reward label must name a label of the reward model (or '-' and a label), got '{shown(m.reward_label)}'")
    check(bool(m.lora_target_modules), "LoRA target modules must not be empty")
    check(m.device == "auto" or m.device == "cpu" or m.device.startswith("cuda"),
          f"device must be auto, cpu or cuda[:N], got '{shown(m.device)}'")
    check(isinstance(r.judges, list) and all(isinstance(j, str) and j.strip() for j in r.judges),
          f"judges must be a list of names (profanity-check or Hugging Face classifiers), got {shown(r.judges)}")
    check(isinstance(r.eval_prompts, str) and bool(r.eval_prompts.strip()),
          "eval_prompts must be stress, test or a file of dialogues")
    names_ok = isinstance(r.report_to, list) and all(isinstance(t, str) for t in r.report_to)
    check(names_ok, f"run.report_to must be a list of tracker names ({', '.join(TRACKERS)}), got {shown(r.report_to)}")
    unknown = [t for t in r.report_to if t not in TRACKERS] if names_ok else []
    check(not unknown, f"run.report_to: unknown tracker {shown(', '.join(unknown))}; choose among {', '.join(TRACKERS)}")
    if problems:
        raise ConfigError("invalid settings:\n  - " + "\n  - ".join(problems))
    return cfg


# --- evaluation limits: one definition for engine.evaluate's CLI, the Evaluate tab and
# engine.evaluation.evaluate (they once lived in the CLI, which evaluation.py then had to import) ---

MAX_EVAL_SAMPLES = 5000
"""The most prompts one evaluation takes."""
MAX_SAMPLES_PER_PROMPT = 100
"""The most summaries sampled per prompt (the literature uses 25)."""
MAX_SEED = 2**32 - 1
EVALUATION_LIMITS = {"samples": Limits("samples", 1, MAX_EVAL_SAMPLES, whole=True),
                     "samples_per_prompt": Limits("samples per prompt", 1, MAX_SAMPLES_PER_PROMPT, whole=True),
                     "seed": Limits("seed", 0, MAX_SEED, whole=True)}
"""Each evaluation setting's range: the CLI, the Evaluate tab and evaluate() check these."""


def check_evaluation_limits(spell: Callable[[str], str] = lambda name: name.replace("_", " "),
                            **values: int) -> None:
    """ConfigError for the first of `values` (samples, samples_per_prompt, seed) outside its
    range; `spell` names a setting the way its caller's user knows it (the CLI: --samples)."""
    for name, value in values.items():
        lim = EVALUATION_LIMITS[name]
        if not lim.accepts(value):
            shown_high = "2^32 - 1" if lim.high == MAX_SEED else lim.high
            raise ConfigError(f"{spell(name)} must be between {lim.low} and {shown_high}, got {value}")


def resolve(preset_name: str, overrides: list[str] | dict[str, Any] = ()) -> Config:
    """Preset + overrides, validated: the one way runs get their config."""
    return validate(apply_overrides(preset(preset_name), overrides))
