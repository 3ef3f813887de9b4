"""Reward = the `nothate` logit picked by label name (or another label rule); toxicity = P(hate);
batching keeps order."""

import pytest
import torch

from engine.config import preset
from engine.models import ModelError
from engine.reward import RewardModel, label_index, load_reward_model, reward_texts

CPU = torch.device("cpu")
HATEFUL = "You are a useless idiot, shut up."
FRIENDLY = "Thank you for your help, have a nice day."


@pytest.fixture(scope="module")
def reward():
    return load_reward_model(preset("tiny").model, CPU, torch.float32)


def test_reward_is_the_nothate_logit_even_on_a_text_the_classifier_finds_hateful(reward):
    scores = reward.score([HATEFUL, FRIENDLY])
    assert scores.toxicity[0] > 0.5 > scores.toxicity[1]
    # on the hateful text the *largest* logit is `hate`: position-based picking (the notebook's
    # bug) would reward it; the reward must be the nothate logit, the smaller one here
    enc = reward.tokenizer([HATEFUL], return_tensors="pt")
    logits = reward.model(**enc).logits[0]
    nothate, hate = reward.model.config.label2id["nothate"], reward.model.config.label2id["hate"]
    assert logits[hate] > logits[nothate]
    assert scores.logit("nothate")[0].item() == pytest.approx(logits[nothate].item(), abs=1e-5)
    assert scores.logit("hate")[0].item() == pytest.approx(logits[hate].item(), abs=1e-5)
    assert scores.toxicity[0].item() == pytest.approx(torch.softmax(logits, -1)[hate].item(), abs=1e-6)


def test_labels_are_found_by_name_whatever_their_order(reward):
    swapped = RewardModel(reward.model, reward.tokenizer)
    assert swapped.index == 0 and swapped.labels == ["nothate", "hate"]
    assert label_index({0: "hate", 1: "nothate"}, "nothate") == 1
    assert label_index({"0": "HATE", "1": "NOTHATE"}, "hate") == 0
    with pytest.raises(ModelError, match="needs a 'nothate' label"):
        label_index({0: "negative", 1: "positive"}, "nothate")


def test_batched_scores_come_back_in_input_order(reward):
    texts = [HATEFUL, "", "ok", FRIENDLY * 3, "Shut up, you pathetic clown.", "hello " * 50]
    reward.batch_size = 2  # several length-sorted batches
    together = reward.score(texts)
    alone = torch.stack([reward.score([t]).reward[0] for t in texts])
    assert torch.allclose(together.reward, alone, atol=1e-5)
    assert torch.all((together.toxicity >= 0) & (together.toxicity <= 1))


def test_long_and_empty_texts_are_scored(reward):
    scores = reward.score(["word " * 5000, ""])
    assert torch.isfinite(scores.reward).all() and scores.reward.shape == (2,)


def test_reward_input_choice():
    assert reward_texts(["Q1 ", "Q2 "], ["a", "b"], "response") == ["a", "b"]
    assert reward_texts(["Q1 ", "Q2 "], ["a", "b"], "query+response") == ["Q1 a", "Q2 b"]
    with pytest.raises(ValueError):
        reward_texts(["q"], ["r"], "summary")


def _classifier(tmp_path, labels: list[str], problem_type: str | None = None):
    """The tiny reward model's weights under other label names (and a multi-label flag)."""
    import json
    import shutil

    from engine.config import ASSETS

    folder = tmp_path / "classifier"
    shutil.copytree(ASSETS / "tiny" / "reward", folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {str(i): name for i, name in enumerate(labels)}
    config["label2id"] = {name: i for i, name in enumerate(labels)}
    if problem_type:
        config["problem_type"] = problem_type
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("labels, rule, problem_type", [
    (["ok", "toxic"], "-toxic", None),  # a classifier with a toxic label: reward = minus its logit
    (["clean", "insult"], "clean", None),  # another name for the polite side
    (["obscene", "toxic"], "-toxic", "multi_label_classification"),  # sigmoid of the label, not softmax
])
def test_any_label_rule_reads_the_classifiers_own_labels(tmp_path, reward, labels, rule, problem_type):
    from engine.config import resolve
    from engine.reward import LabelRule

    cfg = resolve("tiny", [f"model.reward_model={_classifier(tmp_path, labels, problem_type)}",
                           f"model.reward_label={rule}"])
    other = load_reward_model(cfg.model, CPU, torch.float32)
    seed = reward.score([HATEFUL, FRIENDLY])  # the same weights as nothate (0) / hate (1)
    got = other.score([HATEFUL, FRIENDLY])
    parsed = LabelRule.parse(rule)
    k = labels.index(parsed.label)
    assert torch.allclose(got.reward, parsed.sign * seed.logits[:, k])
    p = seed.logits[:, k].sigmoid() if problem_type else seed.logits.softmax(-1)[:, k]
    assert torch.allclose(got.toxicity, p if parsed.sign < 0 else 1 - p, atol=1e-6)
    assert got.toxicity[0] > got.toxicity[1]  # the rude text is the toxic one, by every rule here


def test_a_rule_naming_no_label_is_refused_by_name(tmp_path):
    from engine.config import resolve
    from engine.preflight import check_model_paths

    cfg = resolve("tiny", [f"model.reward_model={_classifier(tmp_path, ['ok', 'toxic'])}"])  # still "nothate"
    with pytest.raises(Exception, match=r"labels \['ok', 'toxic'\]; the reward rule model.reward_label='nothate' "
                                        r"needs a 'nothate' label"):
        check_model_paths(cfg)
    with pytest.raises(ModelError, match="needs a 'nothate' label"):
        load_reward_model(cfg.model, CPU, torch.float32)
