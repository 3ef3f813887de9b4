"""The documented API (`gradio_client` or plain HTTP): small typed functions over the same
handlers the tabs use.

    from gradio_client import Client
    c = Client("http://127.0.0.1:7860/")
    run = c.predict(preset="demo", steps=40, api_name="/start_run")
    c.predict(run["run_id"], api_name="/run_status")
    c.predict(api_name="/stop_run")
    c.predict(run["run_id"], n=4, api_name="/compare")
    c.predict("you are an idiot", api_name="/score_text")
"""
from __future__ import annotations

from typing import Any

import gradio as gr

from engine.config import OFFLINE_PRESET

from dashboard.compare_tab import CompareHandlers
from dashboard.context import AppContext, require_user
from dashboard.errors import user_errors
from dashboard.inputs import UserInputError
from dashboard.reward_tab import RewardHandlers
from dashboard.settings import api_settings, check_gpu_processes


def _plain_errors(action: str):
    return user_errors(action, html_message=False)


def register_api(ctx: AppContext, compare_h: CompareHandlers, reward_h: RewardHandlers) -> None:
    """Add the API endpoints to the Blocks being built."""

    def start_run(preset: str = OFFLINE_PRESET, steps: int | None = None, learning_rate: float | None = None,
                  settings: dict[str, Any] | None = None, auto_stop: bool = False, processes: int = 1,
                  request: gr.Request = None) -> dict[str, Any]:
        """Start a training run (PPO, RLOO or GRPO) in the background; one run at a time.

        `settings` may change any of the Train tab's settings by their config keys, e.g.
        {"ppo.batch_size": 8, "ppo.init_kl_coef": 0.1} or {"ppo.algorithm": "grpo"}. `processes` > 1 trains data-parallel on
        that many GPUs. Returns {run_id, run_dir, command}.
        """
        require_user(ctx, request, "start runs")
        with _plain_errors("start the run"):
            values = api_settings(settings, steps=steps, learning_rate=learning_rate)
            check_gpu_processes(processes)
            started = ctx.runner.start(preset, values, auto_stop, processes=processes)
        return {"run_id": started.run_id, "run_dir": str(started.run_dir), "command": started.command}

    def stop_run(run_id: str = "", request: gr.Request = None) -> dict[str, str]:
        """Stop a run (default: the one in progress); it saves a checkpoint first."""
        require_user(ctx, request, "stop runs")
        with _plain_errors("stop the run"):
            target = run_id or ctx.runner.in_progress() or ""
            message = ctx.runner.stop(target or None)
        return {"run_id": target, "message": message}

    def list_runs() -> list[dict[str, Any]]:
        """Every run, newest first: run_id, preset, state, step, total_steps, checkpoints, ..."""
        with _plain_errors("list the runs"):
            summaries = ctx.storage.list_runs()
        # gradio_client takes any dict with a "path" key for a file to download: rename it.
        return [{("run_dir" if k == "path" else k): v for k, v in s.items()} for s in summaries]

    def run_status(run_id: str = "") -> dict[str, Any]:
        """status.json of a run (default: the one in progress) with its metrics so far, its newest
        held-out evaluation (toxicity by the reward model and each judge, without the summaries),
        health alerts by the run's own alert levels (those it was started with: the Train tab and
        auto-stop use the same), problems found in its files (a corrupt line, say) and the last
        20 lines of its log."""
        with _plain_errors("read the run"):
            run_id = run_id or ctx.runner.in_progress() or ""
            if not run_id:
                raise UserInputError("no run given and none is in progress")
            snap = ctx.storage.snapshot(run_id, samples=0, log_lines=20)
            return {"run_id": run_id, "status": snap.status, "metric_rows": len(snap.metrics),
                    "last_metrics": snap.metrics[-1] if snap.metrics else {},
                    "last_held_out": {k: v for k, v in snap.held_out[-1].items() if k != "samples"}
                    if snap.held_out else {},
                    "checkpoints": snap.checkpoints,
                    "alerts": [a.message for a in snap.alerts],
                    "problems": snap.problems,
                    "log_tail": snap.log_tail}

    def compare(run_id: str, checkpoint: str = "", source: str = "test", n: int = 4,
                dialogue: str = "", seed: int = 0) -> list[dict[str, Any]]:
        """Reference vs tuned summaries of `n` dialogues (source test, stress or held-out: the
        run's run.eval_prompts) or of one pasted `dialogue` (source paste), same seed; rows sorted
        by reward_diff, best first, with the reward model's toxicity and each independent
        judge's (judges_before, judges_after).
        checkpoint: final, step-N, or empty for final-else-latest."""
        with _plain_errors("compare"):
            rows = compare_h.compare_rows(run_id, checkpoint, source, n, dialogue, seed)
        return [{k: r[k] for k in ("query", "response_before", "response_after", "reward_before",
                                   "reward_after", "reward_diff", "toxicity_before", "toxicity_after",
                                   "judges_before", "judges_after")}
                for r in rows]

    def score_text(text: str, preset: str = "") -> dict[str, float]:
        """The reward model's view of `text`: {nothate_logit (the reward), hate_logit,
        toxicity (P(hate))}. preset: whose reward model (default: the app's preset)."""
        with _plain_errors("score the text"):
            return reward_h.score(text, preset)

    gr.api(start_run, api_name="start_run", concurrency_limit=1, concurrency_id="start_run")
    gr.api(stop_run, api_name="stop_run", concurrency_limit=None)
    gr.api(list_runs, api_name="list_runs", concurrency_limit=None)
    gr.api(run_status, api_name="run_status", concurrency_limit=None)
    gr.api(compare, api_name="compare", concurrency_id="generation", concurrency_limit=1)
    gr.api(score_text, api_name="score_text", concurrency_id="reward", concurrency_limit=4)

