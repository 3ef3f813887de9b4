"""Plotly figures from metric rows: the live training charts, run overlays, Compare's reward
distributions and Evaluate's per-judge toxicity.

Inputs are plain rows (dicts from metrics.jsonl); values may be null (the writer turns NaN
into null) or missing, and show as gaps. `runs` arguments map a legend label to that run's
rows, the selected run first, so every chart can overlay several runs the same way.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import schema

KL = schema.KL
REWARD_MEAN = schema.REWARD_MEAN
REWARD_STD = schema.REWARD_STD
RETURNS = schema.RETURNS_MEAN

EXTRA_METRICS: dict[str, str] = {
    "Toxicity": schema.TOXICITY_MEAN,
    "Entropy": schema.ENTROPY,
    "Clip fraction": schema.CLIPFRAC,
    "Value loss": schema.VALUE_LOSS,
    "Response length": schema.RESPONSE_LENGTH,
    "KL coefficient": schema.KL_COEF,
    "Policy loss": schema.POLICY_LOSS,
    "Seconds per step": schema.STEP_SECONDS,
}
"""The charts offered on demand, label -> metric name."""

# Browsers slow down past a few thousand points per trace; longer runs are thinned evenly.
MAX_POINTS = 2000
HEIGHT = 290
COLORS = ["#0f766e", "#2563eb", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777"]
BEFORE_COLOR, AFTER_COLOR = "#94a3b8", "#0f766e"

Runs = Mapping[str, Sequence[dict]]


_value = schema.value


def series(rows: Sequence[dict], key: str) -> tuple[list[int], list[float | None]]:
    """(steps, values) of one metric; a row without `step` counts by position."""
    steps = [row.get("step") if isinstance(row.get("step"), int) else i + 1 for i, row in enumerate(rows)]
    return _thin(steps, [_value(row, key) for row in rows])


def _thin(xs: list, ys: list) -> tuple[list, list]:
    if len(xs) <= MAX_POINTS:
        return xs, ys
    stride = math.ceil(len(xs) / MAX_POINTS)
    keep = list(range(0, len(xs), stride))
    if keep[-1] != len(xs) - 1:
        keep.append(len(xs) - 1)  # the newest point always shows
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _mode(n_points: int) -> str:
    # Markers make the first few steps visible; on long runs they are clutter.
    return "lines+markers" if n_points <= 60 else "lines"


def _style(fig: go.Figure, title: str, y_title: str, legend: bool, key: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.02, "font": {"size": 15}},
        template="plotly_white", height=HEIGHT + (40 if legend else 0),
        margin={"l": 50, "r": 16, "t": 44, "b": 80 if legend else 40},
        hovermode="x unified", showlegend=legend,
        legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0},
        # Same uirevision across refreshes: a zoom the user made survives new points.
        uirevision=key,
    )
    fig.update_xaxes(title_text="PPO step", rangemode="tozero")
    fig.update_yaxes(title_text=y_title, zeroline=True, zerolinecolor="#cbd5e1")
    return fig


NOT_MEASURED = "Not measured by these runs' algorithm (RLOO and GRPO: no value head, a fixed KL weight)"
WAITING = "Waiting for the first step…"


def empty_figure(title: str, message: str | None = None) -> go.Figure:
    message = message or WAITING
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#64748b"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title={"text": title, "x": 0.02, "font": {"size": 15}}, template="plotly_white",
                      height=HEIGHT, margin={"l": 20, "r": 16, "t": 44, "b": 20})
    return fig


def _has_points(runs: Runs, key: str) -> bool:
    return any(_value(row, key) is not None for rows in runs.values() for row in rows)


def line_figure(runs: Runs, key: str, title: str, y_title: str) -> go.Figure:
    """One line per run of metric `key`; a run whose algorithm has no such metric (RLOO and GRPO
    have no value head, so no value loss or returns) draws no line, and the chart says so when
    no run has one."""
    if not _has_points(runs, key):
        no_such = any(_has_points({label: rows}, schema.REWARD_MEAN) for label, rows in runs.items())
        return empty_figure(title, NOT_MEASURED if no_such else None)
    fig = go.Figure()
    for i, (label, rows) in enumerate(runs.items()):
        x, y = series(rows, key)
        fig.add_trace(go.Scatter(x=x, y=y, name=label, mode=_mode(len(x)),
                                 line={"color": _color(i), "width": 2}, marker={"size": 5}))
    return _style(fig, title, y_title, legend=len(runs) > 1, key=f"{key}|{'|'.join(runs)}")


def kl_figure(runs: Runs) -> go.Figure:
    return line_figure(runs, KL, "KL divergence from the reference", "KL (nats)")


def returns_figure(runs: Runs) -> go.Figure:
    return line_figure(runs, RETURNS, "Returns", "mean return")


def reward_figure(runs: Runs) -> go.Figure:
    """Mean reward per step with a ±1 std band (the spread of rewards within the batch)."""
    title = "Reward (nothate logit), mean ± std"
    if not _has_points(runs, REWARD_MEAN):
        return empty_figure(title)
    fig = go.Figure()
    for i, (label, rows) in enumerate(runs.items()):
        color = _color(i)
        x, mean = series(rows, REWARD_MEAN)
        _, std = series(rows, REWARD_STD)
        upper = [m + s if m is not None and s is not None else None for m, s in zip(mean, std)]
        lower = [m - s if m is not None and s is not None else None for m, s in zip(mean, std)]
        band = {"legendgroup": label, "showlegend": False, "hoverinfo": "skip", "mode": "lines",
                "line": {"width": 0}}
        fig.add_trace(go.Scatter(x=x, y=lower, name=f"{label} −std", **band))
        fig.add_trace(go.Scatter(x=x, y=upper, name=f"{label} +std", fill="tonexty",
                                 fillcolor=_rgba(color, 0.18), **band))
        fig.add_trace(go.Scatter(x=x, y=mean, name=label, legendgroup=label, mode=_mode(len(x)),
                                 line={"color": color, "width": 2}, marker={"size": 5}))
    return _style(fig, title, "reward", legend=len(runs) > 1, key=f"reward|{'|'.join(runs)}")


HELD_OUT_TITLE = "Held-out toxicity (the same prompts each time)"
DASHES = ["solid", "dash", "dot", "dashdot"]


def held_out_figure(runs: Runs) -> go.Figure:
    """Mean toxicity of the policy's summaries of fixed held-out prompts (eval.jsonl), one line
    per judge: the reward model's and the independent judges' should fall together."""
    from engine.judges import REWARD_JUDGE

    if not any(isinstance(row.get("toxicity"), dict) for rows in runs.values() for row in rows):
        return empty_figure(HELD_OUT_TITLE, "No held-out rows yet (run.eval_every: 0 turns them off)")
    judges = list(dict.fromkeys(name for rows in runs.values() for row in rows
                                for name in (row.get("toxicity") or {})))
    judges.sort(key=lambda name: name != REWARD_JUDGE)  # the reward model's line first
    fig = go.Figure()
    for i, (label, rows) in enumerate(runs.items()):
        for j, judge in enumerate(judges):
            x = [row.get("step") for row in rows]
            y = [_value(row.get("toxicity") or {}, judge) for row in rows]
            name = judge if len(runs) == 1 else f"{label}: {judge}"
            fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines+markers",
                                     line={"color": _color(j), "width": 2, "dash": DASHES[i % len(DASHES)]},
                                     marker={"size": 6}))
    fig = _style(fig, HELD_OUT_TITLE, "mean P(toxic)", legend=True, key=f"held-out|{'|'.join(runs)}")
    fig.update_yaxes(rangemode="tozero")
    return fig


def extra_figure(runs: Runs, labels: Sequence[str]) -> go.Figure:
    """The on-demand metrics, one small chart each, two per row."""
    labels = [label for label in labels if label in EXTRA_METRICS]
    if not labels:
        return empty_figure("More charts", "Pick metrics above to chart them here.")
    if len(labels) == 1:
        return line_figure(runs, EXTRA_METRICS[labels[0]], labels[0], labels[0].lower())
    if not any(_has_points(runs, EXTRA_METRICS[label]) for label in labels):
        return empty_figure(", ".join(labels))
    cols = 2
    n_rows = math.ceil(len(labels) / cols)
    fig = make_subplots(rows=n_rows, cols=cols, subplot_titles=labels, vertical_spacing=0.16 if n_rows > 1 else 0.1)
    for j, label in enumerate(labels):
        row, col = j // cols + 1, j % cols + 1
        for i, (run_label, rows) in enumerate(runs.items()):
            x, y = series(rows, EXTRA_METRICS[label])
            fig.add_trace(go.Scatter(x=x, y=y, name=run_label, legendgroup=run_label,
                                     showlegend=j == 0 and len(runs) > 1, mode=_mode(len(x)),
                                     line={"color": _color(i), "width": 2}, marker={"size": 4}),
                          row=row, col=col)
    fig.update_annotations(font_size=14)  # subplot titles, the size of the other charts' titles
    legend = len(runs) > 1
    fig.update_layout(template="plotly_white", height=max(HEIGHT, 230 * n_rows + 40) + (40 if legend else 0),
                      margin={"l": 50, "r": 16, "t": 40, "b": 80 if legend else 40}, hovermode="x unified",
                      legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
                      uirevision=f"extra|{'|'.join(labels)}|{'|'.join(runs)}")
    return fig


def reward_distribution_figure(before: Sequence[float], after: Sequence[float]) -> go.Figure:
    """Compare tab: rewards of the reference and the tuned model, overlaid, with their means."""
    title = "Reward distribution: reference vs tuned"
    if not before and not after:
        return empty_figure(title, "Generate summaries to see their rewards here.")
    fig = go.Figure()
    both = list(before) + list(after)
    low, high = min(both), max(both)
    # Shared bins: with each histogram binning on its own, the two would not line up.
    n_bins = min(30, max(5, len(both) // 2))
    size = (high - low) / n_bins if high > low else 1.0
    bins = {"start": low - size / 2, "end": high + size / 2, "size": size}
    for name, values, color in (("reference (before)", before, BEFORE_COLOR),
                                ("tuned (after)", after, AFTER_COLOR)):
        fig.add_trace(go.Histogram(x=list(values), name=name, marker_color=color, opacity=0.65,
                                   xbins=bins, autobinx=False))
        if values:
            mean = sum(values) / len(values)
            fig.add_vline(x=mean, line={"color": color, "dash": "dash", "width": 2})
    fig.update_layout(barmode="overlay", title={"text": title, "x": 0.02, "font": {"size": 15}},
                      template="plotly_white", height=320, margin={"l": 50, "r": 16, "t": 44, "b": 40},
                      legend={"orientation": "h", "y": -0.22, "x": 0})
    fig.update_xaxes(title_text="reward (nothate logit; dashed: mean)")
    fig.update_yaxes(title_text="dialogues")
    return fig


def _judge_series(result: dict[str, Any]) -> dict[str, tuple[list[float], list[float], list[int]]]:
    """judge -> (before, after, prompt) per summary, from an evaluation's rows."""
    from engine.judges import REWARD_JUDGE

    out: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for row in result.get("rows") or []:
        scores = {REWARD_JUDGE: (row.get("toxicity_before"), row.get("toxicity_after"))}
        for name, before in (row.get("judges_before") or {}).items():
            scores[name] = (before, (row.get("judges_after") or {}).get(name))
        for name, (before, after) in scores.items():
            if _value({"v": before}, "v") is None or _value({"v": after}, "v") is None:
                continue
            b, a, p = out.setdefault(name, ([], [], []))
            b.append(before)
            a.append(after)
            p.append(row.get("prompt", len(p)))
    return out


