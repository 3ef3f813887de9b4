"""RLOO and GRPO (engine/rloo_grpo.py): the group advantages against hand-computed groups, the
loss and the k3 KL against plain torch, and the invariants of a real step on the tiny preset
(exact zero KL at step 1, ratio 1 on the first minibatch, only LoRA changes, no value head
anywhere, same seed same numbers)."""

import math

import pytest
import torch

from engine import runs, schema
from engine.config import ConfigError, resolve
from engine.data import load_prompts
from engine.models import Policy, load_policy, pick_dtype
from engine.reward import load_reward_model
from engine.rloo_grpo import GroupTrainer, clipped_surrogate, grpo_advantages, k3_kl, rloo_advantages

CPU = torch.device("cpu")


# --- advantages against groups computed by hand ----------------------------------------------

def test_rloo_subtracts_the_mean_of_the_other_rewards_of_the_group():
    rewards = torch.tensor([1.0, 2.0, 3.0, 6.0, 5.0, 5.0, 5.0, 5.0])
    # group 1: sum 12; 1 - 11/3, 2 - 10/3, 3 - 9/3, 6 - 6/3. Group 2: all equal, no signal.
    expected = torch.tensor([1 - 11 / 3, 2 - 10 / 3, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0])
    assert torch.allclose(rloo_advantages(rewards, 4), expected)


def test_rloo_with_two_samples_is_their_difference():
    assert torch.equal(rloo_advantages(torch.tensor([1.0, 3.0, -2.0, -2.0]), 2), torch.tensor([-2.0, 2.0, 0.0, 0.0]))


def test_grpo_scales_by_the_group_std_and_a_group_of_equal_rewards_gets_zero():
    scores = torch.tensor([1.0, 2.0, 3.0, 6.0, 5.0, 5.0, 5.0, 5.0])
    std = math.sqrt((4 + 1 + 0 + 9) / 3)  # unbiased, around the mean 3
    expected = torch.tensor([-2 / (std + 1e-4), -1 / (std + 1e-4), 0.0, 3 / (std + 1e-4), 0, 0, 0, 0])
    got = grpo_advantages(scores, 4)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.equal(got[4:], torch.zeros(4))  # std 0: exactly zero, not a division by zero


def test_grpo_with_two_samples_is_plus_and_minus_one_over_sqrt_two():
    got = grpo_advantages(torch.tensor([1.0, 3.0]), 2)
    a = 1 / (math.sqrt(2) + 1e-4)
    assert torch.allclose(got, torch.tensor([-a, a]))


# --- the loss and the KL against plain torch -------------------------------------------------

def test_k3_matches_its_formula_is_zero_at_equal_log_probs_and_never_negative():
    torch.manual_seed(0)
    logp, ref = torch.randn(3, 5), torch.randn(3, 5)
    r = ref - logp
    assert torch.allclose(k3_kl(logp, ref), r.exp() - r - 1)
    assert torch.equal(k3_kl(logp, logp), torch.zeros(3, 5))
    assert (k3_kl(logp, ref) >= 0).all()


def _plain_surrogate(logp, old, adv, mask, eps, ref=None, beta=0.0):
    total, n = 0.0, 0
    for i in range(len(logp)):
        for t in range(len(logp[0])):
            if mask[i][t]:
                ratio = math.exp(logp[i][t] - old[i][t])
                loss = max(-adv[i] * ratio, -adv[i] * min(max(ratio, 1 - eps), 1 + eps))
                if ref is not None:
                    d = ref[i][t] - logp[i][t]
                    loss += beta * (math.exp(d) - d - 1)
                total, n = total + loss, n + 1
    return total / n


@pytest.mark.parametrize("with_kl", [False, True])
def test_the_clipped_surrogate_is_normalised_over_all_tokens_of_the_minibatch(with_kl):
    torch.manual_seed(1)
    logp, old, ref = torch.randn(4, 6) * 0.3, torch.randn(4, 6) * 0.3, torch.randn(4, 6) * 0.3
    adv = torch.tensor([1.5, -0.5, 0.0, -2.0])
    mask = torch.tensor([[1] * 6, [1] * 2 + [0] * 4, [1] * 4 + [0] * 2, [1] + [0] * 5]).float()
    loss, stats = clipped_surrogate(logp, old, adv, mask, 0.2, ref if with_kl else None, beta=0.1)
    expected = _plain_surrogate(logp.tolist(), old.tolist(), adv.tolist(), mask.tolist(), 0.2,
                                ref.tolist() if with_kl else None, 0.1)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert 0 < stats["clip_ratio"].item() < 1


# --- a real step on the tiny preset ----------------------------------------------------------

