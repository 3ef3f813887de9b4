"""Reward = the `nothate` logit picked by label name; toxicity = P(hate); batching keeps order."""

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
    assert scores.nothate_logit[0].item() == pytest.approx(logits[nothate].item(), abs=1e-5)
    assert scores.hate_logit[0].item() == pytest.approx(logits[hate].item(), abs=1e-5)
    assert scores.toxicity[0].item() == pytest.approx(torch.softmax(logits, -1)[hate].item(), abs=1e-6)


def test_labels_are_found_by_name_whatever_their_order(reward):
    swapped = RewardModel(reward.model, reward.tokenizer)
    assert (swapped.nothate, swapped.hate) == (0, 1)
    assert label_index({0: "hate", 1: "nothate"}, "nothate") == 1
    assert label_index({"0": "HATE", "1": "NOTHATE"}, "hate") == 0
    with pytest.raises(ModelError, match="needs a 'nothate' label"):
        label_index({0: "negative", 1: "positive"}, "nothate")


def test_batched_scores_come_back_in_input_order(reward):
    texts = [HATEFUL, "", "ok", FRIENDLY * 3, "Shut up, you pathetic clown.", "hello " * 50]
    reward.batch_size = 2  # several length-sorted batches
    together = reward.score(texts)
    alone = torch.stack([reward.score([t]).nothate_logit[0] for t in texts])
    assert torch.allclose(together.nothate_logit, alone, atol=1e-5)
    assert torch.all((together.toxicity >= 0) & (together.toxicity <= 1))


def test_long_and_empty_texts_are_scored(reward):
    scores = reward.score(["word " * 5000, ""])
    assert torch.isfinite(scores.nothate_logit).all() and scores.nothate_logit.shape == (2,)


def test_reward_input_choice():
    assert reward_texts(["Q1 ", "Q2 "], ["a", "b"], "response") == ["a", "b"]
    assert reward_texts(["Q1 ", "Q2 "], ["a", "b"], "query+response") == ["Q1 a", "Q2 b"]
    with pytest.raises(ValueError):
        reward_texts(["q"], ["r"], "summary")
