"""PPO invariants on the tiny preset: exact zero KL at step 0, ratio 1 on the first minibatch,
only LoRA and value head change, padding-invariant log-probs, a learnable synthetic reward,
and repeatability."""

import pytest
import torch

from engine.config import resolve
from engine.data import load_prompts
from engine.models import load_policy, pick_dtype
from engine.ppo import PPOTrainer, policy_forward, reference_logprobs
from engine.reward import load_reward_model

CPU = torch.device("cpu")


def make_trainer(overrides=(), score_fn=None):
    cfg = resolve("tiny", list(overrides))
    policy, tok = load_policy(cfg.model, CPU, pick_dtype("auto", CPU), seed=cfg.ppo.seed)
    if score_fn is None:
        score_fn = load_reward_model(cfg.model, CPU, torch.float32).score_fn(cfg.ppo.reward_input)
    data = load_prompts(cfg.data, tok)
    return PPOTrainer(cfg, policy, tok, score_fn), data


def batch(data, n, offset=0):
    rows = data.train[offset:offset + n]
    return [r.input_ids for r in rows], [r.query for r in rows]


def test_first_step_has_exactly_zero_kl_and_ratio_one_on_the_first_minibatch():
    trainer, data = make_trainer(["ppo.batch_size=8", "ppo.mini_batch_size=4", "ppo.ppo_epochs=2"])
    stats, rollout, scores = trainer.step(*batch(data, 8))
    assert stats["objective/kl"] == 0.0
    assert trainer.last_minibatch_stats[0]["ppo/policy/ratio_max_dev"].item() == 0.0
    # later minibatches see updated weights, so their ratio moves: the check above is not vacuous
    assert max(s["ppo/policy/ratio_max_dev"].item() for s in trainer.last_minibatch_stats[1:]) > 0
    assert len(trainer.last_minibatch_stats) == 4  # 2 epochs x 2 minibatches
    assert len(rollout.responses) == 8 and scores.shape == (8,)


def test_step_changes_only_lora_and_value_head():
    trainer, data = make_trainer()
    before = {n: p.detach().clone() for n, p in trainer.policy.named_parameters()}
    trainer.step(*batch(data, 8))
    changed = {n for n, p in trainer.policy.named_parameters() if not torch.equal(p, before[n])}
    assert changed, "nothing was trained"
    assert all("lora_" in n or n.startswith("v_head") for n in changed), sorted(changed)[:5]
    assert any("lora_B" in n for n in changed) and any(n.startswith("v_head") for n in changed)
    frozen = [n for n, p in trainer.policy.named_parameters() if not p.requires_grad]
    assert frozen and not any("lora_" in n for n in frozen)


def test_reference_is_the_merged_summary_model_and_policy_starts_equal_to_it():
    trainer, data = make_trainer()
    ids, _ = batch(data, 3)
    from engine.ppo import pad_right

    q, qm = pad_right(ids, 0, CPU)
    r = torch.tensor([[0, 5, 9, 12, 1], [0, 7, 7, 1, 0], [0, 3, 4, 5, 6]])
    with torch.no_grad():
        lp, _ = policy_forward(trainer.policy, q, qm, r)
        ref = reference_logprobs(trainer.policy, q, qm, r)
    assert torch.equal(lp, ref)


def test_logprobs_do_not_depend_on_padding_or_batch_size():
    trainer, data = make_trainer()
    from engine.ppo import pad_right

    ids, _ = batch(data, 3)
    responses = [[0, 5, 9, 12, 30, 1], [0, 7, 1], [0, 3, 4, 5]]
    q, qm = pad_right(ids, 0, CPU)
    r, rm = pad_right(responses, 0, CPU)
    with torch.no_grad():
        together, values = policy_forward(trainer.policy, q, qm, r)
        for i in range(3):
            alone_q, alone_qm = pad_right([ids[i]], 0, CPU)
            alone_r, _ = pad_right([responses[i]], 0, CPU)
            lp, v = policy_forward(trainer.policy, alone_q, alone_qm, alone_r)
            n = len(responses[i]) - 1
            assert torch.allclose(lp[0, :n], together[i, :n], atol=1e-5)
            assert torch.allclose(v[0, :n], values[i, :n], atol=1e-5)
        # extra padding on the prompt side changes nothing either
        wide_q, wide_qm = pad_right([ids[0], [1] * (len(ids[0]) + 40)], 0, CPU)
        lp_wide, _ = policy_forward(trainer.policy, wide_q[:1], wide_qm[:1], r[:1])
        assert torch.allclose(lp_wide[0, :5], together[0, :5], atol=1e-5)


@pytest.mark.slow
def test_synthetic_reward_rises_within_a_few_dozen_steps():
    """Reward = 10 x the share of response tokens from a fixed set: PPO must learn to emit them.

    The set is the fifth of the vocabulary whose output embeddings point most along one fixed
    random direction, so a random-weight policy can reach it by moving its hidden state one way
    (a set of unrelated random tokens barely moves in 30 steps of a 400k-parameter model).
    """
    trainer, data = make_trainer(["ppo.batch_size=16", "ppo.mini_batch_size=4", "ppo.learning_rate=3e-3",
                                  "ppo.init_kl_coef=0.05"], score_fn=lambda *args: None)
    lm_head = trainer.policy.model.get_base_model().lm_head.weight.detach()  # (V, d_model)
    direction = torch.randn(lm_head.shape[1], generator=torch.Generator().manual_seed(0))
    target = (lm_head @ direction).topk(lm_head.shape[0] // 5).indices

    def share_of_target_tokens(queries, responses, response_ids):
        generated = response_ids[:, 1:]
        real = generated != 0
        hits = torch.isin(generated, target) & real
        return hits.sum(1).float() / real.sum(1).clamp(min=1) * 10, None

    trainer.score_fn = share_of_target_tokens
    means = []
    for step in range(30):
        stats, _, _ = trainer.step(*batch(data, 16, offset=(step * 16) % 32))
        means.append(stats["env/reward_mean"])
    first, last = sum(means[:5]) / 5, sum(means[-5:]) / 5
    assert last > first + 1.0, f"reward did not rise: first {first:.2f}, last {last:.2f}, all {means}"


def test_same_seed_same_numbers():
    def run():
        trainer, data = make_trainer(["ppo.seed=7"])
        rows = [trainer.step(*batch(data, 8, offset=8 * i))[0] for i in range(2)]
        return [{k: v for k, v in row.items() if not k.startswith("time/")} for row in rows]

    assert run() == run()


def test_a_non_finite_reward_stops_the_step_with_a_clear_error():
    from engine.ppo import NonFiniteError

    trainer, data = make_trainer(score_fn=lambda q, r, ids: (torch.full((len(r),), float("nan")), None))
    with pytest.raises(NonFiniteError, match="env/reward_mean.*became non-finite"):
        trainer.step(*batch(data, 8))


def test_a_step_writes_every_metric_the_dashboard_reads():
    """engine/schema.py names what health, plots, the listing and the model card read: a real
    step must write each one."""
    from engine import schema

    trainer, data = make_trainer(["ppo.batch_size=4", "ppo.mini_batch_size=4"])
    stats, _, _ = trainer.step(*batch(data, 4))
    assert set(schema.READ_BY_THE_DASHBOARD) <= set(stats), set(schema.READ_BY_THE_DASHBOARD) - set(stats)
