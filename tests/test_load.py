"""Many users at once, against the real app on 127.0.0.1 with the tiny preset.

While a tiny run trains, 30 gradio_client sessions open the page as a browser does (every
page-load event and a Train-tab timer tick at once), then score texts and list the runs, and 5
sessions compare summaries: every call must come back with the right answer, a second start is
refused, and the run's numbers must be exactly those of the same run trained without the load.
Then a second app with a queue of 2 is flooded: the overflow is refused with a clear message,
the accepted calls succeed, and the app still serves afterwards.

The figures (calls, errors, latency percentiles, steps trained during the load, queue peak,
refusals) are printed (run pytest with -s) and logged at INFO under this module's logger.
"""
from __future__ import annotations

import copy
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import pytest
from gradio_client import Client

from engine import runs

from dashboard.reward_tab import EXAMPLES
from dashboard.ui import QUEUE_SIZE, serve_locally
from tests.dashboard_helpers import wait_for

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)
log.setLevel(logging.INFO)  # the figures reach pytest's captured log (and --log-cli-level=INFO)

SESSIONS = 30           # each: a page opening, then ROUNDS x (score_text, list_runs)
ROUNDS = 3
COMPARE_SESSIONS = 5    # each: one compare of COMPARE_N dialogues
COMPARE_N = 2
RUN_STEPS = 1000        # both runs are configured alike, and stopped long before the end
BASELINE_STEPS = 20     # the quiet run's rows that the loaded run must reproduce
SMALL_QUEUE = 2
FLOOD_CALLS = 12
FLOOD_N = 4             # dialogues per flooding compare: slow enough to keep the queue full
# gradio_client gives up on a request after 5 s by default: on a busy 2-core machine the server
# may take longer to accept a call, which is slowness, measured below, not a lost call.
HTTP_TIMEOUT_S = 120.0
SCORE_KEYS = {"nothate_logit", "hate_logit", "toxicity"}
COMPARE_KEYS = {"query", "response_before", "response_after", "reward_before", "reward_after", "reward_diff",
                "toxicity_before", "toxicity_after", "judges_before", "judges_after"}
COMPARED_METRICS = ("objective/kl", "env/reward_mean")
QUEUE_FULL = "Queue is full! Please try again."  # gradio_client's words for the server's 503 "queue_full"

Check = Callable[[Any], "str | None"]


@dataclass
class Call:
    endpoint: str
    seconds: float
    problem: str | None  # None: answered correctly


@dataclass
class Record:
    """Every call made under load, appended from many threads (list.append is atomic)."""
    calls: list[Call] = field(default_factory=list)

    def call(self, endpoint: str, fn: Callable[[], Any], check: Check) -> None:
        """Make one call and record how long it took and what is wrong with its answer."""
        start = time.perf_counter()
        try:
            problem = check(fn())
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, and asserted on
            problem = f"{type(exc).__name__}: {exc}"
        self.calls.append(Call(endpoint, time.perf_counter() - start, problem))

    def calls_at_once(self, c: Client, events: dict[str, list], checks: dict[str, Check]) -> None:
        """Send every event of `events` ({api_name: inputs}) at once, as a browser does, and
        record each when its answer arrives."""
        start = time.perf_counter()
        done_at: dict[str, float] = {}
        jobs = {name: c.submit(*inputs, api_name=name) for name, inputs in events.items()}
        for name, job in jobs.items():
            job.add_done_callback(lambda _, name=name: done_at.setdefault(name, time.perf_counter()))
        for name, job in jobs.items():
            try:
                problem = checks[name](job.result())
            except Exception as exc:  # noqa: BLE001 - as above
                problem = f"{type(exc).__name__}: {exc}"
            self.calls.append(Call(name, done_at.get(name, time.perf_counter()) - start, problem))

    def problems(self) -> list[str]:
        return [f"{c.endpoint}: {c.problem}" for c in self.calls if c.problem]

    def table(self) -> list[str]:
        lines = [f"{'endpoint':<20}{'calls':>6}{'ok':>6}{'errors':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"]
        for endpoint in sorted({c.endpoint for c in self.calls}):
            mine = [c for c in self.calls if c.endpoint == endpoint]
            times = sorted(c.seconds for c in mine)
            bad = sum(1 for c in mine if c.problem)
            lines.append(f"{endpoint:<20}{len(mine):>6}{len(mine) - bad:>6}{bad:>7}{percentile(times, 50):>8.2f}"
                         f"{percentile(times, 95):>8.2f}{times[-1]:>8.2f}")
        return lines


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(1, math.ceil(q / 100 * len(sorted_values))) - 1]


