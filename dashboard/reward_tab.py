"""Reward tab: type a text, see what the reward model thinks of it.

Reward = the `nothate` logit, toxicity = P(hate): exactly what PPO optimises and what the
evaluation reports, picked by label name (never by position, the notebook's bug).
"""
from __future__ import annotations

import math

import gradio as gr

from engine.config import PRESETS as ENGINE_PRESETS, shown
from engine.data import MAX_TEXT_CHARS

from dashboard import hub
from dashboard.context import AppContext
from dashboard.display import banner, warn
from dashboard.errors import correctable_errors, user_errors
from dashboard.inputs import UserInputError, user_text
from dashboard.presets import PRESET_CHOICES

EXAMPLES = [
    "The customer asked for a refund and the manager agreed to send it by Friday.",
    "Thank you so much, you have been really helpful today.",
    "You are a useless idiot and everybody is sick of you.",
    "#Person1# calls #Person2# stupid and tells them to move their car.",
]
REWARD_NOTES = {
    "demo": ("The **demo** preset's classifier is a toy trained on this project's synthetic rude and "
             "polite sentences and summaries: it knows the insults of that corpus (idiot, clown, "
             "shut up, ...), not hate speech in general. Texts unlike its corpus get scores that mean little."),
    "tiny": ("The **tiny** preset's classifier is a toy trained on a few rude and polite "
             "lines of this project: it is not a hate-speech model, and its scores mean "
             "nothing beyond the tiny preset."),
}


class RewardHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def default_preset(self) -> str:
        return hub.default_preset(self.ctx.preset)

    def score(self, text: str, preset: str | None = None) -> dict[str, float]:
        """{"nothate_logit", "hate_logit", "toxicity"} of one text; UserInputError for a text or a
        preset that cannot be scored (empty, too long, not UTF-8, unknown)."""
        text = user_text(text, "text", "type a text to score")
        preset = self.default_preset() if preset is None or preset == "" else preset
        if not isinstance(preset, str) or preset not in ENGINE_PRESETS:
            raise UserInputError(f"unknown preset '{shown(preset)}'; choose one of: {', '.join(ENGINE_PRESETS)}")
        scores = self.ctx.models.reward(preset).score([text])
        return {"nothate_logit": float(scores.logit("nothate")[0]), "hate_logit": float(scores.logit("hate")[0]),
                "toxicity": float(scores.toxicity[0])}

    def score_view(self, text: str, preset: str):
        with user_errors("score the text"):
            try:
                s = self.score(text, preset)
            except correctable_errors() as exc:
                warn(f"Cannot score: {exc}")
                return gr.skip(), gr.skip()
        p_hate = s["toxicity"]
        label = {"nothate": 1.0 - p_hate, "hate": p_hate}
        table = (
            "| | nothate | hate |\n|---|---:|---:|\n"
            f"| logit | **{s['nothate_logit']:+.3f}** | {s['hate_logit']:+.3f} |\n"
            f"| probability | {1.0 - p_hate:.4f} | **{p_hate:.4f}** |\n\n"
            f"**Reward** (what PPO maximises) = nothate logit = **{s['nothate_logit']:+.3f}** · "
            f"**toxicity** = P(hate) = **{p_hate:.4f}** · logit margin nothate − hate = "
            f"{s['nothate_logit'] - s['hate_logit']:+.3f} (so P(hate) = σ(−margin) = "
            f"{1 / (1 + math.exp(s['nothate_logit'] - s['hate_logit'])):.4f})")
        return label, table

    def preset_changed(self, preset: str) -> str:
        notes = [REWARD_NOTES.get(preset, ""), hub.hub_banner(preset)]
        return "\n\n".join(banner("info" if i == 0 else "warn", n) for i, n in enumerate(notes) if n)


def create_reward_tab(ctx: AppContext, tab: gr.Tab) -> RewardHandlers:
    h = RewardHandlers(ctx)
    gr.Markdown("Type any text and see how the reward model scores it: the **nothate** logit is "
                "the reward PPO maximises, and **toxicity** is the probability of **hate**.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            preset = gr.Dropdown(PRESET_CHOICES, value=None, label="Reward model of preset")  # set when opened
            note = gr.Markdown()  # the preset's note, filled in when the tab sets the preset
            text = gr.Textbox(label="Text", lines=5, max_length=MAX_TEXT_CHARS, elem_id="reward-text",
                              placeholder="A summary, an insult, anything…")
            go = gr.Button("Score", variant="primary", elem_id="reward-btn")
            gr.Examples(EXAMPLES, [text], label="Try")
        with gr.Column(scale=2):
            probs = gr.Label(label="Probabilities", num_top_classes=2, elem_id="reward-label")
            table = gr.Markdown(elem_id="reward-table")
    gr.on([go.click, text.submit], h.score_view, [text, preset], [probs, table], api_name="reward_score",
          api_visibility="undocumented", concurrency_id="reward", concurrency_limit=4)
    preset.change(h.preset_changed, [preset], [note], api_name="reward_preset", api_visibility="undocumented")
    # Chosen when the tab is first opened rather than on every page load: a room opening the
    # page at once queues fewer events (see tests/test_load.py).
    tab.select(lambda current: current or h.default_preset(), [preset], [preset], api_name="reward_tab_opened",
               api_visibility="undocumented", concurrency_limit=None, show_progress="hidden")
    return h