def paired_toxicity_figure(result: dict[str, Any]) -> go.Figure:
    """Evaluate tab: one point per prompt, its mean toxicity before (x) and after (y), one colour
    per judge; below the diagonal = less toxic after tuning."""
    title = "Per prompt: toxicity before vs after"
    series = _judge_series(result)
    if not series:
        return empty_figure(title, "Evaluate a run to see its prompts here.")
    fig = go.Figure()
    for i, (name, (before, after, prompts)) in enumerate(series.items()):
        per_prompt: dict[int, list[tuple[float, float]]] = {}
        for b, a, p in zip(before, after, prompts):
            per_prompt.setdefault(p, []).append((b, a))
        xs = [sum(b for b, _ in pairs) / len(pairs) for pairs in per_prompt.values()]
        ys = [sum(a for _, a in pairs) / len(pairs) for pairs in per_prompt.values()]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name, marker={"color": _color(i), "size": 8,
                                                                                 "opacity": 0.75}))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="no change", hoverinfo="skip",
                             line={"color": "#94a3b8", "dash": "dash", "width": 1}))
    fig.update_layout(title={"text": title, "x": 0.02, "font": {"size": 15}}, template="plotly_white",
                      height=360, margin={"l": 50, "r": 16, "t": 44, "b": 40},
                      legend={"orientation": "h", "y": -0.2, "x": 0})
    fig.update_xaxes(title_text="before (reference), mean P(toxic)", range=[-0.02, 1.02])
    fig.update_yaxes(title_text="after (tuned)", range=[-0.02, 1.02])
    return fig


