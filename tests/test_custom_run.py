"""A custom run from the Train tab (issue 24): every field checked as it is filled, Start greyed
until the checks pass, and a run that trains the named models on the named data."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from dashboard.allowed_sources import AllowedSources
from dashboard.custom_run import CUSTOM_FIELDS, check_custom, overrides
from dashboard.inputs import UserInputError
from dashboard.settings import equivalent_command
from dashboard.train_tab import TrainHandlers
from engine.config import ASSETS
from tests.test_model_families import tiny_bart

KEYS = [key for key, _, _ in CUSTOM_FIELDS]
TURNS = "#Person1#: Could you help me carry these boxes upstairs?\n#Person2#: Of course, give me the big one."


@pytest.fixture
def data_dir(tmp_path):
    return custom_data(tmp_path / "data")


def custom_data(root):
    """What an organiser puts in DETOX_DATA_DIR: a BART summarizer, a classifier whose labels are
    ok/toxic, and a CSV whose columns are conversation/gist."""
    tiny_bart(root / "bart")
    shutil.copytree(ASSETS / "tiny" / "reward", root / "classifier")
    config = json.loads((root / "classifier" / "config.json").read_text())
    config["id2label"], config["label2id"] = {"0": "ok", "1": "toxic"}, {"ok": 0, "toxic": 1}
    (root / "classifier" / "config.json").write_text(json.dumps(config))
    pd.DataFrame({"conversation": ["\n".join([TURNS] * (3 + i % 3)) for i in range(12)],
                  "gist": ["#Person2# helps carry boxes."] * 12}).to_csv(root / "mine.csv", index=False)
    return root


def filled(root, **changes) -> dict:
    values = {"model.policy": str(root / "bart"), "model.summary_adapter": "none",
              "model.reward_model": str(root / "classifier"), "model.reward_label": "-toxic",
              "data.dataset": str(root / "mine.csv"), "data.dialogue_column": "conversation",
              "data.summary_column": "gist", "run.judges": "profanity-check"}
    return {**values, **changes}


def test_every_field_is_checked_and_the_labels_are_offered(data_dir):
    rules = AllowedSources(("*",), None, data_dir)
    check = check_custom("tiny", filled(data_dir), rules)
    assert check.ok, check.problems
    assert check.labels == ["ok", "toxic"]
    assert check.notes["model.policy"] == "✓ a local folder"
    assert check.notes["model.reward_label"].startswith("✓ reward = minus its `toxic` logit")
    assert check.notes["data.dataset"].startswith("✓ 12 dialogues of 200 < length <= 1000 characters, "
                                                  "columns 'conversation' and 'gist'")
    # wrong kind, wrong label, wrong columns, each named at its field
    wrong = check_custom("tiny", filled(data_dir, **{"model.policy": str(data_dir / "classifier"),
                                                    "model.reward_label": "nothate",
                                                    "data.dialogue_column": "dialogue"}), rules)
    assert not wrong.ok
    assert "the policy must be" in wrong.notes["model.policy"]
    assert "'nothate' is not a label of the reward model (ok, toxic)" in wrong.notes["model.reward_label"]
    assert "set data.dialogue_column" in wrong.notes["data.dataset"]
    # missing, not allowed, outside the data folder, too big
    assert "no such folder" in check_custom("tiny", filled(data_dir, **{"model.policy": str(data_dir / "nope")}),
                                            rules).notes["model.policy"]
    assert "not in this machine's cache and not downloadable (offline mode is set)" in check_custom(
        "tiny", filled(data_dir, **{"model.policy": "acme/summarizer"}), rules).notes["model.policy"]
    only_bart = AllowedSources((str(data_dir / "bart"),), None, data_dir)
    assert "is not allowed on this app" in check_custom("tiny", filled(data_dir), only_bart).notes["model.reward_model"]
    elsewhere = AllowedSources(("*",), None, data_dir / "bart")
    assert "outside this app's data folder" in check_custom("tiny", filled(data_dir), elsewhere).notes["data.dataset"]
    small = AllowedSources(("*",), 1e-9, data_dir)
    assert "this app loads at most 1e-09 GB" in check_custom("tiny", filled(data_dir), small).notes["model.policy"]


@pytest.mark.slow
def test_the_custom_run_starts_through_the_runner_and_its_command_reproduces_it(ctx, data_dir):
    ctx.runner.sources = AllowedSources(("*",), None, data_dir)
    settings = {"ppo.steps": 2, **filled(data_dir)}
    command = equivalent_command("tiny", settings)
    assert f"--set model.policy={data_dir / 'bart'}" in command and "--set model.reward_label=-toxic" in command
    assert "--set data.dialogue_column=conversation" in command and "--set 'run.judges=[" not in command
    started = ctx.runner.start("tiny", settings)
    cfg = json.loads((started.run_dir / "config.json").read_text())
    assert cfg["model"]["policy"] == str(data_dir / "bart") and cfg["model"]["reward_label"] == "-toxic"
    assert cfg["model"]["summary_adapter"] is None and cfg["data"]["summary_column"] == "gist"
    assert cfg["run"]["judges"] == ["profanity-check"]
    # the server refuses what the form would grey out, whoever calls
    ctx.runner.sources = AllowedSources(("google/*",), None, data_dir)
    with pytest.raises(UserInputError, match="this custom run cannot start:\n- model.policy: policy .* is not allowed"):
        ctx.runner.start("tiny", settings)


def test_the_form_greys_start_until_the_checks_pass(ctx, data_dir):
    ctx.runner.sources = AllowedSources(("*",), None, data_dir)
    h = TrainHandlers(ctx)
    values = filled(data_dir, **{"model.reward_label": ""})
    box, *fields, note, start = h.custom_checked("tiny", True, values)
    assert box["visible"] is True and start["interactive"] is False  # the default rule 'nothate' has no label here
    assert fields[KEYS.index("model.reward_label")]["choices"] == ["ok", "toxic", "-ok", "-toxic"]
    box, *fields, note, start = h.custom_checked("tiny", True, filled(data_dir))
    assert start["interactive"] is True and "Every check passed" in note
    assert h.custom_checked("tiny", False, values)[0]["visible"] is False
    assert overrides({"run.judges": "profanity-check, s-nlp/x", "model.summary_adapter": "none"}) == \
        {"run.judges": ["profanity-check", "s-nlp/x"], "model.summary_adapter": None}


def test_the_equivalent_command_trains_evaluates_and_exports_the_custom_models(tmp_path, data_dir):
    """What the custom form starts, run from its equivalent command: BART as the policy, a
    classifier with a toxic label read through "-toxic", data under other column names; then
    compared, evaluated and exported as any run."""
    import shlex

    from engine.data import prompts_from
    from engine.evaluate import main as evaluate_main
    from engine.evaluation import compare
    from engine.export import main as export_main
    from engine.loading import load_run_models
    from engine.train import main as train_main
    from tests.dashboard_helpers import trainer_in_this_process

    runs_dir = tmp_path / "runs"
    argv = shlex.split(equivalent_command("tiny", {"ppo.steps": 2, **filled(data_dir)}, runs_dir))
    assert argv[:3] == ["python", "-m", "engine.train"]
    with trainer_in_this_process():
        assert train_main(argv[3:]) == 0
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    models = load_run_models(run_dir)
    assert type(models.policy.model.base_model.model).__name__ == "BartForConditionalGeneration"
    rows = compare(models, prompts_from("test", models.cfg.data, models.tokenizer, 2), seed=0)
    assert len(rows) == 2 and all(0 <= r["toxicity_after"] <= 1 for r in rows)
    assert evaluate_main([str(run_dir), "--samples", "2", "--samples-per-prompt", "1"]) == 0
    out = tmp_path / "export"
    assert export_main([str(run_dir), "--out", str(out)]) == 0
    card = (out / "README.md").read_text()
    assert "reward = minus its `toxic` logit" in card and "toxicity = P(`toxic`)" in card
