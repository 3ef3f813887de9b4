"""Bad input through every door: the UI handlers, the API (the real app, over HTTP) and the CLI.

Each row sends one bad input and checks the answer: a message with the words that name the
problem, no traceback, no HTML in an API message, exit code 2 from a CLI, and nothing written or
lost: the runs folder is byte for byte the same afterwards (no new run folder, the two runs
already there untouched). Nothing here loads a model: every refusal happens before that.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client
from safetensors.numpy import save_file

from engine import runs
from engine.config import ASSETS, MAX_BATCH, MAX_STEPS, preset as load_preset
from engine.preflight import safetensors_shapes

from dashboard.compare_tab import CompareHandlers
from dashboard.context import AppContext
from dashboard.evaluate_tab import EvaluateHandlers
from dashboard.model_cache import ModelCache
from dashboard.reward_tab import RewardHandlers
from dashboard.runner import Runner
from dashboard.settings import gpu_count
from dashboard.storage import Storage
from dashboard.train_tab import TrainHandlers
from dashboard.ui import serve_locally

ROOT = Path(__file__).resolve().parent.parent
FAKE_TRAINER = Path(__file__).resolve().parent / "fake_trainer.py"
TINY = ASSETS / "tiny"
MB = "a" * (1 << 20)  # 1,048,576 characters
SURROGATE = "#Person1#: hello \udcff there"  # what a JSON "\udcff" escape decodes to
LONG = r"too long \(1,048,576 characters; at most 20,000\)"
NOT_UTF8 = r"not valid UTF-8 text: character 18 is \\udcff"
CLI_TIMEOUT_S = 120


# --- the world the rows act on ----------------------------------------------------------------

@dataclass
class World:
    runs: Path
    run: str
    """A finished run with a `final` checkpoint."""
    bare: str
    """A failed run without any checkpoint."""
    moved: str
    """A finished run whose policy folder is gone."""
    files: Path
    """Bad models and data files, outside the runs folder."""

    def fill(self, value: Any) -> Any:
        """Put the world's paths and ids into a row's arguments ("{run}", "{files}/x")."""
        if isinstance(value, str) and "{" in value:
            return value.format(runs=self.runs, run=self.run, bare=self.bare, moved=self.moved, files=self.files,
                                tiny=TINY)
        if callable(value):
            return value()
        return value


def make_run(runs_dir: Path, state: str, checkpoint: bool, policy: str | None = None) -> str:
    cfg = load_preset("tiny")
    cfg.model.policy = policy or cfg.model.policy
    run_dir = runs.create_run(runs_dir, cfg.to_dict(), "tiny")
    runs.write_status(run_dir, state=state, step=8 if checkpoint else 0, total_steps=8,
                      error=None if checkpoint else "it went wrong")
    runs.append_jsonl(run_dir / runs.METRICS_FILE, {"step": 1, "objective/kl": 0.1})
    if checkpoint:
        final = runs.checkpoint_dir(run_dir, None)
        final.mkdir(parents=True)
        for name in runs.CHECKPOINT_FILES:
            (final / name).write_text("{}\n")
    return run_dir.name


def make_bad_files(files: Path) -> None:
    files.mkdir()
    (files / "not-utf8.jsonl").write_bytes(b'{"dialogue": "#Person1#: caf\xe9 \xff"}\n')
    (files / "huge.jsonl").write_text("".join(json.dumps({"dialogue": MB}) + "\n" for _ in range(2)))
    (files / "no-config").mkdir()
    (files / "no-config" / "model.safetensors").write_bytes(b"")
    # A reward model whose weights were cut short (an interrupted copy).
    shutil.copytree(TINY / "reward", files / "reward-cut-short")
    weights = files / "reward-cut-short" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    # An adapter made for a BART-like base: other module names.
    other_base = files / "adapter-other-base"
    shutil.copytree(TINY / "summary-adapter", other_base)
    config = json.loads((other_base / "adapter_config.json").read_text())
    config.update(base_model_name_or_path="facebook/bart-base", target_modules=["q_proj", "v_proj"])
    (other_base / "adapter_config.json").write_text(json.dumps(config))
    # An adapter for a wider T5 (d_model 128): same module names, other shapes.
    wider = files / "adapter-other-dims"
    shutil.copytree(TINY / "summary-adapter", wider)
    shapes = safetensors_shapes(wider / "adapter_model.safetensors")
    save_file({name: np.zeros((8, 128) if ".lora_A." in name else (128, 8), np.float32) for name in shapes},
              str(wider / "adapter_model.safetensors"))
    config = json.loads((wider / "adapter_config.json").read_text())
    config.update(base_model_name_or_path="google/flan-t5-wider")
    (wider / "adapter_config.json").write_text(json.dumps(config))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("bad-inputs")
    runs_dir = root / "runs"
    runs_dir.mkdir()
    run = make_run(runs_dir, "finished", checkpoint=True)
    bare = make_run(runs_dir, "failed", checkpoint=False)
    moved = make_run(runs_dir, "finished", checkpoint=True, policy=str(root / "moved-away"))
    make_bad_files(root / "files")
    return World(runs=runs_dir, run=run, bare=bare, moved=moved, files=root / "files")


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under `root` with a digest of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


# --- the three doors --------------------------------------------------------------------------

@dataclass
class Handlers:
    train: TrainHandlers
    compare: CompareHandlers
    evaluate: EvaluateHandlers
    reward: RewardHandlers


@pytest.fixture(scope="module")
def handlers(world) -> Iterator[Handlers]:
    storage = Storage(world.runs)
    # A fake trainer: should a bad input get through, it writes a run folder in milliseconds and
    # the snapshot comparison fails.
    command = [sys.executable, str(FAKE_TRAINER), "--as", "engine.train"]
    ctx = AppContext(storage=storage, runner=Runner(storage, command), models=ModelCache(), preset="tiny")
    yield Handlers(TrainHandlers(ctx), CompareHandlers(ctx), EvaluateHandlers(ctx), RewardHandlers(ctx))
    ctx.runner.terminate_all(timeout=10)


@pytest.fixture(scope="module")
def app(world):
    with serve_locally(world.runs) as (_, url):
        yield url, Client(url, verbose=False)


def readable(text: str) -> str:
    """What a person reads in a banner or a toast: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def through_ui(call: Callable[[Handlers, World], Any], world: World, request) -> str:
    """The words a handler shows: its returned banner, its toasts (gr.Warning outside a Gradio
    event is a Python warning) or its gr.Error."""
    h = request.getfixturevalue("handlers")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            shown = call(h, world)
        except gr.Error as exc:
            shown = exc.message
    texts = [s for s in (shown if isinstance(shown, tuple) else (shown,)) if isinstance(s, str)]
    texts += [str(w.message) for w in caught]
    return readable(" | ".join(texts))


