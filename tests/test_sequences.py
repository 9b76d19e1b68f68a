"""Sequences for sequential models: codes, time order, padding, next-item pairs, windows."""

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.data.sequences import (
    PADDING,
    SequenceSplit,
    item_codes,
    left_pad,
    next_item_examples,
    right_pad,
    sliding_windows,
    user_sequences,
)
from tutorial_lib.evaluation.protocols import leave_last_out_split


def tiny_log() -> pd.DataFrame:
    """Three users; user 1 has a tie at time 20 (items 30 and 10), user 3 only two rows."""
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 1, 2, 2, 2, 3, 3],
            "item_id": [50, 30, 10, 40, 20, 20, 30, 50, 10, 40],
            "timestamp": [10, 20, 20, 30, 40, 5, 6, 7, 1, 2],
        }
    )


CATALOGUE = np.array([10, 20, 30, 40, 50, 60])  # codes 1..6; item 60 is never seen


def test_codes_are_one_plus_catalogue_position():
    assert PADDING == 0
    np.testing.assert_array_equal(item_codes([10, 60, 30], CATALOGUE), [1, 6, 3])
    # the catalogue is sorted first
    np.testing.assert_array_equal(item_codes([10, 60], CATALOGUE[::-1]), [1, 6])


def test_sequences_are_in_time_order_with_ties_by_item_id():
    sequences = user_sequences(tiny_log(), CATALOGUE)
    assert list(sequences) == [1, 2, 3]
    # user 1: 50 (t=10), then 10 and 30 at t=20 (smaller id first), 40, 20
    np.testing.assert_array_equal(sequences[1], item_codes([50, 10, 30, 40, 20], CATALOGUE))
    np.testing.assert_array_equal(sequences[2], [2, 3, 5])
    np.testing.assert_array_equal(sequences[3], [1, 4])
    assert all(sequence.dtype == np.int64 for sequence in sequences.values())


def test_sequence_split_agrees_with_leave_last_out_split():
    split = leave_last_out_split(tiny_log(), item_ids=CATALOGUE)
    sequences = SequenceSplit.from_top_n_split(split)
    assert sequences.n_items == 6
    np.testing.assert_array_equal(sequences.users_with_target, [1, 2])  # user 3 has only 2 rows
    full = user_sequences(tiny_log(), CATALOGUE)
    for row, user in enumerate(sequences.users_with_target):
        # the last code is the test item, the one before it the valid item: the same tie rule
        assert sequences.test_targets[row] == full[user][-1]
        assert sequences.valid_targets[row] == full[user][-2]
        np.testing.assert_array_equal(sequences.train[user], full[user][:-2])
        np.testing.assert_array_equal(sequences.train_and_valid[user], full[user][:-1])
    expected_test = item_codes(split.test.sort_values("user_id")["item_id"].to_numpy(), CATALOGUE)
    np.testing.assert_array_equal(sequences.test_targets, expected_test)
    # users without a target keep all their rows in train
    np.testing.assert_array_equal(sequences.train[3], full[3])
    np.testing.assert_array_equal(sequences.train_and_valid[3], full[3])


def test_left_pad_keeps_the_last_codes_and_pads_on_the_left():
    padded = left_pad([np.array([1, 2, 3, 4]), np.array([5]), np.array([], dtype=np.int64)], 3)
    np.testing.assert_array_equal(padded, [[2, 3, 4], [0, 0, 5], [0, 0, 0]])
    assert padded.dtype == np.int64


def test_right_pad_keeps_the_last_codes_and_reports_lengths():
    codes, lengths = right_pad([np.array([1, 2, 3, 4]), np.array([5])], 3)
    np.testing.assert_array_equal(codes, [[2, 3, 4], [5, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1])


def test_next_item_examples_shift_by_one():
    inputs, targets = next_item_examples([np.array([1, 2, 3, 4, 5]), np.array([6, 7]), np.array([8])], 3)
    np.testing.assert_array_equal(inputs, [[2, 3, 4], [0, 0, 6], [0, 0, 0]])
    np.testing.assert_array_equal(targets, [[3, 4, 5], [0, 0, 7], [0, 0, 0]])
    # wherever there is a target, the input beside it is the item just before it
    assert ((targets == PADDING) == (inputs == PADDING)).all()


def test_sliding_windows_step_one_and_short_sequences_padded():
    inputs, targets, rows = sliding_windows(
        [np.array([1, 2, 3, 4, 5]), np.array([6, 7]), np.array([8])], window=2, n_targets=2
    )
    # sequence 0: runs [1, 2 | 3, 4] and [2, 3 | 4, 5]; sequence 1 holds only n_targets codes
    # (no input item would be left) and sequence 2 fewer, so they give no example.
    np.testing.assert_array_equal(inputs, [[1, 2], [2, 3]])
    np.testing.assert_array_equal(targets, [[3, 4], [4, 5]])
    np.testing.assert_array_equal(rows, [0, 0])

    inputs, targets, rows = sliding_windows([np.array([6, 7, 9]), np.array([1, 2, 3, 4])], window=3, n_targets=1)
    np.testing.assert_array_equal(inputs, [[0, 6, 7], [1, 2, 3]])
    np.testing.assert_array_equal(targets, [[9], [4]])
    np.testing.assert_array_equal(rows, [0, 1])


def test_sliding_windows_with_nothing_to_cut_give_empty_arrays():
    inputs, targets, rows = sliding_windows([np.array([1])], window=3, n_targets=1)
    assert inputs.shape == (0, 3) and targets.shape == (0, 1) and rows.shape == (0,)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: left_pad([np.array([1, 2])], 0), "max_len"),
        (lambda: right_pad([np.array([1, 2])], 1.5), "max_len"),
        (lambda: left_pad(np.array([[1, 2]]), 2), "sequences"),
        (lambda: left_pad([np.array([0, 1])], 2), "sequences"),
        (lambda: left_pad([np.array([1.0, 2.0])], 2), "sequences"),
        (lambda: next_item_examples({1: np.array([1, 2])}, 2), "sequences"),
        (lambda: sliding_windows([np.array([1, 2, 3])], window=0, n_targets=1), "window"),
        (lambda: sliding_windows([np.array([1, 2, 3])], window=2, n_targets=0), "n_targets"),
        (lambda: item_codes([70], CATALOGUE), "items"),
        (lambda: item_codes([10], [10, 10]), "item_ids"),
        (lambda: user_sequences(tiny_log().drop(columns="timestamp"), CATALOGUE), "frame"),
        (lambda: user_sequences(tiny_log().assign(timestamp="x"), CATALOGUE), "timestamp"),
        (lambda: SequenceSplit.from_top_n_split(tiny_log()), "split"),
    ],
)
def test_bad_inputs_raise_errors_naming_the_argument(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()
