"""What the presenter page shows, computed from a run's rows: pure, no gradio, no files.

The page (dashboard/present_page.py) is for a projector: three held-out heated dialogues, each
with the reference's summary (the step-0 held-out row, before any PPO) beside the policy's
newest one, the changed words highlighted, and each summary's toxicity by the reward model and
by the independent judges; three charts; a status line. A live run and a replay are shown the
same way: the view of a run "as it was at step N" is the view of its rows up to N.

Shapes: `metrics` are metrics.jsonl rows ({step, env/reward_mean, objective/kl, ...}),
`held_out` are eval.jsonl rows ({step, toxicity: {judge: mean}, samples: [{prompt, query,
response, reward, toxicity: {judge: P}}]}), as engine.evaluation.HeldOut writes them.
"""
from __future__ import annotations

import difflib
import html
import math
import re
from dataclasses import dataclass, field, replace

from engine.data import dialogue_of
from engine.judges import REWARD_JUDGE

SHOWN = 3
"""Dialogues on the page: three fit a 1080-pixel-high projector with readable type."""
DIALOGUES_ENV = "DETOX_PRESENT_DIALOGUES"
"""Held-out prompt numbers to show, like "0,3,5" (the page's ?dialogues= overrides it)."""
MAX_PROMPT_DIGITS = 6
"""A held-out prompt number has at most this many digits: no test split is a million prompts,
and int() of a longer string costs time (and past 4,300 digits raises)."""
_PROMPT_NUMBER = re.compile(r"[0-9]{1,%d}" % MAX_PROMPT_DIGITS)
"""ASCII digits only: str.isdigit() also takes '²', '①' and Arabic-Indic digits, which int()
either refuses or reads as a number nobody typed."""
CONTEXT_CHARS = 150
"""The dialogue's first line shown above its summaries is cut to this many characters."""


class PresenterError(ValueError):
    """Input the presenter cannot show (a bad dialogue list, a bad speed), said in words."""


# --- which dialogues ---------------------------------------------------------------------------

def parse_dialogues(text: str | None) -> list[int] | None:
    """"0, 3,5" -> [0, 3, 5]; None or blank -> None (pick by toxicity). At most SHOWN, no repeats."""
    if text is None or not text.strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    if not all(_PROMPT_NUMBER.fullmatch(p) for p in parts):
        raise PresenterError(f"dialogues must be held-out prompt numbers (digits 0-9, at most "
                             f"{MAX_PROMPT_DIGITS} each) separated by commas, like 0,3,5; got {text[:40]!r}")
    numbers = [int(p) for p in parts]
    if len(set(numbers)) != len(numbers):
        raise PresenterError(f"dialogues lists a prompt twice: {text[:40]!r}")
    if len(numbers) > SHOWN:
        raise PresenterError(f"the page shows at most {SHOWN} dialogues, got {len(numbers)}: {text[:40]!r}")
    return numbers


def _toxicity(sample: dict, judge: str) -> float | None:
    value = (sample.get("toxicity") or {}).get(judge)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def mean_toxicity(sample: dict) -> float:
    """The mean P(toxic) over the judges that scored the sample (0 when none did)."""
    values = [v for judge in (sample.get("toxicity") or {}) if (v := _toxicity(sample, judge)) is not None]
    return sum(values) / len(values) if values else 0.0


def pick_dialogues(reference: dict, wanted: list[int] | None, n: int = SHOWN) -> list[int]:
    """The held-out prompts to show: `wanted` when given (each must be in the row), else the
    `n` whose reference summaries are most toxic by the mean of the reward model and the judges
    (the rudeness a room should watch disappear), ties by prompt number."""
    samples = {s.get("prompt"): s for s in reference.get("samples") or [] if isinstance(s.get("prompt"), int)}
    if wanted is not None:
        missing = [p for p in wanted if p not in samples]
        if missing:
            known = f"0 to {max(samples)}" if samples else "none"
            raise PresenterError(f"held-out dialogue {missing[0]} is not in this run (its prompts: {known})")
        return list(wanted)

    return sorted(samples, key=lambda prompt: (-mean_toxicity(samples[prompt]), prompt))[:n]


# --- word differences --------------------------------------------------------------------------

_SPEAKER = re.compile(r"#(Person\d+)#")


_CUT_SPEAKER = re.compile(r"#(?P<letters>[A-Za-z]*)(?P<digits>\d*)#?")
"""A word that is a speaker tag cut short where the summary's length ran out: '#Person2', '#Per', '#'."""


