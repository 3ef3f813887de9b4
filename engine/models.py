"""Loading the policy (with its value head and built-in reference), tokenizers and device/dtype.

One copy of the weights serves as both reference and policy: the summary adapter is merged into
the base once (the merged model *is* the frozen reference), a fresh trainable LoRA goes on top,
and reference log-probs are computed with that LoRA disabled (`PolicyWithValueHead.reference()`).
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
from safetensors import SafetensorError
from torch import nn

from engine import runs
from engine.config import OFFLINE_PRESET, PROJECTION_ALIASES, ModelConfig
from engine.sources import is_hub_id

VALUE_HEAD_FILE = runs.VALUE_HEAD_FILE


class ModelError(RuntimeError):
    """A model that cannot be loaded, with a message that says why and what to do."""


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device '{name}' was asked for, but this machine has no CUDA GPU; use device=cpu")
    return device


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """bf16 on CUDA (half the memory, fp32's range), fp32 on CPU (bf16 matmuls are slow there)."""
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, name)


def _hub_hint(source: str, err: Exception) -> ModelError:
    local = not is_hub_id(source)
    where = "this folder" if local else "the Hugging Face Hub or its local cache"
    hint = "" if local else f" If the Hub cannot be reached, use the offline '{OFFLINE_PRESET}' preset."
    return ModelError(f"cannot load '{source}' from {where}: {type(err).__name__}: {str(err).rstrip('.')}.{hint}")


UNREADABLE_MODEL = (OSError, ValueError, SafetensorError)
"""What a model that cannot be used raises while loading: a folder or Hub repo that is missing or
unreachable, a config transformers does not know, a corrupt or truncated weights file. Anything
else (a KeyError, a TypeError) is a bug and keeps its traceback."""


