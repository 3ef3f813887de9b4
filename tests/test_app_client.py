"""The real app on 127.0.0.1 with the tiny preset, driven through gradio_client: start a run,
watch rows arrive, stop it, compare 4 dialogues, score a text."""
from __future__ import annotations

import math

import pytest

from tests.dashboard_helpers import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(served_app):
    demo, _, client = served_app
    return demo, client


def test_api_is_documented(app):
    _, client = app
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/start_run", "/stop_run", "/list_runs", "/compare", "/score_text", "/run_status"):
        assert name in endpoints
    assert "/train_refresh" not in endpoints  # UI plumbing is callable but not advertised


def test_train_stop_compare_score(app):
    demo, client = app
    started = client.predict(preset="tiny", steps=300, api_name="/start_run")
    run_id = started["run_id"]
    assert started["command"] == "python -m engine.train --preset tiny --steps 300" + \
        f" --runs-dir {demo.dashboard.runs_dir}"
    with pytest.raises(Exception, match="a run is already in progress"):
        client.predict(preset="tiny", steps=2, api_name="/start_run")

    status = wait_for(lambda: (s := client.predict(run_id, api_name="/run_status"))["metric_rows"] >= 2 and s,
                      timeout=90, what="metrics rows", every=0.25)
    assert status["status"]["state"] == "running"
    assert math.isfinite(status["last_metrics"]["objective/kl"])

    # The Train tab's timer endpoint shows the run in progress even to a page that picked none.
    progress, *_ = client.predict(None, [], ["Toxicity"], {}, api_name="/train_refresh")
    assert "Training" in progress

    assert "Stopping run" in client.predict(api_name="/stop_run")["message"]
    final = wait_for(lambda: (s := client.predict(run_id, api_name="/run_status"))["status"]["state"] == "stopped"
                     and s, timeout=60, what="state stopped", every=0.25)
    assert final["checkpoints"][-1] == f"step-{final['status']['step']}"  # saved on stop
    listed = client.predict(api_name="/list_runs")
    assert [r["run_id"] for r in listed] == [run_id] and listed[0]["state"] == "stopped"

    rows = client.predict(run_id, "", "test", 4, "", 0, api_name="/compare")
    assert len(rows) == 4
    diffs = [r["reward_diff"] for r in rows]
    assert diffs == sorted(diffs, reverse=True)
    for r in rows:
        assert set(r) >= {"query", "response_before", "response_after", "reward_before", "reward_after", "reward_diff"}
        assert math.isclose(r["reward_diff"], r["reward_after"] - r["reward_before"], abs_tol=1e-6)
        assert set(r["judges_before"]) == set(r["judges_after"]) == {"profanity-check"}  # the tiny preset's judge
    again = client.predict(run_id, "", "test", 4, "", 0, api_name="/compare")
    assert again == rows  # same seed, same samples

    with pytest.raises(Exception, match="paste a dialogue first"):
        client.predict(run_id, "", "paste", 1, "  ", 0, api_name="/compare")

    scores = client.predict("You are a useless idiot and everybody is sick of you.", api_name="/score_text")
    assert set(scores) == {"nothate_logit", "hate_logit", "toxicity"}
    assert all(isinstance(v, float) for v in scores.values())
    assert 0.0 <= scores["toxicity"] <= 1.0
    assert math.isclose(scores["toxicity"], 1 / (1 + math.exp(scores["nothate_logit"] - scores["hate_logit"])),
                        rel_tol=1e-4)


def test_an_rloo_run_through_the_api_trains_compares_and_reports_trls_names(app):
    demo, client = app
    started = client.predict(preset="tiny", steps=4, settings={"ppo.algorithm": "rloo", "ppo.samples_per_prompt": 2},
                             api_name="/start_run")
    assert "--algorithm rloo --steps 4 --set ppo.samples_per_prompt=2" in started["command"]
    run_id = started["run_id"]
    final = wait_for(lambda: (s := client.predict(run_id, api_name="/run_status"))["status"]["state"] == "finished"
                     and s, timeout=120, what="state finished", every=0.25)
    assert final["last_metrics"]["kl"] is not None and "objective/kl" not in final["last_metrics"]
    assert final["checkpoints"] == ["final"]
    listed = {r["run_id"]: r for r in client.predict(api_name="/list_runs")}
    assert listed[run_id]["algorithm"] == "rloo"
    rows = client.predict(run_id, "", "test", 2, "", 0, api_name="/compare")  # a checkpoint without a value head
    assert len(rows) == 2 and all(math.isfinite(r["reward_diff"]) for r in rows)
