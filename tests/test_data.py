"""DialogSum loading: local files in both formats, the Hub code path offline, filter, prompt, split."""

import json

import pytest

from engine.config import DataConfig
from engine.data import (PROMPT, DataError, _load_hub, build_prompt, filter_by_length, load_prompts, load_rows,
                         split_unshuffled)
from tests.conftest import DIALOGSUM_SAMPLE, ROOT, SHARED_DIALOGSUM, needs_full_dialogsum

DEV = DIALOGSUM_SAMPLE / "dialogsum.dev.jsonl"
TEST = DIALOGSUM_SAMPLE / "dialogsum.test.jsonl"


def _assert_counts(dev, test, rows, kept, dev_parts, test_parts) -> None:
    """Rows per file, rows kept at the recipe's 200-1000 characters, the unshuffled 80/20 split of
    each; the test file's three reference summaries are all kept for ROUGE."""
    assert (len(dev), len(test)) == rows
    dev_kept, test_kept = filter_by_length(dev, 200, 1000), filter_by_length(test, 200, 1000)
    assert (len(dev_kept), len(test_kept)) == kept
    assert [len(part) for part in split_unshuffled(dev_kept, 0.2)] == dev_parts
    assert [len(part) for part in split_unshuffled(test_kept, 0.2)] == test_parts
    assert len(test[0].references) == 3 and len(dev[0].references) == 1
    assert dev[0].fname == "dev_0" and dev[0].topic


def test_counts_on_the_shipped_sample():
    dev, test = load_rows(str(DEV)), load_rows(str(TEST))
    _assert_counts(dev, test, rows=(20, 20), kept=(16, 17), dev_parts=[12, 4], test_parts=[13, 4])
    # the sample is the full files' first rows, unchanged
    if SHARED_DIALOGSUM.is_dir():
        assert dev == load_rows(str(SHARED_DIALOGSUM / "dialogsum.dev.jsonl"))[:20]
        assert test == load_rows(str(SHARED_DIALOGSUM / "dialogsum.test.jsonl"))[:20]


@needs_full_dialogsum
def test_counts_on_the_shared_dev_and_test_files():
    dev, test = (load_rows(str(SHARED_DIALOGSUM / "dialogsum.dev.jsonl")),
                 load_rows(str(SHARED_DIALOGSUM / "dialogsum.test.jsonl")))
    _assert_counts(dev, test, rows=(500, 500), kept=(404, 384), dev_parts=[323, 81], test_parts=[307, 77])
    # the folder picks its split file, and the recipe's prompts come out of the full dev split
    assert len(load_rows(str(SHARED_DIALOGSUM), "dev")) == 500
    assert load_rows(str(SHARED_DIALOGSUM), "validation")[0].fname == "dev_0"
    from engine.models import load_tokenizer

    tok = load_tokenizer(str(ROOT / "assets" / "tiny" / "policy"))
    data = load_prompts(DataConfig(dataset=str(SHARED_DIALOGSUM / "dialogsum.dev.jsonl"), split="dev",
                                   max_prompt_tokens=4096), tok)
    assert (len(data.train), len(data.test)) == (323, 81)


def test_split_is_unshuffled_and_matches_the_recipe_sizes():
    rows = list(range(10022))  # the Hub train split after the length filter
    train, test = split_unshuffled(rows, 0.2)
    assert (len(train), len(test)) == (8017, 2005)
    assert train[:3] == [0, 1, 2] and test[0] == 8017


def test_folder_picks_the_split_file_and_explains_ambiguity():
    assert len(load_rows(str(DIALOGSUM_SAMPLE), "dev")) == 20
    assert load_rows(str(DIALOGSUM_SAMPLE), "validation")[0].fname == "dev_0"
    assert load_rows(str(DIALOGSUM_SAMPLE), "test")[0].fname == "test_0"
    with pytest.raises(DataError, match="none is clearly the 'train' split"):
        load_rows(str(DIALOGSUM_SAMPLE), "train")