def load_tokenizer(source: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(source)
    except UNREADABLE_MODEL as e:
        raise _hub_hint(source, e) from e


class Policy(nn.Module):
    """A PEFT-wrapped seq2seq LM whose LoRA is the trainable part; with the LoRA off it is the
    frozen reference. RLOO and GRPO train this alone (they need no values)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model  # peft.PeftModel

    def forward(self, input_ids, attention_mask, decoder_input_ids) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask,
                          decoder_input_ids=decoder_input_ids, use_cache=False).logits  # (B, T_dec, V)

    def reference(self) -> AbstractContextManager:
        """Context in which the model is the frozen reference: the trainable LoRA is switched off."""
        return self.model.disable_adapter()

    @property
    def config(self):
        return self.model.get_base_model().config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


class PolicyWithValueHead(Policy):
    """PPO's policy: the same LM plus a scalar value head on the decoder's last hidden state."""

    def __init__(self, model: nn.Module):
        super().__init__(model)
        d_model = model.get_base_model().config.d_model
        # fp32 head: values are regression targets, bf16 would quantise them to 3 digits
        self.v_head = nn.Linear(d_model, 1, dtype=torch.float32)
        nn.init.zeros_(self.v_head.bias)

    def forward(self, input_ids, attention_mask, decoder_input_ids) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         decoder_input_ids=decoder_input_ids, output_hidden_states=True, use_cache=False)
        hidden = out.decoder_hidden_states[-1]  # (B, T_dec, d_model), after the final layer norm
        values = self.v_head(hidden.float()).squeeze(-1)  # (B, T_dec)
        return out.logits, values


@dataclass
class ParameterReport:
    lora: int
    value_head: int
    total: int

    @property
    def trainable(self) -> int:
        return self.lora + self.value_head

    def __str__(self) -> str:
        head = f" + value head {self.value_head:,}" if self.value_head else ""
        return (f"trainable model parameters: {self.trainable:,} (LoRA {self.lora:,}{head}); all model "
                f"parameters: {self.total:,}; percentage of trainable model parameters: "
                f"{100 * self.trainable / self.total:.2f}%")


def parameter_report(policy: Policy) -> ParameterReport:
    lora = sum(p.numel() for n, p in policy.model.named_parameters() if p.requires_grad)
    head = getattr(policy, "v_head", None)
    value_head = sum(p.numel() for p in head.parameters()) if head is not None else 0
    total = sum(p.numel() for p in policy.parameters())
    return ParameterReport(lora=lora, value_head=value_head, total=total)


KNOWN_LOAD_NOISE = (
    # transformers 5 on T5 checkpoints with their own lm_head: it says so even where the config
    # already says tie_word_embeddings=False (flan-t5-base), and decides right (it does not tie)
    "The tied weights mapping and config for this model specifies to tie",
    # transformers 5 asking itself (peft calls the deprecated property): nothing a user can change
    "`is_gradient_checkpointing` is deprecated",
    # peft merging the summary adapter into a base whose lm_head is its own: the untying it
    # announces is what the checkpoint already is
    "Input and output embeddings are no longer tied after merging",
)
"""Messages every model load printed that say nothing the user can act on; filtered at the load
sites only (quiet_model_load), so that anything else transformers or peft says still shows."""


class _DropKnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(text in record.getMessage() for text in KNOWN_LOAD_NOISE)


@contextmanager
def quiet_model_load() -> Iterator[None]:
    """Load models without KNOWN_LOAD_NOISE (warnings and transformers' log records)."""
    noise = _DropKnownNoise()
    loggers = [logging.getLogger(name) for name in ("transformers.modeling_utils", "transformers", "peft")]
    for logger in loggers:
        logger.addFilter(noise)
    try:
        with warnings.catch_warnings():
            for text in KNOWN_LOAD_NOISE:
                warnings.filterwarnings("ignore", message=".*" + re.escape(text))
            yield
    finally:
        for logger in loggers:
            logger.removeFilter(noise)


def _load_base(cfg: ModelConfig, dtype: torch.dtype) -> nn.Module:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    try:
        if cfg.random_init:
            torch.manual_seed(0)  # shape-true benchmarks: same random weights every time
            return _untie_lm_head(AutoModelForSeq2SeqLM.from_config(AutoConfig.from_pretrained(cfg.policy),
                                                                    dtype=dtype))
        return AutoModelForSeq2SeqLM.from_pretrained(cfg.policy, dtype=dtype, use_safetensors=True)
    except UNREADABLE_MODEL as e:
        raise _hub_hint(cfg.policy, e) from e


def _untie_lm_head(model: nn.Module) -> nn.Module:
    """flan-t5 checkpoints carry their own lm_head, but transformers 5 ties T5's lm_head to the
    embeddings when a model is built from a config: give it its own copy to be shape-true
    (24.7M parameters, 94 MiB in fp32, for flan-t5-base)."""
    lm_head, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    if lm_head is not None and lm_head.weight is embeddings.weight:
        lm_head.weight = nn.Parameter(embeddings.weight.detach().clone())
        model.config.tie_word_embeddings = False
    return model


def _merge_summary_adapter(base: nn.Module, adapter: str) -> nn.Module:
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(base, adapter).merge_and_unload()
    except RuntimeError as e:  # size mismatch: an adapter trained for another base model
        raise ModelError(f"summary adapter '{adapter}' does not fit the base model "
                         f"({type(base).__name__}, d_model={base.config.d_model}): {e}") from e
    except UNREADABLE_MODEL as e:
        raise _hub_hint(adapter, e) from e


def load_policy(cfg: ModelConfig, device: torch.device, dtype: torch.dtype, seed: int = 0,
                value_head: bool = True) -> tuple[Policy, object]:
    """The policy (reference + fresh trainable LoRA, + a value head for PPO) and its tokenizer.
    `seed` fixes the random init of LoRA A and the value head: same seed, same run."""
    with quiet_model_load():
        return _load_policy(cfg, device, dtype, seed, value_head)


def _load_policy(cfg: ModelConfig, device: torch.device, dtype: torch.dtype,
                 seed: int, value_head: bool) -> tuple[Policy, object]:
    from peft import LoraConfig, TaskType, get_peft_model

    tokenizer = load_tokenizer(cfg.tokenizer or cfg.policy)
    base = _load_base(cfg, dtype)
    if not getattr(base.config, "is_encoder_decoder", False):
        raise ModelError(f"'{cfg.policy}' is a {type(base).__name__}; the policy must be an "
                         "encoder-decoder (T5-style) model")
    if cfg.summary_adapter:
        base = _merge_summary_adapter(base, cfg.summary_adapter)
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules=lora_targets(base, cfg.lora_target_modules),
                      lora_dropout=0.0, bias="none", task_type=TaskType.SEQ_2_SEQ_LM)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            peft_model = get_peft_model(base, lora)
        except ValueError as e:
            raise ModelError(f"cannot put LoRA on modules {cfg.lora_target_modules} of '{cfg.policy}': {e}") from e
        policy = PolicyWithValueHead(peft_model) if value_head else Policy(peft_model)
    policy = policy.to(device)
    policy.eval()  # dropout off for the whole PPO run (LoRA and value head included)
    limit_cpu_threads_for_small_models(policy, device)
    return policy, tokenizer


def lora_targets(model: nn.Module, asked: list[str]) -> list[str]:
    """`asked` (T5's names by default: q, v) under this model's own names, so that one setting
    fits every encoder-decoder family."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    return [target if target in names else PROJECTION_ALIASES.get(target, target) for target in asked]


SMALL_MODEL_PARAMETERS = 20_000_000
_DEFAULT_CPU_THREADS = torch.get_num_threads()


def limit_cpu_threads_for_small_models(policy: nn.Module, device: torch.device) -> None:
    """One intra-op thread for small models on CPU. Their matmuls gain nothing from threads, and
    OpenMP's spin-waiting collapses when another process (the dashboard, a test) shares the
    cores: a tiny-preset step measured 0.96 s on one thread against 37 s on two, contended."""
    if device.type != "cpu":
        return
    small = sum(p.numel() for p in policy.parameters()) < SMALL_MODEL_PARAMETERS
    # the setting is per process: a bigger model loaded later (the dashboard) gets the cores back
    torch.set_num_threads(1 if small else _DEFAULT_CPU_THREADS)


def peak_memory_mib(device: torch.device) -> float:
    """The process's peak memory so far: CUDA's allocator peak on a GPU, the peak resident set
    size on a CPU (model loading included: the same for runs of one preset, so comparable)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux (bytes on macOS)
    return kib / 2**20 if sys.platform == "darwin" else kib / 2**10


def save_checkpoint(policy: Policy, directory: Path) -> Path:
    """The trainable parts only: the LoRA adapter (PEFT format) and PPO's value head."""
    from safetensors.torch import save_file

    directory = Path(directory)
    # Whole or absent: a kill between the two saves once left an adapter without its value
    # head, listed as complete and used by Compare and the merged export.
    with runs.staged_folder(directory) as staging:
        policy.model.save_pretrained(staging, safe_serialization=True)
        if isinstance(policy, PolicyWithValueHead):
            save_file({k: v.detach().contiguous().cpu() for k, v in policy.v_head.state_dict().items()},
                      str(staging / VALUE_HEAD_FILE))
    return directory


def load_checkpoint(policy: Policy, directory: Path) -> None:
    """Put a saved LoRA adapter (and PPO's value head, where both have one) into an already
    loaded policy."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    directory = Path(directory)
    adapter_file = directory / "adapter_model.safetensors"
    if not adapter_file.is_file():
        raise ModelError(f"no adapter_model.safetensors in checkpoint {directory}")
    try:
        weights = load_file(str(adapter_file), device=str(next(policy.parameters()).device))
    except UNREADABLE_MODEL as e:
        raise ModelError(f"checkpoint {directory.name} cannot be read ({adapter_file.name}: {e}): the file is "
                         "damaged or incomplete; pick another checkpoint") from e
    try:
        result = set_peft_model_state_dict(policy.model, weights)
    except RuntimeError as e:
        raise ModelError(f"checkpoint {directory} does not fit this policy model: {e}") from e
    missing_lora = [k for k in getattr(result, "missing_keys", []) if "lora_" in k]
    if missing_lora:
        raise ModelError(f"checkpoint {directory} lacks {len(missing_lora)} LoRA weights, "
                         f"e.g. {missing_lora[0]}: it was saved for another model")
    if isinstance(policy, PolicyWithValueHead) and (directory / VALUE_HEAD_FILE).is_file():
        policy.v_head.load_state_dict(load_file(str(directory / VALUE_HEAD_FILE)))
