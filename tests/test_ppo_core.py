"""The pure PPO helpers against plain torch and hand-computed numbers."""

import pytest
import torch

from engine.ppo import (AdaptiveKLController, FixedKLController, LengthSampler, compute_gae,
                        kl_penalized_rewards, logprobs_from_logits, masked_mean, masked_var, masked_whiten,
                        ppo_losses, response_mask_from)

MASK = torch.tensor([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
VALS = torch.tensor([[1.0, 2.0, 3.0, 100.0], [4.0, 5.0, -50.0, 7.0]])


def test_masked_mean_and_var_match_plain_torch_on_the_unmasked_elements():
    kept = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    assert masked_mean(VALS, MASK) == pytest.approx(kept.mean().item())
    assert masked_var(VALS, MASK) == pytest.approx(kept.var(unbiased=True).item())
    assert masked_var(VALS, MASK, unbiased=False) == pytest.approx(kept.var(unbiased=False).item())
    assert masked_mean(VALS, MASK, dim=1).tolist() == pytest.approx([2.0, 4.5])


def test_masked_whiten_gives_zero_mean_unit_variance_on_the_mask():
    w = masked_whiten(VALS, MASK)
    kept = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    expected = (kept - kept.mean()) / kept.std(unbiased=True)
    assert w[MASK.bool()].tolist() == pytest.approx(expected.tolist(), abs=1e-5)
    unshifted = masked_whiten(VALS, MASK, shift_mean=False)
    assert masked_mean(unshifted, MASK) == pytest.approx(kept.mean().item(), abs=1e-5)


def test_logprobs_from_logits_equals_log_softmax_gather():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 11)
    labels = torch.randint(0, 11, (3, 5))
    expected = torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(logprobs_from_logits(logits, labels), expected, atol=1e-6)
    assert torch.allclose(logprobs_from_logits(logits.bfloat16(), labels),
                          torch.log_softmax(logits.bfloat16().float(), -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1),
                          atol=1e-5)


def test_gae_matches_hand_computed_values():
    rewards = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 99.0]])
    values = torch.tensor([[0.5, 0.5, 0.5], [0.5, 0.5, 7.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    adv, ret = compute_gae(rewards, values, mask, gamma=1.0, lam=0.95)
    # row 0: delta = r_t + V_{t+1} - V_t; A_t = delta_t + 0.95 A_{t+1}
    assert adv[0].tolist() == pytest.approx([1 + 0.95 * (2 + 0.95 * 2.5), 2 + 0.95 * 2.5, 2.5])
    assert ret[0].tolist() == pytest.approx([5.65625, 4.875, 3.0])
    # row 1: the padded step (reward 99, value 7) must not leak into real steps
    assert adv[1, :2].tolist() == pytest.approx([1 + 0.95 * 1.5, 1.5])
    # gamma < 1 discounts the next value
    adv_g, _ = compute_gae(rewards[:1], values[:1], mask[:1], gamma=0.5, lam=1.0)
    assert adv_g[0, 2].item() == pytest.approx(2.5)
    assert adv_g[0, 1].item() == pytest.approx((2 + 0.5 * 0.5 - 0.5) + 0.5 * 2.5)


def test_kl_penalized_rewards_put_the_score_on_the_last_real_token():
    logp = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, -1.0, -1.0]])
    ref = torch.tensor([[-1.5, -2.0, -2.0], [-1.0, -2.0, -5.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    scores = torch.tensor([10.0, 20.0])
    rewards, kl = kl_penalized_rewards(scores, logp, ref, mask, kl_coef=0.1)
    assert torch.allclose(kl, torch.tensor([[0.5, 0.0, -1.0], [0.0, 1.0, 0.0]]))
    assert torch.allclose(rewards, torch.tensor([[-0.05, 0.0, 0.1 + 10.0], [0.0, -0.1 + 20.0, 0.0]]))


def test_ppo_losses_ratio_one_and_clipping_by_hand():
    mask = torch.ones(1, 2)
    adv = torch.tensor([[1.0, -1.0]])
    old_lp = torch.tensor([[-1.0, -1.0]])
    values = torch.tensor([[0.0, 0.0]])
    returns = torch.tensor([[1.0, 1.0]])
    pg, vf, stats = ppo_losses(old_lp, values, old_lp.clone(), values.clone(), mask, adv, returns, 0.2, 0.2)
    assert pg.item() == pytest.approx(0.0)  # -mean(adv * 1)
    assert vf.item() == pytest.approx(0.5)  # 0.5 * mean((0 - 1)^2)
    assert stats["ppo/policy/clipfrac"].item() == 0.0
    assert stats["ppo/policy/ratio_max_dev"].item() == 0.0
    # ratio e^0.5 = 1.6487 on both tokens: token 0 (adv +1) is clipped at 1.2, token 1 (adv -1) is not
    new_lp = old_lp + 0.5
    vpred = torch.tensor([[0.5, 0.1]])  # token 0 moves beyond the 0.2 value clip
    pg, vf, stats = ppo_losses(old_lp, values, new_lp, vpred, mask, adv, returns, 0.2, 0.2)
    r = torch.exp(torch.tensor(0.5)).item()
    assert pg.item() == pytest.approx((-1.2 + r) / 2, rel=1e-5)
    assert stats["ppo/policy/clipfrac"].item() == pytest.approx(0.5)
    # value: token 0 max((0.5-1)^2, (0.2-1)^2) = 0.64; token 1 max((0.1-1)^2, (0.1-1)^2) = 0.81
    assert vf.item() == pytest.approx(0.5 * (0.64 + 0.81) / 2, rel=1e-5)
    assert stats["ppo/val/clipfrac"].item() == pytest.approx(0.5)
    assert stats["ppo/policy/approxkl"].item() == pytest.approx(0.5 * 0.25)


def test_adaptive_kl_controller_follows_ziegler_et_al():
    ctl = AdaptiveKLController(0.2, target=6.0, horizon=10000)
    ctl.update(current_kl=12.0, n_steps=16)  # error clipped to +0.2
    assert ctl.value == pytest.approx(0.2 * (1 + 0.2 * 16 / 10000))
    ctl = AdaptiveKLController(0.2, target=6.0, horizon=10000)
    ctl.update(current_kl=5.4, n_steps=16)  # error -0.1
    assert ctl.value == pytest.approx(0.2 * (1 - 0.1 * 16 / 10000))
    fixed = FixedKLController(0.3)
    fixed.update(100.0, 16)
    assert fixed.value == 0.3


def test_response_mask_stops_at_eos_or_the_drawn_length():
    eos = 1
    generated = torch.tensor([[5, 6, 1, 0, 0], [5, 6, 7, 8, 9], [1, 0, 0, 0, 0]])
    mask = response_mask_from(generated, torch.tensor([5, 3, 4]), eos)
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]]


def test_length_sampler_is_seeded_and_in_range():
    a, b = LengthSampler(100, 400, seed=3)(50), LengthSampler(100, 400, seed=3)(50)
    assert a == b and min(a) >= 100 and max(a) < 400