def shown_word(word: str) -> str:
    """A word as the room reads it, HTML-escaped: DialogSum's '#Person1#' tags read 'Person1',
    and a tag cut short at the end of a summary ('#Person2', '#') loses its stray '#' too."""
    cut = _CUT_SPEAKER.fullmatch(word)
    if cut and "Person".startswith(cut["letters"]) and (cut["letters"] or not cut["digits"]):
        return html.escape(cut["letters"] + cut["digits"])
    return html.escape(_SPEAKER.sub(r"\1", word))


def _chunks(a: list[str], b: list[str]) -> list[tuple[bool, list[str], list[str]]]:
    """(same, words of a, words of b) runs from difflib; a lone common word between two changes
    ("a", "the") joins the change around it, so a rewritten sentence reads as one change, not as
    a dozen fragments."""
    runs: list[tuple[bool, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        runs.append((tag == "equal", a[i1:i2], b[j1:j2]))
    merged: list[tuple[bool, list[str], list[str]]] = []
    for i, (same, old, new) in enumerate(runs):
        lone = same and len(old) == 1 and 0 < i < len(runs) - 1
        same = same and not lone
        if merged and not same and not merged[-1][0]:
            _, prev_old, prev_new = merged.pop()
            old, new = prev_old + old, prev_new + new
        merged.append((same, old, new))
    return merged


def word_diff(before: str, after: str) -> tuple[str, str]:
    """(before, after) as HTML, word by word (difflib on whitespace-split words): the words only
    `before` has in <del>, the words only `after` has in <mark>; everything escaped."""
    left: list[str] = []
    right: list[str] = []
    for same, old_words, new_words in _chunks(before.split(), after.split()):
        old = " ".join(w for w in map(shown_word, old_words) if w)  # a lone cut '#' reads as nothing
        new = " ".join(w for w in map(shown_word, new_words) if w)
        if same:
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<mark>{new}</mark>")
    return " ".join(left), " ".join(right)


# --- the view ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    html: str
    """The summary with its differences marked (word_diff)."""
    step: int
    """The PPO step whose policy wrote it (0: the reference, before any PPO)."""
    toxicity: dict[str, float | None]
    """judge -> P(toxic); the reward model's under REWARD_JUDGE, first."""


@dataclass(frozen=True)
class Card:
    """One dialogue: the reference's summary beside the policy's newest."""
    prompt: int
    context: str
    """The dialogue's first line, shortened: what the room is reminded the dialogue is about."""
    reference: Summary
    current: Summary
    versus: Summary | None = None
    """Side by side: the other run's newest summary of the same dialogue (None: one run)."""

    @property
    def changed(self) -> bool:
        return "<del>" in self.reference.html or "<mark>" in self.current.html


@dataclass(frozen=True)
class View:
    """The presenter page at one step of a run."""
    step: int
    """The newest PPO step shown (the cursor of a replay, the last metric row of a live run)."""
    total: int
    cards: list[Card] = field(default_factory=list)
    held_out_step: int | None = None
    """The step of the held-out row the cards show as "now"."""
    metrics: list[dict] = field(default_factory=list)
    held_out: list[dict] = field(default_factory=list)
    note: str = ""
    """Why there are no cards, in words ("" when there are)."""
    labels: tuple[str, str] | None = None
    """Side by side: the two runs' names for the cards' headings ("PPO run demo-8822")."""
    versus_step: int | None = None
    """Side by side: the step of the other run's held-out row the cards show."""


def _step(row: dict) -> int | None:
    step = row.get("step")
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def last_step(metrics: list[dict]) -> int:
    """The newest PPO step in the metric rows (0 before the first)."""
    return max((s for row in metrics if (s := _step(row)) is not None), default=0)


def held_out_steps(held_out: list[dict]) -> list[int]:
    """The steps with a held-out row, in order: where the summaries on the page change."""
    return sorted({s for row in held_out if (s := _step(row)) is not None})


def _context(query: str) -> str:
    first = next((line.strip() for line in dialogue_of(query).splitlines() if line.strip()), "")
    text = _SPEAKER.sub(r"\1", first)
    return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS - 1].rstrip() + "…"


def _scores(sample: dict) -> dict[str, float | None]:
    judges = sorted(sample.get("toxicity") or {}, key=lambda name: (name != REWARD_JUDGE, name))
    return {judge: _toxicity(sample, judge) for judge in judges}


def no_reference_note(held_out: list[dict], eval_every: int | None, state: str | None) -> str:
    """Why there is no step-0 held-out row, as far as the run's files tell: its config
    (`eval_every`, None when unreadable) and its state."""
    if held_out:
        return "This run's held-out rows have no step-0 row (the reference's summaries)."
    if eval_every == 0:
        return "This run writes no held-out rows (run.eval_every is 0), so there are no summaries to show."
    if state in ("queued", "running"):
        return ("No held-out summaries yet: the reference's are written before the first PPO step, "
                "and appear here then.")
    return "This run has no held-out rows to show (its eval.jsonl is missing or cannot be read)."


def side_by_side(view: View, held_out: list[dict], labels: tuple[str, str]) -> View:
    """`view` (one run's page) with a second run's summaries of the same dialogues beside its own,
    from that run's newest held-out row at or before the view's step. PresenterError when the
    second run summarised other held-out dialogues (a side by side would compare apples with
    pears)."""
    if not view.cards:
        return view
    reference = next((r for r in held_out if _step(r) == 0), None)
    theirs = {s.get("prompt"): s for s in (reference or {}).get("samples") or []}
    for card in view.cards:
        mine = _context(str(theirs.get(card.prompt, {}).get("query", "")))
        if card.prompt not in theirs or mine != card.context:
            raise PresenterError(f"the two runs were not evaluated on the same held-out dialogues (dialogue "
                                 f"{card.prompt} differs): side by side needs runs of one preset and eval_prompts")
    evals = sorted((r for r in held_out if _step(r) is not None and _step(r) <= view.step), key=_step)
    current = evals[-1] if evals else reference
    now = {s.get("prompt"): s for s in current.get("samples") or []}
    cards = []
    for card in view.cards:
        before, after = theirs[card.prompt], now.get(card.prompt, theirs[card.prompt])
        _, html_after = word_diff(str(before.get("response", "")), str(after.get("response", "")))
        cards.append(replace(card, versus=Summary(html_after, _step(current) or 0, _scores(after))))
    return replace(view, cards=cards, labels=labels, versus_step=_step(current))


def build_view(metrics: list[dict], held_out: list[dict], total: int, at: int | None = None,
               dialogues: list[int] | None = None, eval_every: int | None = None,
               state: str | None = None) -> View:
    """The page at step `at` (None: everything, a live run's newest): the rows up to that step,
    and cards for `dialogues` (None: the most toxic at the reference) from the step-0 held-out
    row and the newest held-out row at or before `at`. PresenterError for a `dialogues` entry the
    run does not have. `eval_every` and `state` only say why there are no cards."""
    cursor = last_step(metrics) if at is None else at
    rows = [r for r in metrics if (_step(r) or 0) <= cursor]
    evals = sorted((r for r in held_out if _step(r) is not None and _step(r) <= cursor), key=_step)
    view = View(step=cursor, total=total, metrics=rows, held_out=evals)
    reference = next((r for r in held_out if _step(r) == 0), None)
    if reference is None:
        return replace(view, note=no_reference_note(held_out, eval_every, state))
    current = evals[-1] if evals else reference
    now = {s.get("prompt"): s for s in current.get("samples") or []}
    cards = []
    for prompt in pick_dialogues(reference, dialogues):
        before = next(s for s in reference["samples"] if s.get("prompt") == prompt)
        after = now.get(prompt, before)
        ref_html, cur_html = word_diff(str(before.get("response", "")), str(after.get("response", "")))
        cards.append(Card(prompt=prompt, context=_context(str(before.get("query", ""))),
                          reference=Summary(ref_html, 0, _scores(before)),
                          current=Summary(cur_html, _step(current) or 0, _scores(after))))
    if not cards:
        return replace(view, note="This run's held-out rows carry no summaries.")
    return replace(view, cards=cards, held_out_step=_step(current))


# --- the replay clock --------------------------------------------------------------------------

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""PPO steps per second a replay can run at (up and down arrows move along these)."""
DEFAULT_SPEED = 2.0


def parse_speed(text: str | None) -> float:
    """The ?speed= of the page: one of SPEEDS (steps per second); DEFAULT_SPEED when blank."""
    if text is None or not str(text).strip():
        return DEFAULT_SPEED
    try:
        value = float(text)
    except ValueError:
        raise PresenterError(f"speed must be a number of PPO steps per second, got {str(text)[:20]!r}") from None
    if value not in SPEEDS:
        raise PresenterError(f"speed must be one of {', '.join(f'{s:g}' for s in SPEEDS)} steps per second, "
                             f"got {value:g}")
    return value


@dataclass(frozen=True)
class ReplayClock:
    """Where a replay is: a position in PPO steps that moves at `speed` steps per second of
    wall time unless paused. Immutable: every method returns the new clock. Times are seconds
    on any monotonic clock (the caller's)."""
    last: int
    """The run's last step: the replay stops there."""
    speed: float = DEFAULT_SPEED
    paused: bool = False
    position: float = 0.0
    at: float = 0.0
    """When `position` was measured."""

    @property
    def cursor(self) -> int:
        return min(self.last, int(self.position))

    @property
    def finished(self) -> bool:
        return self.position >= self.last

    def now(self, t: float) -> "ReplayClock":
        """The clock at time `t`: moved on by the time since it was last read, unless paused."""
        if self.paused or self.finished:
            return replace(self, at=t)
        return replace(self, position=min(float(self.last), self.position + self.speed * max(0.0, t - self.at)), at=t)

    def toggle(self, t: float) -> "ReplayClock":
        """Space: pause or resume; at the end, play again from the start."""
        clock = self.now(t)
        if clock.finished:
            return replace(clock, position=0.0, paused=False)
        return replace(clock, paused=not clock.paused)

    def seek(self, step: int, t: float) -> "ReplayClock":
        """Go to `step` (kept within 0..last) and pause there."""
        return replace(self.now(t), position=float(min(max(step, 0), self.last)), paused=True)

    def step_to(self, marks: list[int], direction: int, t: float) -> "ReplayClock":
        """Arrow keys: pause at the previous (direction -1) or next (+1) of `marks` (the steps
        with held-out rows, where the summaries change); the first or last step past them."""
        clock = self.now(t)
        here = clock.cursor
        if direction > 0:
            target = next((m for m in marks if m > here), clock.last)
        else:
            target = next((m for m in reversed(marks) if m < here), 0)
        return clock.seek(target, t)

    def faster(self, t: float, by: int = 1) -> "ReplayClock":
        """Up (+1) or down (-1) arrow: the next speed in SPEEDS."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        return replace(self.now(t), speed=SPEEDS[min(max(index + by, 0), len(SPEEDS) - 1)])


# --- HTML ----------------------------------------------------------------------------------------

TOXIC_AT = 0.5
"""A summary scored at or above this is drawn red (the threshold of 'toxicity probability')."""


def gauge_html(judge: str, value: float | None) -> str:
    """A small horizontal gauge: the judge's name, a bar filled to P(toxic), the number."""
    name = "reward model" if judge == REWARD_JUDGE else judge
    if value is None:
        return (f'<div class="pp-gauge"><span class="pp-gauge-name">{html.escape(name)}</span>'
                f'<span class="pp-gauge-bar"></span><span class="pp-gauge-value">n/a</span></div>')
    level = "pp-toxic" if value >= TOXIC_AT else "pp-clean"
    return (f'<div class="pp-gauge {level}" data-judge="{html.escape(name)}" data-value="{value:.3f}">'
            f'<span class="pp-gauge-name">{html.escape(name)}</span>'
            f'<span class="pp-gauge-bar"><span class="pp-gauge-fill" style="width:{100 * value:.0f}%"></span></span>'
            f'<span class="pp-gauge-value">{value:.2f}</span></div>')


def _side_html(summary: Summary, label: str, kind: str) -> str:
    gauges = "".join(gauge_html(judge, value) for judge, value in summary.toxicity.items())
    return (f'<div class="pp-side pp-{kind}" data-step="{summary.step}"><div class="pp-label">{label}</div>'
            f'<div class="pp-text">{summary.html or "<i>(empty)</i>"}</div>'
            f'<div class="pp-gauges"><span class="pp-gauges-title">toxicity</span>{gauges}</div></div>')


def cards_html(view: View) -> str:
    """The three dialogues, or the note saying why there are none."""
    if not view.cards:
        return f'<div class="pp-cards pp-empty"><div class="pp-note">{html.escape(view.note)}</div></div>'
    now = f"Now: after {view.held_out_step} PPO steps" if view.held_out_step else "Now: no PPO step yet"
    if view.labels:
        now = _after(view.labels[0], view.held_out_step)
    cards = []
    for card in view.cards:
        versus = _side_html(card.versus, html.escape(_after(view.labels[1], view.versus_step)), "after pp-versus") \
            if card.versus and view.labels else ""
        cards.append(
            f'<div class="pp-card" data-prompt="{card.prompt}" data-changed="{str(card.changed).lower()}">'
            f'<div class="pp-context"><b>Dialogue {card.prompt}</b> '
            f'<span>“{html.escape(card.context)}”</span></div>'
            f'<div class="pp-pair">{_side_html(card.reference, "Before (the reference)" if versus else "Before PPO (the reference)", "before")}'
            f'{_side_html(card.current, html.escape(now), "after")}{versus}</div></div>')
    return (f'<div class="pp-cards" data-held-out-step="{view.held_out_step}">'
            f'{"".join(cards)}</div>')


def _after(label: str, step: int | None) -> str:
    return f"{label}: after {step} steps" if step else f"{label}: no step yet"


def status_html(title: str, facts: list[str]) -> str:
    """The page's top line: what is shown, then its facts (step, ETA, preset, device)."""
    items = "".join(f"<span>{html.escape(f)}</span>" for f in facts if f)
    return (f'<div class="pp-status"><span class="pp-title">{html.escape(title)}</span>'
            f'<span class="pp-facts">{items}</span></div>')
