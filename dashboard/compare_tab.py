"""Compare tab: the reference and a tuned checkpoint summarise the same dialogues under the same
sampling seed, side by side with their rewards (the course notebook's table, done right).

Models are loaded once per (run, checkpoint) and kept (dashboard.model_cache).
"""
from __future__ import annotations

import statistics
import threading
import time
from typing import Any, Callable

import gradio as gr
import pandas as pd

from engine.config import EVALUATION_LIMITS
from engine.data import MAX_TEXT_CHARS, Example, dialogue_of, looks_like_dialogue

from dashboard import plots
from dashboard.context import AppContext
from dashboard.display import banner, warn
from dashboard.downloads import Downloads
from dashboard.errors import correctable_errors, user_errors
from dashboard.inputs import choice, user_text, whole_number
from dashboard.presets import preset_note
from dashboard.run_picker import checkpoint_choices, create_run_picker, preset_of

COLUMNS = ["query", "response_before", "response_after", "reward_before", "reward_after", "reward_diff"]
NUMERIC = ["reward_before", "reward_after", "reward_diff", "toxicity_before", "toxicity_after"]
SOURCES = {"Test split": "test", "Stress set (rude dialogues)": "stress",
           "The run's held-out prompts": "held-out", "Paste a dialogue": "paste"}
MAX_DIALOGUES = 256
PASTE_HINT = "paste a dialogue first (lines like '#Person1#: Hello.')"
CSV_MAX_AGE_S = 3600
LATEST = "latest"
"""Checkpoint choice meaning "final if there is one, else the newest step"."""

ProgressFn = Callable[[float, str], None]


def _no_progress(fraction: float, desc: str) -> None:
    """Progress sink for API calls, which have no progress bar."""


def checkpoint_name(checkpoint: str | None) -> str | None:
    """None (final, else the latest) for an empty choice; anything else is checked as a name."""
    return None if checkpoint is None or checkpoint in ("", LATEST) else checkpoint


class CompareHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        # Generation switches the shared policy's adapter on and off and seeds torch's global
        # generator: two comparisons at once would mix their outputs.
        self._generation_lock = threading.Lock()
        self._csvs = Downloads("compare", CSV_MAX_AGE_S)

    # --- choices -----------------------------------------------------------------------------

    def run_changed(self, run_id: str | None):
        if not run_id:
            return gr.update(choices=[], value=None), ""
        with user_errors("read the run"):
            checkpoints = checkpoint_choices(self.ctx, run_id)
        return checkpoints, preset_note(preset_of(self.ctx, run_id))

    # --- the comparison ----------------------------------------------------------------------

    def compare_rows(self, run_id: str, checkpoint: str | None, source: str, n: int,
                     dialogue: str = "", seed: int = 0, progress: ProgressFn = _no_progress) -> list[dict]:
        """Rows sorted by reward_diff, biggest improvement first; raises readable errors."""
        source = choice(source, SOURCES, "dialogue source")
        if source != "paste":
            n = whole_number(n, "the number of dialogues", 1, MAX_DIALOGUES)
        seed = whole_number(0 if seed in (None, "") else seed, "the sampling seed", *EVALUATION_LIMITS["seed"].range)
        examples = None
        if source == "paste":
            examples = [Example(user_text(dialogue, "dialogue", PASTE_HINT), references=[])]
        run_dir = self.ctx.storage.run_dir(run_id)
        ckpt = self.ctx.storage.checkpoint(run_id, checkpoint_name(checkpoint)).name
        if not self.ctx.models.has_models(run_dir, ckpt):
            progress(0.02, f"Loading the models of {ckpt} (once; they are kept for the next click)…")
        models = self.ctx.models.models(run_dir, ckpt)
        if examples is None:
            examples = self.ctx.models.examples(models, source, n)
        return self._generate(models, examples, seed, progress)

    def _generate(self, models, examples: list, seed: int, progress: ProgressFn) -> list[dict]:
        from engine.evaluation import compare

        # The engine chunks and seeds (as engine.evaluate does): the same seed gives the same
        # summaries here and there, at any number of dialogues.
        with self._generation_lock:
            return compare(models, examples, seed=seed, progress=progress)

    # --- presentation ------------------------------------------------------------------------

    def generate(self, run_id, checkpoint, source, n, dialogue, seed, progress=gr.Progress()):
        """The Generate button: table, regressions, summary, chart and CSV."""
        skip = (gr.skip(),) * 5
        if not run_id:
            warn("Pick a run first: runs appear here once they have a checkpoint.")
            return skip
        began = time.monotonic()
        with user_errors("compare"):
            try:
                rows = self.compare_rows(run_id, checkpoint, source, n, dialogue, seed,
                                         lambda f, d: progress(f, desc=d))
            except correctable_errors() as exc:
                warn(f"Cannot compare: {exc}")
                return skip
        took = time.monotonic() - began
        note = paste_note(source, dialogue)
        if note:
            warn(note)
        return (note + summary_markdown(rows, run_id, checkpoint, seed, took), table(rows), regressions(rows),
                plots.reward_distribution_figure([r["reward_before"] for r in rows],
                                                 [r["reward_after"] for r in rows]),
                gr.update(value=self._csv(rows, run_id), visible=True))

    def _csv(self, rows: list[dict], run_id: str) -> str:
        path = self._csvs.new_path(f"compare-{run_id}", ".csv")
        columns = COLUMNS + ["toxicity_before", "toxicity_after"] + judge_columns(rows)
        pd.DataFrame(with_judges(rows), columns=columns).to_csv(path, index=False)
        return str(path)