def plain_api_message(message: str) -> str:
    assert not re.search(r"</?[a-zA-Z][^>]*>", message), f"HTML in an API message: {message!r}"
    assert "has not enabled verbose error reporting" not in message, "a bare exception reached the API"
    return message


def through_api(call: tuple[str, tuple, dict], world: World, request) -> str:
    api_name, args, kwargs = call
    _, client = request.getfixturevalue("app")
    args = [world.fill(a) for a in args]
    kwargs = {k: world.fill(v) for k, v in kwargs.items()}
    with pytest.raises(Exception) as refused:
        client.predict(*args, api_name=api_name, **kwargs)
    return plain_api_message(str(refused.value))


def through_raw_http(call: tuple[str, tuple, dict], world: World, request) -> str:
    """gradio_client cannot send a lone surrogate (it encodes UTF-8); plain HTTP with a JSON
    escape can, as any script may."""
    api_name, args, _ = call
    url, _ = request.getfixturevalue("app")
    base = f"{url.rstrip('/')}/gradio_api/call/{api_name.strip('/')}"
    body = json.dumps({"data": [world.fill(a) for a in args]})  # ensure_ascii: "\udcff" stays an escape
    posted = httpx.post(base, content=body, headers={"Content-Type": "application/json"}, timeout=60)
    stream = httpx.get(f"{base}/{posted.json()['event_id']}", timeout=60).text
    events = re.findall(r"event: (\w+)\ndata: (.*)", stream)
    assert events and events[-1][0] == "error", f"not refused: {stream[:500]}"
    error = json.loads(events[-1][1])
    return plain_api_message(error["error"] if isinstance(error, dict) else str(error))


