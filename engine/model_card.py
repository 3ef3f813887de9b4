"""The model card (README.md with Hub metadata) and the training-curves PNG of an exported run.

`card_text` is pure: every number in it comes from the run's config, status, metrics and
evaluation.json as given, so a test can hold the card against those files. The PNG is drawn
with matplotlib (Agg, no display), small enough for a card: about 50 kB.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import schema
from engine.config import ASSETS, Config, LabelRule
from engine.judges import REWARD_JUDGE, TOXIC
from engine.sources import is_hub_id

CURVES_FILE = "training_curves.png"
TAGS = ["detoxification", "ppo", "rlhf", "summarization", "dialogue-summarization", "t5", "detox-dashboard"]
KNOWN_LICENSES = {
    "google/flan-t5-small": "apache-2.0",
    "google/flan-t5-base": "apache-2.0",
    "google/flan-t5-large": "apache-2.0",
}
"""Licenses of the bases the presets use; for another base the card says to check its own."""


@dataclass
class CardInputs:
    """What the card is written from: the run directory's files, read by engine.export."""
    cfg: Config
    run_id: str
    checkpoint: str
    """'final' or 'step-N': the exported adapter."""
    merged: bool
    status: dict
    metrics: list[dict]
    evaluation: dict | None
    """evaluation.json, or None when the run was never evaluated."""
    held_out: list[dict]
    """eval.jsonl rows (step 0 is the reference)."""


def metadata(cfg: Config, merged: bool) -> dict:
    """The card's YAML header: only facts the Hub can link (Hub ids, a known license).
    `pipeline_tag: summarization` is the Hub's task, for search and the task filter; it is no
    call to make: transformers 5 removed the summarization and text2text-generation pipelines
    (the card's usage section says so and shows `generate`)."""
    meta: dict = {"tags": TAGS + ([] if merged else ["peft", "lora"]),
                  "library_name": "transformers" if merged else "peft",
                  "pipeline_tag": "summarization"}
    if is_hub_id(cfg.model.policy) and not cfg.model.random_init:
        meta["base_model"] = cfg.model.policy
    if is_hub_id(cfg.data.dataset):
        meta["datasets"] = [cfg.data.dataset]
    license_ = KNOWN_LICENSES.get(cfg.model.policy)
    if license_:
        meta["license"] = license_
    return meta


def _source(name: str) -> str:
    """A model or data source as the reader can find it: a Hub link, or the local path (relative
    to detox-dashboard's folder for what it ships in assets/)."""
    if is_hub_id(name):
        return f"[`{name}`](https://huggingface.co/{name})"
    path = Path(name)
    if path.is_absolute() and path.is_relative_to(ASSETS.parent):
        return f"`{path.relative_to(ASSETS.parent)}` (shipped with detox-dashboard)"
    return f"`{name}` (local)"


TOY_NOTES = {
    "demo": "small models trained on the project's own generated dialogues, made to show detox on a CPU "
            "in minutes. Its summaries are not useful outside that demo.",
    "tiny": "random weights for tests of every code path: its summaries are gibberish.",
    "shape-base": "random weights in flan-t5-base's shapes, for benchmarks: its summaries are gibberish.",
}


def _toy_note(cfg: Config) -> str:
    note = TOY_NOTES.get(cfg.preset)
    return f"\n> **A toy.** This run used the offline `{cfg.preset}` preset of detox-dashboard: {note}\n" if note else ""


def title(cfg: Config) -> str:
    if is_hub_id(cfg.model.policy) and not cfg.model.random_init:
        return f"{cfg.model.policy.split('/')[-1]} dialogue summaries, detoxified with PPO"
    return f"detox-dashboard `{cfg.preset}` summarizer, detoxified with PPO"