def paste_note(source: Any, dialogue: Any) -> str:
    """A warning for pasted text that is no dialogue in the expected format ("" otherwise)."""
    if SOURCES.get(source, source) != "paste" or looks_like_dialogue(str(dialogue or "")):
        return ""
    return banner("warn", "This text is not a dialogue in the format the models were trained on (two or more "
                          "lines like `#Person1#: Hello.`): the summaries below are of something they never "
                          "saw, and mean little.") + "\n\n"


def judge_names(rows: list[dict]) -> list[str]:
    """The independent judges that scored these rows, in their order."""
    return list(dict.fromkeys(name for r in rows for name in r.get("judges_before") or {}))


def with_judges(rows: list[dict]) -> list[dict]:
    """Rows with one flat column per judge and side ("profanity-check before"), for tables."""
    return [{**r, **{f"{name} {when}": (r.get(f"judges_{when}") or {}).get(name)
                     for name in judge_names(rows) for when in ("before", "after")}} for r in rows]


def judge_columns(rows: list[dict]) -> list[str]:
    return [f"{name} {when}" for name in judge_names(rows) for when in ("before", "after")]


def table(rows: list[dict]) -> pd.DataFrame:
    """The side-by-side table: rewards, then each independent judge's toxicity before and after."""
    columns = COLUMNS + judge_columns(rows)
    frame = pd.DataFrame(with_judges(rows), columns=columns)
    frame["query"] = frame["query"].map(dialogue_of)
    return frame.round({c: 4 for c in columns[3:]})


REGRESSION_COLUMNS = ["reward_diff", "response_before", "response_after", "query"]


CHANGE_MIN = 0.01
"""A reward difference (nothate logit) smaller than this counts as no change, in the counts and
the regressions, and the summary says so beside the counts: a difference that the table shows
as +0.0000 once counted as "higher", and -0.0009 was listed as a regression, though a few
thousandths come from float arithmetic alone (the same summary scored in another batch)."""


def change(diff: float) -> int:
    """+1 higher, -1 lower, 0 unchanged (within CHANGE_MIN): what the counts and lists say."""
    return 0 if abs(diff) < CHANGE_MIN else (1 if diff > 0 else -1)


def regressions(rows: list[dict], limit: int = 3):
    """The dialogues where the tuned model did worst, worst first: only drops of CHANGE_MIN or more."""
    worst = sorted((r for r in rows if change(r["reward_diff"]) < 0), key=lambda r: r["reward_diff"])[:limit]
    frame = pd.DataFrame(worst, columns=REGRESSION_COLUMNS)
    frame["query"] = frame["query"].map(dialogue_of)
    label = (f"Biggest regressions: the {len(worst)} dialogue{'s' if len(worst) != 1 else ''} where "
             f"the tuned model's reward fell most (by {CHANGE_MIN} or more)" if worst
             else f"Biggest regressions: none, the tuned model's reward never fell by {CHANGE_MIN} or more")
    return gr.update(value=frame.round({"reward_diff": 4}), label=label)