def through_cli(call: tuple[str, tuple, dict], world: World, request) -> str:
    module, args, _ = call
    argv = [world.fill(a) for a in args]
    if module == "engine.train":
        argv = ["--preset", "tiny", "--steps", "2", "--runs-dir", str(world.runs), *argv]
    else:
        argv = [*argv, "--runs-dir", str(world.runs)]
    proc = subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S)
    assert proc.returncode == 2, f"exit code {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stdout and "run directory:" not in proc.stdout
    return proc.stderr


DOORS = {"ui": through_ui, "api": through_api, "http": through_raw_http, "cli": through_cli}


# --- the table --------------------------------------------------------------------------------

SLOW_DOOR = pytest.mark.slow
"""The API and HTTP doors go through a served app, the CLI door starts a process: slow. The UI
door calls the handlers in this process: fast."""


def ui(name: str, expect: str, call: Callable[[Handlers, World], Any]):
    return pytest.param("ui", call, expect, id=f"ui-{name}")


def api(name: str, expect: str, api_name: str, *args: Any, **kwargs: Any):
    return pytest.param("api", (api_name, args, kwargs), expect, id=f"api-{name}", marks=SLOW_DOOR)


def http(name: str, expect: str, api_name: str, *data: Any):
    return pytest.param("http", (api_name, data, {}), expect, id=f"http-{name}", marks=SLOW_DOOR)


def cli(name: str, expect: str, module: str, *args: str):
    return pytest.param("cli", (module, args, {}), expect, id=f"cli-{name}", marks=SLOW_DOOR)


def start(settings: dict | None = None, preset: str = "tiny", processes: Any = 1):
    return lambda h, w: h.train.start(preset, settings or {}, processes=w.fill(processes))


def compare(run: str = "{run}", checkpoint: str = "", source: str = "Test split", n: Any = 4,
            dialogue: str = "", seed: Any = 0):
    return lambda h, w: h.compare.generate(w.fill(run), checkpoint, source, n, dialogue, seed)


def evaluate(run: str = "{run}", checkpoint: str = "final", data: str = "Test split", samples: Any = 8,
             seed: Any = 0):
    return lambda h, w: next(h.evaluate.evaluate(w.fill(run), checkpoint, data, samples, seed))


def score(text: Any, preset: str = "tiny"):
    return lambda h, w: h.reward.score_view(text, preset)


def more_gpus_than_here() -> int:
    return max(gpu_count(), 1) + 1


LR = r"learning rate must be in \(0, 0\.01\], got "
STEPS = rf"steps must be between 1 and {MAX_STEPS}, got "
DIVIDE = r"mini-batch size \(3\) must divide batch size \(8\)"
LENGTHS = r"output length range is empty: min 30 must be below max 10"
PRESET = r"unknown preset 'huge'; choose one of: demo, seed, small, tiny"
GPUS = r"\d+ processes asked for, but this machine has \d+ GPU"
PROCESSES = r"number of processes must be a whole number from 1 to 64, got "
# The CLI takes paths on purpose (a run folder anywhere); a relative path climbing out of the
# checkout to /etc must still be refused. It runs in ROOT, so the climb depends on ROOT's depth.
ETC_FROM_ROOT = os.path.relpath("/etc", ROOT)
ETC_NOT_A_RUN = re.escape(f"'{ETC_FROM_ROOT}' (/etc) is not a run folder")
TRAVERSAL = r"invalid run id '\.\./\.\./etc': it must not contain '\.\.'"
NO_CKPT = r"has no checkpoint 'step-99'; it has: final"
NO_CKPTS = r"has no checkpoints yet"