def make_trainer(algorithm, overrides=(), score_fn=None):
    cfg = resolve("tiny", [f"ppo.algorithm={algorithm}", "ppo.samples_per_prompt=4", *overrides])
    policy, tok = load_policy(cfg.model, CPU, pick_dtype("auto", CPU), seed=cfg.ppo.seed, value_head=False)
    if score_fn is None:
        score_fn = load_reward_model(cfg.model, CPU, torch.float32).score_fn(cfg.ppo.reward_input)
    return GroupTrainer(cfg, policy, tok, score_fn), load_prompts(cfg.data, tok)


def prompts(data, n, offset=0):
    rows = data.train[offset:offset + n]
    return [r.input_ids for r in rows], [r.query for r in rows]


@pytest.mark.parametrize("algorithm", ["rloo", "grpo"])
def test_first_step_has_exactly_zero_kl_and_ratio_one_on_the_first_minibatch(algorithm):
    trainer, data = make_trainer(algorithm, ["ppo.batch_size=8", "ppo.mini_batch_size=4", "ppo.ppo_epochs=2"])
    stats, rollout, scores = trainer.step(*prompts(data, 2))
    assert stats["kl"] == 0.0
    assert trainer.last_minibatch_stats[0]["ratio_max_dev"].item() == 0.0
    assert max(s["ratio_max_dev"].item() for s in trainer.last_minibatch_stats[1:]) > 0  # not vacuous
    assert len(trainer.last_minibatch_stats) == 4  # 2 epochs x 2 minibatches
    # 2 prompts x 4 summaries, each prompt's group in consecutive rows
    assert len(rollout.responses) == 8 and scores.shape == (8,)
    assert rollout.queries == [rollout.queries[0]] * 4 + [rollout.queries[4]] * 4
    assert rollout.queries[0] != rollout.queries[4]


@pytest.mark.parametrize("algorithm", ["rloo", "grpo"])
def test_a_step_changes_only_the_lora_and_there_is_no_value_head(algorithm):
    trainer, data = make_trainer(algorithm)
    assert type(trainer.policy) is Policy and not hasattr(trainer.policy, "v_head")
    before = {n: p.detach().clone() for n, p in trainer.policy.named_parameters()}
    stats, _, _ = trainer.step(*prompts(data, 2))
    changed = {n for n, p in trainer.policy.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed), sorted(changed)[:5]
    assert any("lora_B" in n for n in changed)
    assert not any("value" in key or key.startswith("ppo/") for key in stats), sorted(stats)


@pytest.mark.parametrize("algorithm", ["rloo", "grpo"])
def test_same_seed_same_numbers(algorithm):
    def run():
        trainer, data = make_trainer(algorithm, ["ppo.seed=7"])
        rows = [trainer.step(*prompts(data, 2, offset=2 * i))[0] for i in range(2)]
        return [{k: v for k, v in row.items() if not k.startswith("time/")} for row in rows]

    first = run()
    assert first == run()
    assert first[1]["kl"] != 0.0  # the second step moved: the comparison is not of two constants


def test_a_step_writes_trls_names_for_every_quantity_the_dashboard_reads():
    trainer, data = make_trainer("grpo")
    stats, _, _ = trainer.step(*prompts(data, 2))
    written = {key for key in schema.READ_BY_THE_DASHBOARD if schema.value(stats, key) is not None}
    # what a run without a value head or an adaptive KL weight has no number for
    assert set(schema.READ_BY_THE_DASHBOARD) - written == {schema.VALUE_LOSS, schema.RETURNS_MEAN, schema.KL_COEF}
    written_by_engine_train = {schema.PEAK_MEMORY}
    assert set(schema.GROUP_NAMES.values()) - written_by_engine_train | set(schema.GROUP_ONLY) <= set(stats)


def test_rloo_puts_the_kl_into_the_reward_and_grpo_into_the_loss():
    """Same rollout, scores and log-probs: RLOO's advantages move with beta, GRPO's do not."""
    trainer, _ = make_trainer("rloo", ["ppo.beta=0.5"])
    scores, kl = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([0.0, 2.0, 0.0, 0.0])
    assert torch.allclose(trainer.advantages(scores, kl), rloo_advantages(scores - 0.5 * kl, 4))
    trainer.algorithm = "grpo"
    assert torch.equal(trainer.advantages(scores, kl), grpo_advantages(scores, 4))