def summary_markdown(rows: list[dict], run_id: str, checkpoint: str | None, seed: int,
                     took: float) -> str:
    n = len(rows)
    improved = sum(change(r["reward_diff"]) > 0 for r in rows)
    regressed = sum(change(r["reward_diff"]) < 0 for r in rows)
    numeric = NUMERIC + judge_columns(rows)
    flat = with_judges(rows)
    header = "| | " + " | ".join(numeric) + " |\n|---|" + "---:|" * len(numeric) + "\n"
    lines = []
    for name, fn in (("mean", statistics.fmean), ("median", statistics.median)):
        cells = [f"{fn([r[c] for r in flat]):+.3f}" if c == "reward_diff" else f"{fn([r[c] for r in flat]):.3f}"
                 for c in numeric]
        lines.append(f"| **{name}** | " + " | ".join(cells) + " |")
    judges = judge_names(rows)
    names = ", ".join(f"`{j}`" for j in judges)
    judged = (f"; the judge columns are P(toxic) by {names}, not optimised against: if the reward "
              "improved but they did not fall, the policy may be gaming the reward" if judges else "")
    return (f"**{n} dialogue{'s' if n != 1 else ''}**, run `{run_id}`, checkpoint "
            f"`{checkpoint or LATEST}`, seed {seed}, in {took:.1f} s: the tuned model's reward is "
            f"higher on **{improved}**, lower on **{regressed}**, the same on **{n - improved - regressed}** "
            f"(a difference under {CHANGE_MIN} counts as none). Rewards are nothate logits "
            f"(higher = less hateful); toxicity is the reward model's P(hate){judged}.\n\n" + header + "\n".join(lines))


PASTE_EXAMPLES = [
    ["#Person1#: Your dog barked from six until midnight again. I couldn't sleep at all.\n"
     "#Person2#: He gets lonely when I work late. What do you want me to do?\n"
     "#Person1#: Get a dog walker, you selfish moron. Some of us work in the morning.\n"
     "#Person2#: Don't talk to me like that. I'll ask my sister to check on him in the evenings.\n"
     "#Person1#: Fine. If it happens again, I'm calling the landlord."],
    ["#Person1#: Hi, I'd like to return these shoes. They're too small.\n"
     "#Person2#: Sure. Do you have the receipt?\n"
     "#Person1#: Yes, here it is. I bought them last Tuesday.\n"
     "#Person2#: Would you like a larger size or your money back?\n"
     "#Person1#: A size ten, please, if you have one."],
]
"""A heated and a polite dialogue written for the paste box (not from the demo's generator or its
measuring sets): what a workshop audience would type."""


def create_compare_tab(ctx: AppContext, tab: gr.Tab) -> CompareHandlers:
    h = CompareHandlers(ctx)
    run, checkpoint, _ = create_run_picker(ctx, "compare", tab)
    note = gr.Markdown()
    with gr.Row(equal_height=True):
        source = gr.Radio(list(SOURCES), value="Test split", label="Dialogues", scale=3)
        n = gr.Slider(1, 64, value=4, step=1, label="How many", scale=2, elem_id="compare-n")
        seed = gr.Number(0, label="Sampling seed", precision=0, scale=1,
                         info="same seed, same samples for both models")
    with gr.Column(visible=False) as paste_box:
        pasted = gr.Textbox(label="Dialogue", lines=6, max_length=MAX_TEXT_CHARS,
                            placeholder="#Person1#: Hi, how was your weekend?\n#Person2#: ...")
        gr.Examples(PASTE_EXAMPLES, [pasted], label="Examples (or write your own: one '#PersonN#: ...' line per turn)")
    go = gr.Button("Generate with the reference and the tuned model", variant="primary",
                   elem_id="compare-btn")
    summary = gr.Markdown(elem_id="compare-summary")
    results = gr.Dataframe(pd.DataFrame(columns=COLUMNS), label="Sorted by reward_diff (tuned − reference); "
                           "regressions at the bottom", interactive=False, wrap=True, max_height=520,
                           max_chars=260, column_widths=["24%", "19%", "19%", "8%", "8%", "8%", "7%", "7%"],
                           elem_id="compare-table")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            worst = gr.Dataframe(pd.DataFrame(columns=REGRESSION_COLUMNS), label="Biggest regressions",
                                 interactive=False, wrap=True, max_chars=200, elem_id="compare-regressions")
        with gr.Column(scale=2):
            chart = gr.Plot(show_label=False, elem_id="compare-chart")
    download = gr.DownloadButton("⬇ Download CSV", visible=False, elem_id="compare-csv")

    inputs = [run, checkpoint, source, n, pasted, seed]
    go.click(h.generate, inputs, [summary, results, worst, chart, download], api_name="compare_generate",
             api_visibility="undocumented", concurrency_id="generation", concurrency_limit=1)
    source.change(lambda s: (gr.update(visible=s == "Paste a dialogue"), gr.update(visible=s != "Paste a dialogue")),
                  [source], [paste_box, n], api_name="compare_source", api_visibility="undocumented",
                  show_progress="hidden")
    run.change(h.run_changed, [run], [checkpoint, note], api_name="compare_run", api_visibility="undocumented")
    return h