ROWS = [
    # Train tab: TrainHandlers.start, what the Start button calls
    ui("start-lr-negative", LR + "-0.0001", start({"ppo.learning_rate": -1e-4})),
    ui("start-lr-huge", LR + "10.0", start({"ppo.learning_rate": 10.0})),
    ui("start-lr-nan", LR + "nan", start({"ppo.learning_rate": float("nan")})),
    ui("start-steps-zero", STEPS + "0", start({"ppo.steps": 0})),
    ui("start-steps-above-cap", STEPS + str(MAX_STEPS + 1), start({"ppo.steps": MAX_STEPS + 1})),
    ui("start-steps-absurd", STEPS + r"\d{39}…$", start({"ppo.steps": 1e308})),  # cut, not 309 digits
    ui("start-steps-text", r"ppo\.steps: expected a whole number, got 'ten'", start({"ppo.steps": "ten"})),
    ui("start-batch-numeric-text", r"ppo\.batch_size: expected a whole number, got '8' \(text\)",
       start({"ppo.batch_size": "8"})),
    ui("start-minibatch-not-dividing", DIVIDE, start({"ppo.batch_size": 8, "ppo.mini_batch_size": 3})),
    ui("start-length-range-inverted", LENGTHS,
       start({"generation.output_min_length": 30, "generation.output_max_length": 10})),
    ui("start-batch-zero", rf"batch size must be between 1 and {MAX_BATCH}, got 0", start({"ppo.batch_size": 0})),
    ui("start-unknown-preset", PRESET, start(preset="huge")),
    ui("start-model-path-setting", r"model\.policy: policy '/etc' is not allowed on this app \(DETOX_ALLOWED_MODELS",
       start({"model.policy": "/etc"})),
    ui("start-setting-unknown", r"the dashboard cannot change model\.lora_r", start({"model.lora_r": 4})),
    ui("start-processes-zero", PROCESSES + "0", start(processes=0)),
    ui("start-processes-above-gpus", GPUS, start(processes=more_gpus_than_here)),
    ui("start-kl-alert-nan", r"the KL alert level must be a positive number, got nan",
       lambda h, w: h.train.start("tiny", {}, kl_max=float("nan"))),
    ui("start-kl-alert-negative", r"the KL alert level must be a positive number, got -5",
       lambda h, w: h.train.start("tiny", {}, kl_max=-5)),
    ui("stop-nothing-running", r"no run is in progress", lambda h, w: h.train.stop(None)),
    # Compare tab: CompareHandlers.generate, the Generate button
    ui("compare-run-traversal", TRAVERSAL, compare(run="../../etc")),
    ui("compare-absent-run", r"no run 'nope' in ", compare(run="nope")),
    ui("compare-absent-checkpoint", NO_CKPT, compare(checkpoint="step-99")),
    ui("compare-run-without-checkpoint", NO_CKPTS, compare(run="{bare}")),
    ui("compare-empty-dialogue", r"the dialogue is empty: paste a dialogue first",
       compare(source="Paste a dialogue", dialogue=" \n\t ")),
    ui("compare-1mb-dialogue", "the dialogue is " + LONG, compare(source="Paste a dialogue", dialogue=MB)),
    ui("compare-surrogate-dialogue", "the dialogue is " + NOT_UTF8,
       compare(source="Paste a dialogue", dialogue=SURROGATE)),
    ui("compare-n-zero", r"the number of dialogues must be between 1 and 256 \(a whole number\), got 0",
       compare(n=0)),
    ui("compare-seed-negative", r"the sampling seed must be between 0 and 4,294,967,295", compare(seed=-1)),
    # Evaluate tab: EvaluateHandlers.evaluate, the Evaluate button
    ui("evaluate-run-without-checkpoint", NO_CKPTS, evaluate(run="{bare}", checkpoint="")),
    ui("evaluate-absent-checkpoint", NO_CKPT, evaluate(checkpoint="step-99")),
    ui("evaluate-run-traversal", TRAVERSAL, evaluate(run="../../etc")),
    ui("evaluate-samples-text", r"samples must be between 1 and 5,000 \(a whole number\), got 'ten'",
       evaluate(samples="ten")),
    ui("evaluate-unknown-data", r"unknown data 'wiki': use test, stress, held-out", evaluate(data="wiki")),
    # Reward tab: RewardHandlers.score_view, the Score button
    ui("score-empty", r"the text is empty: type a text to score", score("   ")),
    ui("score-1mb", "the text is " + LONG, score(MB)),
    ui("score-surrogate", "the text is " + NOT_UTF8, score(SURROGATE)),
    ui("score-unknown-preset", r"unknown preset 'huge'; choose one of", score("hello", preset="huge")),

    # The API, through gradio_client
    api("start-lr-negative", LR + "-1", "/start_run", preset="tiny", learning_rate=-1.0),
    api("start-lr-huge", LR + "1000000", "/start_run", preset="tiny", learning_rate=1e6),
    api("start-lr-numeric-text", r"ppo\.learning_rate: expected a number, got '1e-4' \(text\)", "/start_run",
        preset="tiny", learning_rate="1e-4"),
    api("start-steps-zero", STEPS + "0", "/start_run", preset="tiny", steps=0),
    api("start-steps-above-cap", STEPS + str(MAX_STEPS + 1), "/start_run", preset="tiny", steps=MAX_STEPS + 1),
    api("start-steps-absurd", STEPS + r"\d{39}…$", "/start_run", preset="tiny", steps=1e308),
    api("start-steps-text", r"ppo\.steps: expected a whole number, got 'ten'", "/start_run", preset="tiny",
        steps="ten"),
    api("start-steps-numeric-text", r"ppo\.steps: expected a whole number, got '20' \(text\)", "/start_run",
        preset="tiny", steps="20"),
    api("start-batch-numeric-text", r"ppo\.batch_size: expected a whole number, got '8' \(text\)", "/start_run",
        preset="tiny", settings={"ppo.batch_size": "8"}),
    api("start-minibatch-not-dividing", DIVIDE, "/start_run", preset="tiny",
        settings={"ppo.batch_size": 8, "ppo.mini_batch_size": 3}),
    api("start-length-range-inverted", LENGTHS, "/start_run", preset="tiny",
        settings={"generation.output_min_length": 30, "generation.output_max_length": 10}),
    api("start-unknown-preset", PRESET, "/start_run", preset="huge"),
    api("start-preset-none", r"unknown preset 'None'", "/start_run", preset=None),
    api("start-batch-above-max", rf"batch size must be between 1 and {MAX_BATCH}, got {MAX_BATCH + 1}",
        "/start_run", preset="tiny", settings={"ppo.batch_size": MAX_BATCH + 1}),
    api("start-seed-negative", r"seed must be in \[0, 2\^32\), got -1", "/start_run", preset="tiny",
        settings={"ppo.seed": -1}),
    api("start-reward-input-unknown", r"reward input must be one of response, query\+response, got 'both'",
        "/start_run", preset="tiny", settings={"ppo.reward_input": "both"}),
    api("start-unknown-setting", r"the dashboard cannot change ppo\.nope", "/start_run", preset="tiny",
        settings={"ppo.nope": 1}),
    api("start-settings-not-an-object", r"settings must be an object like .*, got str", "/start_run",
        preset="tiny", settings="ppo.steps=3"),
    api("start-processes-zero", PROCESSES + "0", "/start_run", preset="tiny", processes=0),
    api("start-processes-text", PROCESSES + "'two'", "/start_run", preset="tiny", processes="two"),
    api("start-processes-above-gpus", GPUS, "/start_run", preset="tiny", processes=more_gpus_than_here),
    # Found by fuzzing the API with values of the wrong type.
    api("start-preset-a-list", r"unknown preset '\[\]'", "/start_run", preset=[]),
    api("start-preset-1mb", r"unknown preset 'x{39}…'; choose one of", "/start_run", preset="x" * 2**20),
    api("start-steps-true", r"ppo\.steps: expected a whole number, got true", "/start_run", preset="tiny",
        steps=True),
    api("start-switch-a-number", r"ppo\.adap_kl_ctrl: expected true or false, got 5", "/start_run", preset="tiny",
        settings={"ppo.adap_kl_ctrl": 5}),
    api("start-batch-a-list", r"ppo\.batch_size: expected a whole number, got \[8\]", "/start_run",
        preset="tiny", settings={"ppo.batch_size": [8]}),
    api("start-auto-stop-text", r"auto-stop must be true or false, got abc", "/start_run", preset="tiny",
        auto_stop="abc"),
    api("start-setting-named-nothing", r"the dashboard cannot change ''; it can change", "/start_run",
        preset="tiny", settings={"": 1}),
    api("start-steps-given-twice", r"ppo\.steps is given twice, 3 and 5 in settings", "/start_run", preset="tiny",
        steps=3, settings={"ppo.steps": 5}),
    api("score-preset-a-list", r"unknown preset '\[\]'", "/score_text", "hello", []),
    api("compare-checkpoint-not-text", r"invalid checkpoint name 'False'", "/compare", "{run}", False),
    http("start-processes-infinite", PROCESSES + "inf", "/start_run", "tiny", None, None, None, False,
         float("inf")),
    http("start-lr-nan", LR + "nan", "/start_run", "tiny", None, float("nan"), None, False, 1),
    api("stop-nothing-running", r"no run is in progress", "/stop_run"),
    api("stop-absent-run", r"no run 'nope' in ", "/stop_run", "nope"),
    api("stop-run-traversal", TRAVERSAL, "/stop_run", "../../etc"),
    api("status-run-traversal", TRAVERSAL, "/run_status", "../../etc"),
    api("status-absent-run", r"no run 'nope' in ", "/run_status", "nope"),
    api("compare-run-traversal", TRAVERSAL, "/compare", "../../etc"),
    api("compare-absent-run", r"no run 'nope' in ", "/compare", "nope"),
    api("compare-absent-checkpoint", NO_CKPT, "/compare", "{run}", "step-99"),
    api("compare-checkpoint-traversal", r"invalid checkpoint name '\.\./final': use 'final' or 'step-N'",
        "/compare", "{run}", "../final"),
    api("compare-run-without-checkpoint", NO_CKPTS, "/compare", "{bare}"),
    api("compare-run-whose-model-moved", r"model\.policy: no such folder .*moved-away", "/compare", "{moved}"),
    api("compare-unknown-source", r"unknown dialogue source 'wiki': use test, stress, held-out, paste", "/compare", "{run}",
        source="wiki"),
    api("compare-n-zero", r"the number of dialogues must be between 1 and 256 \(a whole number\), got 0",
        "/compare", "{run}", n=0),
    api("compare-n-10000", r"the number of dialogues must be between 1 and 256 \(a whole number\), got 10000",
        "/compare", "{run}", n=10_000),
    api("compare-n-text", r"the number of dialogues must be between 1 and 256 \(a whole number\), got 'ten'",
        "/compare", "{run}", n="ten"),
    api("compare-empty-dialogue", r"the dialogue is empty: paste a dialogue first", "/compare", "{run}",
        source="paste", dialogue=""),
    api("compare-1mb-dialogue", "the dialogue is " + LONG, "/compare", "{run}", source="paste", dialogue=MB),
    api("score-empty", r"the text is empty: type a text to score", "/score_text", ""),
    api("score-none", r"the text is empty: type a text to score", "/score_text", None),
    api("score-1mb", "the text is " + LONG, "/score_text", MB),
    api("score-unknown-preset", r"unknown preset 'huge'; choose one of", "/score_text", "hello", preset="huge"),
    # The API through plain HTTP: what gradio_client cannot send
    http("score-surrogate", "the text is " + NOT_UTF8, "/score_text", SURROGATE, ""),
    http("compare-surrogate", "the dialogue is " + NOT_UTF8, "/compare", "{run}", "", "paste", 1, SURROGATE, 0),

    # The CLI: python -m engine.train --preset tiny --steps 2 --runs-dir RUNS ...
    cli("train-lr-negative", LR + "-0.0001", "engine.train", "--set", "ppo.learning_rate=-1e-4"),
    cli("train-lr-huge", LR + "1000000", "engine.train", "--set", "ppo.learning_rate=1e6"),
    cli("train-lr-nan", LR + "nan", "engine.train", "--set", "ppo.learning_rate=nan"),
    cli("train-steps-zero", STEPS + "0", "engine.train", "--steps", "0"),
    cli("train-steps-above-cap", STEPS + str(MAX_STEPS + 1), "engine.train", "--steps", str(MAX_STEPS + 1)),
    cli("train-steps-text", r"argument --steps: invalid int value: 'ten'", "engine.train", "--steps", "ten"),
    cli("train-minibatch-not-dividing", DIVIDE, "engine.train", "--set", "ppo.batch_size=8", "--set",
        "ppo.mini_batch_size=3"),
    cli("train-length-range-inverted", LENGTHS, "engine.train", "--set", "generation.output_min_length=30",
        "--set", "generation.output_max_length=10"),
    cli("train-unknown-preset", PRESET, "engine.train", "--preset", "huge"),
    cli("train-unknown-setting", r"unknown setting 'ppo\.nope'; 'ppo' has: ppo\.algorithm, ppo\.steps", "engine.train",
        "--set", "ppo.nope=1"),
    cli("train-set-without-value", r"--set expects key=value, got 'ppo\.steps'", "engine.train",
        "--set", "ppo.steps"),
    cli("train-policy-missing", r"model\.policy: no such folder /nonexistent/policy", "engine.train",
        "--set", "model.policy=/nonexistent/policy"),
    cli("train-policy-without-config", r"model\.policy: .*no-config has no config\.json", "engine.train",
        "--set", "model.policy={files}/no-config"),
    cli("train-policy-is-a-classifier", r"model\.policy: .*holds a roberta model \(RobertaForSequence"
        r"Classification\); the policy must be a sequence-to-sequence model", "engine.train",
        "--set", "model.policy={tiny}/reward"),
    cli("train-reward-is-a-seq2seq", r"model\.reward_model: .*holds a t5 model .*the reward model must be a "
        r"sequence classifier", "engine.train", "--set", "model.reward_model={tiny}/policy"),
    cli("train-reward-weights-cut-short", r"model\.reward_model: cannot read the weights .*reward-cut-short/model\."
        r"safetensors: the file is cut short: its header describes [\d,]+ bytes of weights but it holds [\d,]+ "
        r"\(an interrupted download or copy\?\)", "engine.train", "--set", "model.reward_model={files}/reward-cut-short"),
    cli("train-adapter-other-modules", r"model\.summary_adapter: the adapter .*adapter-other-base was made for "
        r"'facebook/bart-base': its target modules q_proj, v_proj are not in the policy", "engine.train",
        "--set", "model.summary_adapter={files}/adapter-other-base"),
    cli("train-adapter-other-dims", r"model\.summary_adapter: the adapter .*adapter-other-dims was made for "
        r"'google/flan-t5-wider' and does not fit the policy .*: .*SelfAttention\.q takes 64 inputs in the "
        r"policy, 128 in the adapter", "engine.train", "--set", "model.summary_adapter={files}/adapter-other-dims"),
    cli("train-adapter-is-a-model", r"model\.summary_adapter: .*reward has no adapter_config\.json",
        "engine.train", "--set", "model.summary_adapter={tiny}/reward"),
    cli("train-lora-target-unknown", r"model\.lora_target_modules: query names no module of the policy",
        "engine.train", "--set", "model.lora_target_modules=q,query"),
    cli("train-data-not-utf8", r"data\.dataset: cannot read .*not-utf8\.jsonl: it is not valid UTF-8 text "
        r"\(byte 0xe9 at offset 28\)", "engine.train", "--set", "data.dataset={files}/not-utf8.jsonl"),
    cli("train-data-1mb-dialogues", r"only 0 of the 2 dialogue\(s\) .* \(2 too long, 0 too short\)",
        "engine.train", "--set", "data.dataset={files}/huge.jsonl"),
    cli("train-data-missing", r"dataset file /nonexistent/data\.jsonl does not exist", "engine.train",
        "--set", "data.dataset=/nonexistent/data.jsonl"),
    cli("train-data-a-device", r"data\.dataset: dataset file /dev/zero is not a regular file", "engine.train",
        "--set", "data.dataset=/dev/zero"),
    cli("train-seed-negative", r"seed must be in \[0, 2\^32\), got -1", "engine.train", "--set", "ppo.seed=-1"),
    # python -m engine.evaluate RUN ... --runs-dir RUNS
    cli("evaluate-run-traversal", ETC_NOT_A_RUN, "engine.evaluate", ETC_FROM_ROOT),
    cli("train-eval-prompts-missing", r"run\.eval_prompts: dataset file /nonexistent/held-out\.jsonl does not exist",
        "engine.train", "--set", "run.eval_every=2", "--set", "run.eval_prompts=/nonexistent/held-out.jsonl"),
    cli("train-eval-prompts-a-device", r"run\.eval_prompts: dataset file /dev/zero is not a regular file",
        "engine.train", "--set", "run.eval_every=2", "--set", "run.eval_prompts=/dev/zero"),
    cli("evaluate-absent-run", r"no run 'nope' in ", "engine.evaluate", "nope"),
    cli("evaluate-samples-per-prompt-zero", r"--samples-per-prompt must be between 1 and 100, got 0",
        "engine.evaluate", "{run}", "--samples-per-prompt", "0"),
    cli("evaluate-absent-checkpoint", NO_CKPT, "engine.evaluate", "{run}", "--checkpoint", "step-99"),
    cli("evaluate-run-without-checkpoint", NO_CKPTS, "engine.evaluate", "{bare}"),
    cli("evaluate-run-whose-model-moved", r"model\.policy: no such folder .*moved-away", "engine.evaluate",
        "{moved}"),
    cli("evaluate-samples-zero", r"--samples must be between 1 and 5000, got 0", "engine.evaluate", "{run}",
        "--samples", "0"),
    cli("evaluate-seed-negative", r"--seed must be between 0 and 2\^32 - 1, got -1", "engine.evaluate", "{run}",
        "--seed=-1"),
    cli("evaluate-data-not-utf8", r"not-utf8\.jsonl: it is not valid UTF-8 text", "engine.evaluate", "{run}",
        "--data", "{files}/not-utf8.jsonl"),
    cli("evaluate-data-1mb-dialogues", r"no dialogues to evaluate in .*huge\.jsonl': none has 200 < length "
        r"<= 1000 characters", "engine.evaluate", "{run}", "--data", "{files}/huge.jsonl"),
    # python -m engine.runs show RUN --runs-dir RUNS
    cli("runs-show-traversal", ETC_NOT_A_RUN, "engine.runs", "show", ETC_FROM_ROOT),
    cli("runs-show-absent-run", r"no run 'nope' in ", "engine.runs", "show", "nope"),
]