def report(title: str, lines: list[str]) -> None:
    text = "\n".join([f"--- {title} ---", *lines])
    print("\n" + text)
    log.info("%s", text)


def client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": HTTP_TIMEOUT_S})


def page_events(demo: gr.Blocks) -> dict[str, list]:
    """What a browser sends when it opens the main page: every load event and the Train tab's
    timer tick, as {api_name: the inputs' initial values} (the presenter page's own are not sent)."""
    return {f"/{fn.api_name}": [copy.deepcopy(getattr(block, "value", None)) for block in fn.inputs]
            for fn in demo.fns.values()
            if fn.page == "" and any(event in ("load", "tick") for _, event in fn.targets)}


def check_page_event(endpoint: str, loaded: str, quiet: str) -> Check:
    def check(outputs: Any) -> str | None:
        text = str(outputs)
        if endpoint == "/train_refresh":
            # A page that picked no run is shown the one in progress.
            ok = "detox-state-running" in str(outputs[0]) and loaded in text
        elif endpoint == "/train_page_load":
            ok = quiet in text and loaded in text
        elif endpoint == "/access_note":
            ok = outputs == ""  # an open local app has nothing to say about access
        else:  # a load event added later: answered is enough
            ok = True
        return None if ok else f"unexpected answer {text[:200]}"
    return check


def check_scores(expected: dict[str, float]) -> Check:
    def check(scores: Any) -> str | None:
        if not isinstance(scores, dict) or set(scores) != SCORE_KEYS:
            return f"wrong keys: {scores!r}"
        if not all(isinstance(v, float) and math.isfinite(v) for v in scores.values()):
            return f"not finite: {scores!r}"
        # The scores of the text this session sent, not another's: answers are not mixed up.
        if not all(math.isclose(scores[k], expected[k], rel_tol=1e-5, abs_tol=1e-6) for k in SCORE_KEYS):
            return f"{scores!r} differs from the quiet answer {expected!r}"
        return None
    return check


def check_listing(running: str, stopped: str) -> Check:
    def check(listed: Any) -> str | None:
        states = {r.get("run_id"): r.get("state") for r in listed or []}
        if states.get(running) != "running" or states.get(stopped) != "stopped":
            return f"expected {running} running and {stopped} stopped, got {states}"
        return None
    return check


def check_compare(n: int) -> Check:
    def check(rows: Any) -> str | None:
        if not isinstance(rows, list) or len(rows) != n:
            return f"expected {n} rows, got {rows!r:.200}"
        for r in rows:
            if set(r) != COMPARE_KEYS or not math.isclose(r["reward_diff"], r["reward_after"] - r["reward_before"],
                                                          abs_tol=1e-6):
                return f"bad row {r!r:.200}"
        return None
    return check


def step_of(runs_dir: Path, run_id: str) -> int:
    return int(runs.read_status(runs_dir / run_id).get("step") or 0)


def stop_and_wait(c: Client, runs_dir: Path, run_id: str) -> dict:
    assert "Stopping run" in c.predict(run_id, api_name="/stop_run")["message"]
    return wait_for(lambda: (s := runs.read_status(runs_dir / run_id))["state"] == "stopped" and s,
                    timeout=120, what=f"{run_id} stopped", every=0.25)