def toxicity_distribution_figure(result: dict[str, Any]) -> go.Figure:
    """Evaluate tab: the distribution of every summary's toxicity before and after, per judge."""
    title = "Toxicity of every summary, before and after"
    series = _judge_series(result)
    if not series:
        return empty_figure(title, "Evaluate a run to see the distributions here.")
    fig = go.Figure()
    for when, color, index in (("reference (before)", BEFORE_COLOR, 0), ("tuned (after)", AFTER_COLOR, 1)):
        xs, ys = [], []
        for name, values in series.items():
            xs += [name] * len(values[index])
            ys += values[index]
        fig.add_trace(go.Box(x=xs, y=ys, name=when, marker_color=color, boxmean=True))
    fig.update_layout(boxmode="group", title={"text": title, "x": 0.02, "font": {"size": 15}},
                      template="plotly_white", height=360, margin={"l": 50, "r": 16, "t": 44, "b": 40},
                      legend={"orientation": "h", "y": -0.2, "x": 0})
    fig.update_yaxes(title_text="P(toxic)", range=[-0.02, 1.02])
    return fig


# --- the presenter page: three charts for a projector ------------------------------------------

PROJECTOR_FONT = 21
PROJECTOR_TITLE_FONT = 28
PRESENTER_CHARTS = (
    ("Reward", "the reward model likes the summaries more when this rises"),
    ("KL from the start", "how far the model moved from where it started"),
    ("Toxicity of held-out summaries", "the same dialogues each time: lower is less rude"),
)
"""(title, the plain words under it) of the presenter's reward, KL and held-out charts."""