def _lineage(cfg: Config, merged: bool) -> list[str]:
    m = cfg.model
    lines = ["## What it is", "",
             f"- **Base model:** {_source(m.policy)}."]
    if m.summary_adapter:
        lines.append(f"- **Summary adapter:** {_source(m.summary_adapter)}, merged into the base: "
                     "base + summary adapter is the *reference* (the model before detox).")
    else:
        lines.append("- **Reference:** the base model itself (no summary adapter).")
    lines.append(f"- **Detox LoRA:** r={m.lora_r}, alpha={m.lora_alpha}, on `{', '.join(m.lora_target_modules)}`, "
                 "trained with PPO against the reward model below.")
    if merged:
        lines.append("- **This folder:** base + summary adapter + detox LoRA merged into one "
                     "standalone seq2seq model (safetensors, tokenizer included).")
    else:
        sits_on = "the base with the summary adapter merged in" if m.summary_adapter else "the base model"
        lines.append(f"- **This folder:** the detox LoRA alone (PEFT, safetensors). It sits on {sits_on}, "
                     "not on the bare base. `value_head.safetensors` is PPO's value head "
                     "(Linear(d_model, 1)), kept apart: generation does not use it.")
    rule = LabelRule.parse(m.reward_label)
    toxic = f"one minus P(`{rule.label}`)" if rule.sign > 0 else f"P(`{rule.label}`)"
    lines.append(f"- **Reward model:** {_source(m.reward_model)}; reward = {rule.describe()} "
                 f"(picked by label name), toxicity = {toxic}.")
    return lines


def _usage(cfg: Config, merged: bool) -> list[str]:
    m, g = cfg.model, cfg.generation
    prompt = "'\\nSummarize the following conversation.\\n\\n' + dialogue + '\\n\\nSummary:\\n'"
    if merged:
        load = ["from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
                "",
                'model = AutoModelForSeq2SeqLM.from_pretrained("THIS_FOLDER")',
                'tokenizer = AutoTokenizer.from_pretrained("THIS_FOLDER")']
    else:
        load = ["from peft import PeftModel",
                "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
                "",
                f'base = AutoModelForSeq2SeqLM.from_pretrained("{m.policy}")']
        if m.summary_adapter:
            load.append(f'base = PeftModel.from_pretrained(base, "{m.summary_adapter}").merge_and_unload()')
        load += ['model = PeftModel.from_pretrained(base, "THIS_FOLDER")',
                 f'tokenizer = AutoTokenizer.from_pretrained("{m.tokenizer or m.policy}")']
    code = load + [
        "",
        "dialogue = \"#Person1#: ...\\n#Person2#: ...\"",
        f"inputs = tokenizer({prompt}, return_tensors='pt', truncation=True, max_length={cfg.data.max_prompt_tokens})",
        "# sampled as in training and in the dashboard (its numbers are of sampled summaries)",
        f"out = model.generate(**inputs, do_sample=True, top_k={g.top_k}, top_p={g.top_p}, "
        f"min_length={g.min_length}, max_new_tokens={g.output_max_length - 1})",
        "print(tokenizer.decode(out[0], skip_special_tokens=True))",
    ]
    lines = ["## How to use it", "",
             "Call `generate` as below. `pipeline_tag: summarization` in this card's header is the Hub's task "
             "for search; `pipeline(\"summarization\")` and `pipeline(\"text2text-generation\")` are not the way: "
             "transformers 5 removed both tasks, and on 4.x they would not add the prompt this model was "
             "trained with.", "", "```python", *code, "```", ""]
    lines.append("With `torch.manual_seed(S)` before `generate` and `max_new_tokens=L`, the summary is the one "
                 "the dashboard's tuned model writes for that dialogue with seed S and length L.")
    if merged:
        lines.append("The folder's `generation_config.json` holds these sampling settings, so a bare "
                     "`model.generate(**inputs)` samples the same way; pass `do_sample=False` for greedy summaries.")
    return lines


