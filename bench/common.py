"""Helpers shared by the benchmarks: machine description, timers, tables, model loading.

torch is imported inside the functions that need it, so that `bench.step`'s parent process
(which only starts children and prints their results) stays light and does not skew their
peak-memory figures.
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH_PRESETS = ("tiny", "shape-base")
"""Presets that need no download: benchmarks must run offline, on any machine."""


def bounded_int(low: int, high: int):
    """argparse type: a whole number in [low, high], or a message that says what was wrong."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def device_name(text: str) -> str:
    """argparse type: auto, cpu, cuda or cuda:N (checked against the machine only when used)."""
    if text in ("auto", "cpu", "cuda") or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N, got '{text}'")


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_average() -> float:
    """1-minute load average: other work on the machine makes every timing slower."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


class OtherLoad:
    """CPU that *other* processes used while a benchmark ran, in cores on average.

    The load average counts the benchmark's own threads and lags by a minute; this counts what
    matters for a timing: busy CPU time of the whole machine (/proc/stat) minus this process's
    own. On 2 cores, anything above ~0.2 means the figures are slower than the machine can do.
    """

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        import resource

        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError, IndexError):
            return None
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        # the benchmark's own work includes the children it waited for (bench.demo_quality's trainer)
        own = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                    resource.getrusage(resource.RUSAGE_CHILDREN)))
        return time.perf_counter(), busy, own

    def cores(self) -> float:
        end = self._sample()
        if self.start is None or end is None or end[0] <= self.start[0]:
            return float("nan")
        wall, busy, own = (e - s for e, s in zip(end, self.start))
        return max(0.0, (busy - own) / wall)


def publish(text: str, result: dict, json_path: Path | None) -> None:
    """A benchmark's end: its report on stdout, its numbers in `--json FILE` when asked for."""
    import json

    print(text, flush=True)
    if json_path:
        json_path.write_text(json.dumps(result, indent=2) + "\n")


def quiet_libraries() -> None:
    """Keep the printed table readable: no weight-loading progress bars or library notices."""
    import warnings

    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|peft)\.")


def describe_device(device) -> str:
    """Words that make a CPU figure impossible to mistake for a GPU one."""
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({cpu_cores()} cores, {torch.get_num_threads()} torch threads)"


def pick_bench_device(name: str):
    """'auto', 'cpu' or 'cuda[:N]' -> torch.device, with a clear message when CUDA is missing."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"error: --device {name} was asked for, but this machine has no CUDA GPU; "
                         "use --device cpu")
    return device


def synchronize(device) -> None:
    """CUDA kernels run asynchronously: wait for them, or a timer stops before the work does."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class PhaseTimer:
    """Accumulates wall time per named phase (seconds), synchronizing the device at each edge."""

    device: object
    totals: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, phase: str):
        synchronize(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            synchronize(self.device)
            self.totals[phase] = self.totals.get(phase, 0.0) + time.perf_counter() - start

    def pop(self, phase: str) -> float:
        return self.totals.pop(phase, 0.0)


def format_table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def resolve_config(preset: str, overrides: list[str]):
    """The engine's own preset + overrides + validation; a bad setting ends with its message."""
    from engine.config import ConfigError, resolve

    try:
        return resolve(preset, overrides)
    except ConfigError as e:
        raise SystemExit(f"error: {e}") from None


def load_models(cfg, device):
    """Policy (with its built-in reference), tokenizer, reward model and prompts, as engine.train."""
    from engine.data import load_prompts
    from engine.loading import load_config_models
    from engine.models import pick_dtype

    policy, tokenizer, reward_model = load_config_models(cfg, device, pick_dtype(cfg.model.dtype, device))
    data = load_prompts(cfg.data, tokenizer)
    return policy, tokenizer, reward_model, data


def weight_bytes(module) -> int:
    """Bytes of the frozen weights: what a second copy of the reference model would duplicate."""
    return sum(p.numel() * p.element_size() for p in module.parameters() if not p.requires_grad)


MiB = 1024 * 1024