@pytest.mark.parametrize("door, call, expect", ROWS)
def test_bad_input_is_refused_in_words_and_changes_nothing(door, call, expect, world, request):
    before = snapshot(world.runs)
    message = DOORS[door](call, world, request)
    assert re.search(expect, message), f"the message does not say {expect!r}:\n{message[:2000]}"
    assert "Traceback" not in message
    assert snapshot(world.runs) == before, "the runs folder changed"


def test_the_table_covers_every_door_and_the_issue_list():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    for door in ("ui-", "api-", "http-", "cli-"):
        assert sum(i.startswith(door) for i in ids) >= 2, door
    for case in ("lr-negative", "lr-huge", "steps-zero", "steps-above-cap", "minibatch-not-dividing",
                 "length-range-inverted", "unknown-preset", "policy-missing", "policy-is-a-classifier",
                 "adapter-other-dims", "empty-dialogue", "1mb-dialogue", "surrogate", "not-utf8",
                 "run-traversal", "absent-run", "absent-checkpoint"):
        assert any(case in i for i in ids), case


@pytest.mark.slow
def test_a_dashboard_run_with_a_missing_model_fails_at_once_and_says_why(tmp_path):
    """The dashboard makes the run folder before the trainer starts: the preflight's refusal goes
    into its status, where the Train tab shows it, instead of a bare exit code."""
    runs_dir = tmp_path / "runs"
    cfg = load_preset("tiny")
    cfg.model.policy = str(tmp_path / "nowhere")
    run_dir = runs.create_run(runs_dir, cfg.to_dict(), "tiny")
    proc = subprocess.run([sys.executable, "-m", "engine.train", "--run-dir", str(run_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    status = runs.read_status(run_dir)
    assert status["state"] == "failed"
    assert f"model.policy: no such folder {tmp_path / 'nowhere'}" in status["error"]
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([runs.CONFIG_FILE, runs.STATUS_FILE])