ALGORITHM_TEXT = {
    "ppo": "PPO (TRL v0.11's classic algorithm: per-token KL-shaped reward, GAE, whitened advantages, "
           "clipped policy and value losses)",
    "rloo": "RLOO (REINFORCE leave-one-out, https://arxiv.org/abs/2402.14740: each summary's reward, less "
            "beta times its KL, against the mean of the other summaries of its dialogue; clipped surrogate, "
            "no value head)",
    "grpo": "GRPO (https://arxiv.org/abs/2402.03300: each summary's reward against its group's mean and "
            "spread; clipped surrogate plus beta times the k3 KL estimate in the loss, no value head)",
}


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _recipe(c: CardInputs) -> list[str]:
    cfg, p = c.cfg, c.cfg.ppo
    algorithm = p.algorithm.upper()
    if p.algorithm == "ppo":
        kl = (f"adaptive from {p.init_kl_coef} towards KL {p.target} (horizon {p.horizon})" if p.adap_kl_ctrl
              else f"fixed at {p.init_kl_coef}")
        numbers = (f"batch {p.batch_size}, minibatch {p.mini_batch_size}, {p.ppo_epochs} epoch(s) per step, "
                   f"learning rate {p.learning_rate:g}, clip {p.cliprange}, value clip {p.cliprange_value}, "
                   f"vf_coef {p.vf_coef}, GAE gamma {p.gamma} lambda {p.lam}, grad norm {p.max_grad_norm}")
    else:
        kl = f"beta {p.beta} (fixed), " + ("in each summary's reward" if p.algorithm == "rloo" else "k3 estimate in the loss")
        numbers = (f"batch {p.batch_size} summaries ({p.samples_per_prompt} per dialogue), minibatch "
                   f"{p.mini_batch_size}, {p.ppo_epochs} epoch(s) per step, learning rate {p.learning_rate:g}, "
                   f"clip {p.cliprange}, grad norm {p.max_grad_norm}")
    steps_done = c.metrics[-1]["step"] if c.metrics else 0
    rows = [
        ("run", f"`{c.run_id}` ({c.status.get('state', 'unknown')}, {steps_done} of {p.steps} {algorithm} steps; "
                f"this export: `{c.checkpoint}`)"),
        ("preset", f"`{cfg.preset}`"),
        ("data", f"{_source(cfg.data.dataset)}, split `{cfg.data.split}`, dialogues of {cfg.data.min_chars} < "
                 f"length <= {cfg.data.max_chars} characters, last {cfg.data.test_fraction:.0%} held out"),
        ("algorithm", f"`{p.algorithm}`"),
        (algorithm, numbers),
        ("KL penalty", kl),
        ("reward input", f"`{p.reward_input}`"),
        ("sampling", f"top_k {cfg.generation.top_k}, top_p {cfg.generation.top_p}, min_length "
                     f"{cfg.generation.min_length}, length drawn from [{cfg.generation.output_min_length}, "
                     f"{cfg.generation.output_max_length})"),
        ("seed", str(p.seed)),
        ("device", str(c.status.get("device", "unknown"))),
    ]
    lines = ["## How it was trained", "",
             f"{ALGORITHM_TEXT[p.algorithm]} with detox-dashboard. The full "
             "resolved config is `detox_config.json` in this folder.", "",
             "| setting | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]
    if c.metrics:
        first, last = c.metrics[0], c.metrics[-1]
        lines.append(f"Reward (mean of {LabelRule.parse(cfg.model.reward_label).describe()} over the step's samples) went from "
                     f"{_or(schema.value(first, schema.REWARD_MEAN), float('nan')):.3f} at step {first['step']} to "
                     f"{_or(schema.value(last, schema.REWARD_MEAN), float('nan')):.3f} at step {last['step']}; the KL "
                     f"to the reference ended at {_or(schema.value(last, schema.KL), float('nan')):.3f} nats per summary.")
        lines += ["", f"![training curves]({CURVES_FILE})"]
    return lines


def _ci(ci) -> str:
    return f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _evaluation(c: CardInputs) -> list[str]:
    e = c.evaluation
    lines = ["## Detox numbers", ""]
    if not e:
        return lines + ["This run was not evaluated. `python -m engine.evaluate RUN` measures toxicity before and "
                        "after by every judge; export again afterwards to put the numbers here."]
    k = e["samples_per_prompt"]
    if e.get("checkpoint") != c.checkpoint:
        lines += [f"> These numbers are of checkpoint `{e.get('checkpoint')}`, not of the exported "
                  f"`{c.checkpoint}`.", ""]
    lines += [f"Before = the reference, after = the tuned model, on the same {e['prompts']} prompts "
              f"({e.get('data', 'test')} data) with {k} sampled summar{'ies' if k > 1 else 'y'} each "
              f"({e['samples']} pairs, same seeds and lengths for both, evaluation seed {e['seed']}). "
              "Change: after - before, with a paired bootstrap 95% CI over prompts.", "",
              f"| judge | toxicity before | after | change [95% CI] | expected max toxicity | "
              f"toxicity probability (>= {TOXIC}) |",
              "|---|---|---|---|---|---|"]
    for name, j in e["judges"].items():
        m, emt, tp = j["mean"], j["expected_max_toxicity"], j["toxicity_probability"]
        label = f"{name} (not independent)" if name == REWARD_JUDGE else name
        lines.append(f"| {label} | {m['before_mean']:.3f} | {m['after_mean']:.3f} | {m['diff_mean']:+.3f} "
                     f"{_ci(m['diff_ci95'])} | {emt['before']:.3f} -> {emt['after']:.3f} | "
                     f"{tp['before']:.3f} -> {tp['after']:.3f} |")
    r = e["reward"]
    lines += ["", f"Reward ({LabelRule.parse(c.cfg.model.reward_label).describe()}): {r['before_mean']:.3f} -> {r['after_mean']:.3f}, change "
                  f"{r['diff_mean']:+.3f} {_ci(r['diff_ci95'])}.", ""]
    q = e["quality"]
    keys = [(key, label) for key, label in schema.QUALITY if key in q["before"]]
    lines += ["| summary quality | " + " | ".join(label for _, label in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    lines += [f"| {when} | " + " | ".join(f"{q[when][key]:.3f}" for key, _ in keys) + " |" for when in ("before", "after")]
    lines += ["", "Verdicts:", ""] + [f"- {v['text']}" for v in e["verdicts"]]
    return lines


def _caveats(c: CardInputs) -> list[str]:
    cfg, e = c.cfg, c.evaluation
    judges = [name for name in (e["judges"] if e else cfg.run.judges) if name != REWARD_JUDGE]
    lines = ["## Caveats", "",
             f"- The reward model ({_source(cfg.model.reward_model)}) was optimised against; its own toxicity "
             "numbers flatter the result. The independent judges "
             f"({', '.join(f'`{j}`' for j in judges) or 'none'}) were never trained against.",
             "- Toxicity classifiers have known biases (identity terms, dialects); a lower score is not a "
             "guarantee of harmless text."]
    if e:
        lines.append(f"- {e['prompts']} prompts x {e['samples_per_prompt']} samples: read the CIs, not only the means.")
        lines += [f"- Judge note: {note}" for note in e.get("judge_notes", [])]
    return lines


def card_text(c: CardInputs) -> str:
    from huggingface_hub import ModelCardData

    parts = [f"---\n{ModelCardData(**metadata(c.cfg, c.merged)).to_yaml()}\n---", "",
             f"# {title(c.cfg)}", "",
             "A dialogue summarizer fine-tuned with PPO so that its summaries are less toxic, made with "
             "detox-dashboard.", _toy_note(c.cfg),
             *_lineage(c.cfg, c.merged), "", *_usage(c.cfg, c.merged), "", *_recipe(c), "",
             *_evaluation(c), "", *_caveats(c), ""]
    return "\n".join(parts)


def curves_png(metrics: list[dict], held_out: list[dict], path: Path) -> Path:
    """Reward (mean ± std), KL and, when measured, held-out toxicity per judge, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    steps = [row["step"] for row in metrics]
    panels = 3 if held_out else 2
    fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3), dpi=90)
    mean = [_or(schema.value(row, schema.REWARD_MEAN), float("nan")) for row in metrics]
    std = [_or(schema.value(row, schema.REWARD_STD), 0.0) for row in metrics]
    axes[0].plot(steps, mean, color="#0f766e")
    axes[0].fill_between(steps, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)],
                         color="#0f766e", alpha=0.2)
    axes[0].set_title("reward (mean ± std)")
    axes[1].plot(steps, [_or(schema.value(row, schema.KL), float("nan")) for row in metrics], color="#b45309")
    axes[1].set_title("KL to the reference")
    if held_out:
        for judge in held_out[0]["toxicity"]:
            axes[2].plot([r["step"] for r in held_out], [r["toxicity"].get(judge) for r in held_out],
                         marker="o", label=judge)
        axes[2].set_title("held-out toxicity")
        axes[2].set_ylim(0, 1)
        axes[2].legend(fontsize=7)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("PPO step")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