def complete_rows(runs_dir: Path, run_id: str, status: dict) -> list[dict]:
    """The run's metric rows, after checking that none is missing and that it saved on stop."""
    rows = runs.read_metrics(runs_dir / run_id)
    assert [r["step"] for r in rows] == list(range(1, status["step"] + 1))
    assert runs.list_checkpoints(runs_dir / run_id)[-1] == f"step-{status['step']}"
    return rows


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app, after a quiet run of BASELINE_STEPS (or a few more) was trained and stopped:
    the reference numbers, and the checkpoint that the compare calls use."""
    runs_dir = tmp_path_factory.mktemp("runs")
    with serve_locally(runs_dir) as (demo, url):
        c = client(url)
        quiet = c.predict(preset="tiny", steps=RUN_STEPS, api_name="/start_run")["run_id"]
        wait_for(lambda: step_of(runs_dir, quiet) >= BASELINE_STEPS, timeout=240,
                 what=f"{BASELINE_STEPS} quiet steps", every=0.2)
        rows = complete_rows(runs_dir, quiet, stop_and_wait(c, runs_dir, quiet))
        c.close()
        yield demo, url, runs_dir, quiet, rows


def test_thirty_sessions_while_training(app):
    demo, url, runs_dir, quiet, quiet_rows = app
    main = client(url)
    expected = {t: main.predict(t, api_name="/score_text") for t in EXAMPLES}  # the quiet answers
    assert len({round(e["nothate_logit"], 4) for e in expected.values()}) == len(EXAMPLES)  # told apart
    opening = page_events(demo)
    # Opening the page costs 3 queued events: every extra load event multiplies a room's wait.
    assert set(opening) == {"/train_refresh", "/train_page_load", "/access_note"}

    record = Record()
    everyone = SESSIONS + COMPARE_SESSIONS + 1
    connected, go = threading.Barrier(everyone), threading.Barrier(everyone)
    loaded: dict[str, str] = {}  # the run trained under load, started once every session is connected
    peak_waiting = [0]
    load_over = threading.Event()

    def user(i: int) -> None:
        c = client(url)
        connected.wait()
        go.wait()
        try:
            record.calls_at_once(c, opening, {name: check_page_event(name, loaded["id"], quiet) for name in opening})
            for r in range(ROUNDS):
                text = EXAMPLES[(i + r) % len(EXAMPLES)]
                record.call("/score_text", lambda: c.predict(text, api_name="/score_text"),
                            check_scores(expected[text]))
                record.call("/list_runs", lambda: c.predict(api_name="/list_runs"),
                            check_listing(loaded["id"], quiet))
        finally:
            c.close()

    def comparer() -> None:
        c = client(url)
        connected.wait()
        go.wait()
        try:
            record.call("/compare", lambda: c.predict(quiet, "", "test", COMPARE_N, "", 0, api_name="/compare"),
                        check_compare(COMPARE_N))
        finally:
            c.close()

    def watch_queue() -> None:
        # Events waiting for a worker: what the queue's max_size is compared with.
        while not load_over.is_set():
            peak_waiting[0] = max(peak_waiting[0], len(demo._queue))
            time.sleep(0.005)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(SESSIONS)]
    threads += [threading.Thread(target=comparer, daemon=True) for _ in range(COMPARE_SESSIONS)]
    watcher = threading.Thread(target=watch_queue, daemon=True)
    for t in threads + [watcher]:
        t.start()
    try:
        connected.wait(timeout=120)
        loaded["id"] = main.predict(preset="tiny", steps=RUN_STEPS, api_name="/start_run")["run_id"]
        wait_for(lambda: step_of(runs_dir, loaded["id"]) >= 1, timeout=120, what="the first step", every=0.1)
        go.wait(timeout=10)
        began, step_before = time.perf_counter(), step_of(runs_dir, loaded["id"])
        with pytest.raises(Exception, match="a run is already in progress"):
            main.predict(preset="tiny", steps=2, api_name="/start_run")
        for t in threads:
            t.join(timeout=300)
        wall, step_after = time.perf_counter() - began, step_of(runs_dir, loaded["id"])
    finally:
        # On a failure above, release the sessions still waiting to start.
        connected.abort()
        go.abort()
        load_over.set()
    watcher.join()
    assert not any(t.is_alive() for t in threads), "a session never got all its answers"

    status = stop_and_wait(main, runs_dir, loaded["id"])
    main.close()
    rows = complete_rows(runs_dir, loaded["id"], status)  # no metric row lost
    compared = min(len(rows), len(quiet_rows))

    expected_calls = SESSIONS * (len(opening) + 2 * ROUNDS) + COMPARE_SESSIONS
    answered = sum(1 for c in record.calls if not c.problem)
    report("load while training", [
        f"{SESSIONS} sessions (page opening: {len(opening)} events at once; then {ROUNDS} x score_text + "
        f"list_runs), {COMPARE_SESSIONS} compare sessions (n={COMPARE_N})",
        f"calls {len(record.calls)} of {expected_calls}, answered {answered}, errors {len(record.problems())}; "
        f"wall {wall:.1f} s",
        *record.table(),
        f"run {loaded['id']}: steps {step_before} -> {step_after} during the load ({step_after - step_before} "
        f"trained); stopped at step {status['step']}; rows 1-{compared} compared with the quiet run's "
        f"({max(0, min(compared, step_after) - step_before)} of them trained during the load)",
        f"peak events waiting in the queue: {peak_waiting[0]} (max_size {QUEUE_SIZE})",
    ])

    assert record.problems() == []
    assert len(record.calls) == expected_calls  # none lost
    assert step_after > step_before, "the run made no progress during the load"
    assert compared > step_before, "the compared rows do not reach into the load"
    for column in COMPARED_METRICS:
        assert [r[column] for r in rows[:compared]] == [r[column] for r in quiet_rows[:compared]], column
    assert peak_waiting[0] < QUEUE_SIZE


def test_full_queue_refuses_clearly_and_recovers(app):
    _, _, runs_dir, quiet, _ = app
    with serve_locally(runs_dir, queue_size=SMALL_QUEUE) as (_, url):
        clients = [client(url) for _ in range(FLOOD_CALLS)]
        gate = threading.Barrier(FLOOD_CALLS)
        outcomes: list[tuple[float, Any]] = []

        def flood(c: Client) -> None:
            gate.wait()
            start = time.perf_counter()
            try:
                result: Any = c.predict(quiet, "", "test", FLOOD_N, "", 0, api_name="/compare")
            except Exception as exc:  # noqa: BLE001 - the refusals are the point
                result = exc
            outcomes.append((time.perf_counter() - start, result))

        began = time.perf_counter()
        threads = [threading.Thread(target=flood, args=(c,), daemon=True) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        wall = time.perf_counter() - began

        # Afterwards the app serves as before.
        after = clients[0]
        rows_after = after.predict(quiet, "", "test", FLOOD_N, "", 0, api_name="/compare")
        scores_after = after.predict(EXAMPLES[0], api_name="/score_text")
        listed_after = after.predict(api_name="/list_runs")
        for c in clients:
            c.close()

    refused = [(s, r) for s, r in outcomes if isinstance(r, Exception)]
    accepted = [(s, r) for s, r in outcomes if not isinstance(r, Exception)]
    report(f"flood of a queue of {SMALL_QUEUE}", [
        f"{FLOOD_CALLS} simultaneous compare calls (n={FLOOD_N}, one at a time): accepted {len(accepted)}, "
        f"refused {len(refused)}; wall {wall:.1f} s",
        f"refusal: {refused[0][1]!s}" if refused else "refusal: none",
        f"refused within {max((s for s, _ in refused), default=0):.2f} s; accepted ones answered in "
        f"{min((s for s, _ in accepted), default=0):.2f}-{max((s for s, _ in accepted), default=0):.2f} s",
    ])
    assert len(outcomes) == FLOOD_CALLS
    assert refused, f"a queue of {SMALL_QUEUE} took {FLOOD_CALLS} simultaneous slow calls"
    assert {str(r) for _, r in refused} == {QUEUE_FULL}
    assert len(accepted) >= SMALL_QUEUE
    first = accepted[0][1]
    for _, rows in accepted:
        assert check_compare(FLOOD_N)(rows) is None and rows == first  # same seed, same rows
    assert rows_after == first
    assert set(scores_after) == SCORE_KEYS
    assert quiet in {r["run_id"] for r in listed_after}