def _projector(fig: go.Figure, title: str, words: str, height: int, last_step: int) -> go.Figure:
    """Restyle one of the dashboard's figures for the back of a room: big type, thick lines, the
    plain words under the title, the x axis spanning the whole run so the line grows across it."""
    fig.update_layout(
        title={"text": f"<b>{title}</b>", "x": 0.01, "y": 0.98, "yref": "container", "yanchor": "top",
               "font": {"size": PROJECTOR_TITLE_FONT, "color": "#0b1220"},
               "subtitle": {"text": words, "font": {"size": PROJECTOR_FONT, "color": "#334155"}}},
        font={"size": PROJECTOR_FONT, "color": "#0b1220"}, height=height, hovermode=False,
        margin={"l": 64, "r": 16, "t": 84, "b": 34},
        # inside the chart's top right, where falling toxicity leaves room
        legend={"orientation": "h", "yanchor": "top", "y": 1.0, "x": 1, "xanchor": "right",
                "font": {"size": PROJECTOR_FONT - 2}, "bgcolor": "rgba(255,255,255,0.8)"})
    fig.update_annotations(font_size=PROJECTOR_FONT)  # an empty chart's message
    for trace in fig.data:
        if trace.line.width:  # not the std band's edges, which are drawn without a line
            trace.line.width = 4
            trace.marker.size = 9
    fig.update_xaxes(title_text="", range=[0, max(last_step, 1)],
                     tickfont={"size": PROJECTOR_FONT}, gridcolor="#e2e8f0")
    fig.update_yaxes(title_text="", tickfont={"size": PROJECTOR_FONT}, gridcolor="#e2e8f0")
    return fig


def presenter_figures(metrics: Sequence[dict], held_out: Sequence[dict], last_step: int,
                      height: int = 300, versus: tuple[str, str, Sequence[dict], Sequence[dict]] | None = None,
                      ) -> tuple[go.Figure, go.Figure, go.Figure]:
    """(reward mean ± std, KL, held-out toxicity by judge) of one run for the presenter page,
    x axes from 0 to `last_step` (the run's length). `versus` (label of the run, label of the
    other, its metrics, its held-out rows): both runs on each chart, side by side."""
    names = versus[:2] if versus else ("run",)
    rows = {names[0]: list(metrics), **({names[1]: list(versus[2])} if versus else {})}
    evals = {names[0]: list(held_out), **({names[1]: list(versus[3])} if versus else {})}
    figures = (reward_figure(rows), kl_figure(rows), held_out_figure(evals))
    out = tuple(_projector(fig, title, words, height, last_step)
                for fig, (title, words) in zip(figures, PRESENTER_CHARTS))
    out[2].update_yaxes(range=[0, 1.02])  # probabilities: a fall reads as a fall, not as a rescaled axis
    out[2].update_xaxes(title_text="PPO step", title_standoff=2)  # the bottom chart names the shared axis
    out[2].update_layout(margin={"b": 56})
    return out
