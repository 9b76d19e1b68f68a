"""benchmarks/recbole_peer.py: the parts that run in the book's environment (RecBole is not here).

The export of our split as RecBole benchmark files, the mapping of RecBole's scores back to
our users and catalogue, and the re-ranking "the RecBole way" (history items stay candidates)
that the script compares with RecBole's own numbers.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.data.sequences import SequenceSplit
from tutorial_lib.evaluation.protocols import evaluate_top_n, leave_last_out_split

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "recbole_peer.py"


@pytest.fixture(scope="module")
def peer():
    spec = importlib.util.spec_from_file_location("recbole_peer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_split():
    """User 1 in time order (ties by item id): 50, 10, 30 | valid 40 | test 20; user 2: 20 | 30 | 50."""
    log = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 1, 2, 2, 2],
            "item_id": [50, 30, 10, 40, 20, 20, 30, 50],
            "timestamp": [10, 20, 20, 30, 40, 5, 6, 7],
        }
    )
    return leave_last_out_split(log, item_ids=[10, 20, 30, 40, 50, 60])


def read_rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "user_id:token\titem_id_list:token_seq\titem_id:token"
    return [line.split("\t") for line in lines[1:]]


def test_the_export_holds_every_train_prefix_and_one_valid_and_test_row_per_user(peer, tmp_path):
    split = tiny_split()
    counts = peer._write_benchmark_files(SequenceSplit.from_top_n_split(split), tmp_path, "tiny", max_len=2)
    assert counts == {"train": 2, "valid": 2, "test": 2}
    folder = tmp_path / "tiny"
    # user 2's train sequence has one item: no prefix has an item after it inside train
    assert read_rows(folder / "tiny.train.inter") == [["1", "50", "10"], ["1", "50 10", "30"]]
    # the lists keep the last max_len = 2 items
    assert read_rows(folder / "tiny.valid.inter") == [["1", "10 30", "40"], ["2", "20", "30"]]
    assert read_rows(folder / "tiny.test.inter") == [["1", "30 40", "20"], ["2", "20 30", "50"]]


def test_scores_are_mapped_to_our_users_and_catalogue(peer):
    split = tiny_split()
    items = np.array([30, 10, 60, 50, 20, 40])  # RecBole's own order of the catalogue
    users = np.array([2, 1])
    scores = np.arange(12, dtype=np.float32).reshape(2, 6)
    matrix = peer._score_matrix(scores, users, items, split)
    assert matrix.shape == (2, 6)
    assert matrix[1, 0] == scores[0, 1]  # user 2 (row 1), item 10 (column 0)
    assert matrix[0, 5] == scores[1, 2]  # user 1 (row 0), item 60 (column 5)
    with pytest.raises(RuntimeError, match="catalogue"):
        peer._score_matrix(scores[:, :5], users, items[:5], split)


def test_the_recbole_way_ranks_history_items_and_ours_does_not(peer):
    split = tiny_split()
    # user 1's test item is 20; item 50 (in user 1's history) scores higher than it
    matrix = np.zeros((2, 6))
    matrix[0] = [0.0, 0.8, 0.0, 0.0, 0.9, 0.0]  # items 10 20 30 40 50 60
    matrix[1] = [0.0, 0.0, 0.0, 0.0, 0.9, 0.0]  # user 2's test item 50 is first
    ours = evaluate_top_n(matrix, split, target="test")
    assert ours["rank"].tolist() == [1, 1]
    recbole_way = peer._recbole_way(matrix, split, "pessimistic")
    assert recbole_way["hit@10"] == 1.0
    assert recbole_way["mrr@10"] == pytest.approx((1 / 2 + 1) / 2)
    assert recbole_way["ndcg@10"] == pytest.approx((1 / np.log2(3) + 1) / 2)
    # four items tie at 0 with nothing else: no test target ties in this matrix
    assert peer._tied_targets(matrix, split) == 0


def test_epoch_caps_parse_a_default_and_per_model_values(peer):
    assert peer._epoch_caps(["20", "SASRec=2"]) == {"default": 20, "SASRec": 2}
    with pytest.raises(ValueError, match="unknown model"):
        peer._epoch_caps(["Foo=2"])
    with pytest.raises(ValueError, match="N >= 1"):
        peer._epoch_caps(["0"])