def test_missing_file_and_non_utf8_file_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_rows(str(tmp_path / "nope.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"dialogue": "\xff\xfe"}\n')
    with pytest.raises(DataError, match="cannot read"):
        load_rows(str(bad))
    no_dialogue = tmp_path / "x.jsonl"
    no_dialogue.write_text(json.dumps({"text": "hi"}) + "\n")
    with pytest.raises(DataError, match="without a 'dialogue'"):
        load_rows(str(no_dialogue))



def test_a_device_or_a_pipe_is_said_to_be_no_regular_file_not_missing(tmp_path):
    """/dev/zero exists: saying it does not would send the user looking for a typo."""
    import os

    pipe = tmp_path / "pipe.jsonl"
    os.mkfifo(pipe)
    for path in ("/dev/zero", str(pipe)):
        with pytest.raises(DataError, match=f"^dataset file {path} is not a regular file"):
            load_rows(path)
    with pytest.raises(DataError, match="does not exist"):
        load_rows(str(tmp_path / "dangling.jsonl"))


def _hub_style_folder(tmp_path):
    """A folder laid out like the Hub's knkarthick/dialogsum: train.csv with id, dialogue, summary, topic."""
    import pandas as pd

    rows = [json.loads(line) for line in DEV.read_text().splitlines()]
    folder = tmp_path / "dialogsum"
    folder.mkdir()
    pd.DataFrame([{"id": r["fname"].replace("dev", "train"), "dialogue": r["dialogue"], "summary": r["summary"],
                   "topic": r["topic"]} for r in rows]).to_csv(folder / "train.csv", index=False)
    return folder


def test_hub_code_path_loads_a_local_folder_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    folder = _hub_style_folder(tmp_path)
    rows = _load_hub(str(folder), "train")  # the same load_dataset call a Hub id goes through
    assert len(rows) == 20 and set(rows[0]) == {"id", "dialogue", "summary", "topic"}
    assert load_rows(str(folder), "train")[5].dialogue == rows[5]["dialogue"]


def test_unreachable_hub_dataset_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    with pytest.raises(DataError, match="cannot load dataset 'knkarthick/dialogsum'"):
        load_rows("knkarthick/dialogsum", "train")


def test_prompts_are_tokenized_and_decoded_with_the_recipe_template():
    from engine.models import load_tokenizer

    tok = load_tokenizer(str(ROOT / "assets" / "tiny" / "policy"))
    data = load_prompts(DataConfig(dataset=str(DEV), split="dev", max_prompt_tokens=4096), tok)
    assert (len(data.train), len(data.test)) == (12, 4)
    ex = data.train[0]
    assert ex.query == build_prompt(ex.dialogue)  # a byte-level tokenizer decodes the prompt exactly
    assert ex.input_ids[-1] == tok.eos_token_id
    assert PROMPT.startswith("\nSummarize the following conversation.\n\n") and PROMPT.endswith("\n\nSummary:\n")
    short = load_prompts(DataConfig(dataset=str(DEV), split="dev", max_prompt_tokens=16), tok)
    assert max(len(e.input_ids) for e in short.train) == 16


def test_too_few_dialogues_is_a_clear_error(tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps({"dialogue": "x" * 300, "summary": "s"}) + "\n")
    with pytest.raises(DataError, match="need at least 2"):
        load_prompts(DataConfig(dataset=str(f)), tokenizer=None)


def test_one_rule_tells_a_local_path_from_a_hub_id(tmp_path):
    from engine.sources import is_hub_id, local_path

    (tmp_path / "folder").mkdir()
    for hub_id in ("google/flan-t5-base", "knkarthick/dialogsum", "gpt2", "s-nlp/roberta_toxicity_classifier"):
        assert is_hub_id(hub_id) and local_path(hub_id) is None, hub_id
    for local in (str(tmp_path / "folder"), "./models/x", "~/models/x", "/missing/folder", "data.jsonl",
                  "dev.csv", "my model", "a/b/c"):
        assert not is_hub_id(local) and local_path(local) is not None, local
    assert not is_hub_id(None) and not is_hub_id("")


def test_data_with_other_column_names_is_read_through_the_mapping(tmp_path):
    """A CSV whose dialogue and summary columns have other names (issue 24): refused by name
    without the mapping, read with it, and the length filter counts what is left."""
    import pandas as pd

    from engine.config import resolve
    from engine.data import DataError, usable_rows

    turns = "#Person1#: Could you help me carry these boxes upstairs?\n#Person2#: Of course, give me the big one."
    pd.DataFrame({"conversation": ["\n".join([turns] * 3), "\n".join([turns] * 4), "#Person1#: Hi."],
                  "gist": ["#Person2# helps carry boxes."] * 3}).to_csv(tmp_path / "mine.csv", index=False)
    cfg = resolve("tiny", [f"data.dataset={tmp_path / 'mine.csv'}"])
    with pytest.raises(DataError, match=r"without a 'dialogue' text field: its columns are \['conversation', 'gist'\]; "
                                        "set data.dialogue_column"):
        usable_rows(cfg.data)
    cfg = resolve("tiny", [f"data.dataset={tmp_path / 'mine.csv'}", "data.dialogue_column=conversation",
                           "data.summary_column=gist"])
    rows = usable_rows(cfg.data)
    assert len(rows) == 2 and rows[0].references == ["#Person2# helps carry boxes."]  # the short one is filtered