def test_a_group_is_never_split_across_processes():
    cfg = resolve("tiny", ["ppo.algorithm=grpo", "ppo.samples_per_prompt=4", "ppo.batch_size=8"])

    class TwoProcesses:  # 2 prompts per step: one each, fine; 3 processes could not share them
        num_processes, process_index = 3, 0

    policy, tok = load_policy(cfg.model, CPU, torch.float32, value_head=False)
    with pytest.raises(ValueError, match="never split"):
        GroupTrainer(cfg, policy, tok, lambda *a: None, TwoProcesses())


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="algorithm must be one of ppo, rloo, grpo"):
        resolve("tiny", ["ppo.algorithm=dpo"])
    with pytest.raises(ConfigError, match=r"samples per prompt \(3\) must divide batch size \(8\)"):
        resolve("tiny", ["ppo.algorithm=rloo", "ppo.samples_per_prompt=3"])
    with pytest.raises(ConfigError, match="samples per prompt must be between 2 and 64"):
        resolve("tiny", ["ppo.algorithm=grpo", "ppo.samples_per_prompt=1"])
    resolve("tiny", ["ppo.samples_per_prompt=3"])  # PPO ignores it: no refusal for a setting it does not read


# --- a whole run: checkpoints without a value head, listed, exported --------------------------

@pytest.mark.slow
def test_a_grpo_run_saves_listable_checkpoints_without_a_value_head_and_exports_them(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "engine.train", "--preset", "tiny", "--algorithm", "grpo",
                           "--steps", "4", "--runs-dir", str(tmp_path / "runs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert runs.list_checkpoints(run_dir) == ["final"]
    assert not (run_dir / "final" / runs.VALUE_HEAD_FILE).exists()
    rows = runs.read_metrics(run_dir)
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and rows[0]["kl"] == 0.0 and "objective/kl" not in rows[0]
    assert 100 < rows[-1][schema.PEAK_MEMORY] < 100_000  # MiB, for the "Compare runs" table
    from engine.export import export

    out = export(run_dir, tmp_path / "out").folder
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("adapter")) == \
        ["adapter_config.json", "adapter_model.safetensors"]
    assert not (out / runs.VALUE_HEAD_FILE).exists()
    card = (out / "README.md").read_text()
    assert "GRPO (https://arxiv.org/abs/2402.03300" in card and "4 of 4 GRPO steps" in card


@pytest.mark.parametrize("algorithm, listed", [("grpo", ["step-2"]), ("rloo", ["step-2"]), ("ppo", [])])
def test_a_checkpoint_without_a_value_head_is_complete_only_for_rloo_and_grpo(tmp_path, algorithm, listed):
    cfg = resolve("tiny", [f"ppo.algorithm={algorithm}"])
    run_dir = runs.create_run(tmp_path, cfg.to_dict(), "tiny")
    ckpt = runs.checkpoint_dir(run_dir, 2)
    ckpt.mkdir(parents=True)
    for name in (runs.ADAPTER_CONFIG_FILE, runs.ADAPTER_WEIGHTS_FILE):
        (ckpt / name).write_text("{}")
    assert runs.list_checkpoints(run_dir) == listed


# --- learning on the demo preset ---------------------------------------------------------------

LEARNING_STEPS = {"rloo": 30, "grpo": 40}
"""Half and two thirds of the preset's 60 steps (each step reads 4 dialogues with 4 summaries
each). Measured on 2 cores, the reward model's held-out toxicity fell from 0.60 to 0.16 under
RLOO at 30 steps (CI of the change [-0.56, -0.32]; 0.10 at 40) and to 0.16 under GRPO at 40
([-0.56, -0.32]); profanity-check's from 0.27 to about 0.10 under both. The test asks for 30%
and 20%. GRPO at 30 steps reached only 0.35, too near the threshold of 0.42 for a test."""


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["rloo", "grpo"])
def test_rloo_and_grpo_lower_toxicity_on_held_out_heated_dialogues(algorithm):
    """The demo's point, for each algorithm: toxicity falls by a clear paired margin, by the
    reward model and by a judge that was not optimised against, on dialogues no model saw."""
    from engine.data import prompts_from
    from engine.evaluation import evaluate
    from engine.loading import Models
    from engine.judges import load_judges
    from engine.train import prompt_batches
    from tests.learning import assert_clear_detox

    cfg = resolve("demo", [f"ppo.algorithm={algorithm}"])
    policy, tok = load_policy(cfg.model, CPU, torch.float32, seed=cfg.ppo.seed, value_head=False)
    reward = load_reward_model(cfg.model, CPU, torch.float32)
    trainer = GroupTrainer(cfg, policy, tok, reward.score_fn(cfg.ppo.reward_input))
    batches = prompt_batches(load_prompts(cfg.data, tok).train, 4, cfg.ppo.seed)
    for _ in range(LEARNING_STEPS[algorithm]):
        batch = next(batches)
        trainer.step([ex.input_ids for ex in batch], [ex.query for ex in batch])
    judges, _ = load_judges(["profanity-check"], CPU, torch.float32)
    examples = prompts_from(cfg.run.eval_prompts, cfg.data, tok, 64)
    result = evaluate(Models(cfg, policy, tok, reward, None, judges), examples, seed=0)
    assert_clear_detox(result)
