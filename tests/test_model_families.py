"""Any encoder-decoder policy (issue 24): tiny BART-, mT5- and Pegasus-family models, built here with random
weights, load through the same path as T5 and keep PPO's invariants: KL exactly 0 and ratio 1
on the first minibatch of the first step. Their pad, EOS and decoder-start ids come from their
own configs (BART: pad 1, EOS 2, decoder start 2), never from T5's."""
from __future__ import annotations

import pytest
import torch
from transformers import (AutoTokenizer, BartConfig, BartForConditionalGeneration, MT5Config,
                          MT5ForConditionalGeneration, PegasusConfig, PegasusForConditionalGeneration)

from engine.config import resolve
from engine.data import load_prompts
from engine.models import load_policy
from engine.ppo import PPOTrainer
from engine.reward import load_reward_model
from tests.conftest import ROOT

CPU = torch.device("cpu")
TINY = ROOT / "assets" / "tiny"


def _save(folder, model_class, config_class, tokenizer_folder, **config):
    """A random-weight model of `model_class` with the tiny preset's tokenizer from `tokenizer_folder`."""
    tok = AutoTokenizer.from_pretrained(TINY / tokenizer_folder)
    torch.manual_seed(0)
    model_class(config_class(vocab_size=len(tok), **config)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


BART_LIKE = dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                 encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=600)


def tiny_bart(folder):
    # RoBERTa-style tokenizer: <s> 0, <pad> 1, </s> 2; BART starts decoding with </s> and forces <s>
    return _save(folder, BartForConditionalGeneration, BartConfig, "reward", **BART_LIKE, pad_token_id=1,
                 bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=0)


def tiny_mt5(folder):
    # T5-style tokenizer: <pad> 0, </s> 1
    return _save(folder, MT5ForConditionalGeneration, MT5Config, "policy", d_model=32, d_kv=8, d_ff=64, num_layers=1,
                 num_decoder_layers=1, num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)


def tiny_pegasus(folder):
    # Pegasus, like T5: <pad> 0, </s> 1, decoder start = pad
    return _save(folder, PegasusForConditionalGeneration, PegasusConfig, "policy", **BART_LIKE, pad_token_id=0,
                 eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)


@pytest.mark.parametrize("family, build", [("bart", tiny_bart), ("mt5", tiny_mt5), ("pegasus", tiny_pegasus)])
def test_a_policy_of_another_family_trains_with_ppos_invariants(family, build, tmp_path):
    policy_dir = build(tmp_path / family)
    cfg = resolve("tiny", [f"model.policy={policy_dir}", "model.summary_adapter=none", "ppo.batch_size=4",
                           "ppo.mini_batch_size=2"])
    policy, tok = load_policy(cfg.model, CPU, torch.float32, seed=cfg.ppo.seed)
    lora = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n, _ in policy.named_parameters() if "lora_" in n}
    assert lora == ({"q", "v"} if family == "mt5" else {"q_proj", "v_proj"})  # T5's q, v under the family's names
    reward = load_reward_model(cfg.model, CPU, torch.float32)
    trainer = PPOTrainer(cfg, policy, tok, reward.score_fn(cfg.ppo.reward_input))
    data = load_prompts(cfg.data, tok)
    rows = data.train[:4]
    for step in range(2):
        stats, rollout, _ = trainer.step([r.input_ids for r in rows], [r.query for r in rows])
        if step == 0:
            assert stats["objective/kl"] == 0.0
            assert trainer.last_minibatch_stats[0]["ppo/policy/ratio_max_dev"].item() == 0.0
        # every response starts with the model's own decoder start token
        assert (rollout.response_ids[:, 0] == policy.model.config.decoder_start_token_id).all()
        assert all(torch.isfinite(torch.as_tensor(v)).all() for v in stats.values() if isinstance(v, (float, torch.Tensor)))
