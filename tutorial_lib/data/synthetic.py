"""Synthetic interaction logs with MovieLens's long tail, for timing models at any size.

The scaling benchmark (``benchmarks/scaling.py``) needs logs of 1M and 10M interactions, the
sizes of MovieLens 1M and 20M, whose files cannot be downloaded here. What makes a
recommender slow or memory-hungry is the *shape* of the log (how many users and items, how
unevenly the interactions fall on them), not the meaning of the ids, so a seeded generator
with the same shape stands in for them. Nothing learnt from these logs says anything about
accuracy: they time models, nothing else.

How a log is drawn (:func:`synthetic_interactions`):

1. **Item popularity** is Zipf-like: the item of popularity rank ``r`` (1 = most popular) has
   weight ``1 / (r + item_rank_offset) ** item_exponent``. Ranks are shuffled onto ids, so an
   id says nothing about popularity.
2. **User activity** is heavy-tailed: user ``u`` makes ``min_user_interactions + e_u``
   interactions, with ``e_u`` proportional to a log-normal draw (``user_activity_sigma``),
   scaled so that the counts add up to ``n_interactions`` exactly, and at most
   ``max_user_fraction`` of the catalogue. MovieLens keeps only users with at least 20
   ratings, hence the default floor of 20.
3. **Which items** a user has: drawn from the popularity weights *without replacement*, so no
   (user, item) pair occurs twice. Drawing with replacement and keeping each item's first
   draw is exactly weighted sampling without replacement, and that is what the code does,
   for all users at once, drawing again for the users still short of their count.
4. **When**: each user's first timestamp is uniform over ``duration_days`` from ``start``;
   the user's interactions follow in a random order, separated by exponential gaps whose
   mean is log-normal across users (most users rate in one sitting, a few over months, as in
   MovieLens), and are clipped to the end of the window.
5. **Ratings** (1 to 5) are the rounded sum of a global mean, a user bias, an item bias and
   noise: the marginal looks like MovieLens's, so rating models can be timed, but there is
   nothing beyond the biases to learn.

:func:`movielens_like_shape` gives the number of users and items for a number of
interactions by interpolating between MovieLens 1M and 20M on a log–log scale.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tutorial_lib.validation import check_int, check_positive_int, check_real

__all__ = [
    "MOVIELENS_SHAPES",
    "movielens_like_shape",
    "synthetic_interactions",
    "top_share",
]

#: (n_interactions, n_users, n_items) of the MovieLens releases (GroupLens's READMEs).
MOVIELENS_SHAPES = {
    "ml-100k": (100_000, 943, 1_682),
    "ml-1m": (1_000_209, 6_040, 3_706),
    "ml-20m": (20_000_263, 138_493, 26_744),
}

_SECONDS_PER_DAY = 86_400
# 2000-04-25, the first day of MovieLens 1M: timestamps look like the real ones.
_DEFAULT_START = 956_703_932


def movielens_like_shape(n_interactions: int) -> tuple[int, int]:
    """``(n_users, n_items)`` for a log of ``n_interactions``, MovieLens-like.

    Users and items each grow as a power of the number of interactions, with the power that
    joins MovieLens 1M to MovieLens 20M (users grow almost linearly, items more slowly), so
    ``movielens_like_shape(1_000_209)`` is ML-1M's ``(6040, 3706)`` and 20M gives ML-20M's.

    Parameters
    ----------
    n_interactions : int
        Number of interactions, >= 1.

    Returns
    -------
    (int, int)
        Number of users and number of items.
    """
    n_interactions = check_positive_int(n_interactions, "n_interactions")
    small_n, small_users, small_items = MOVIELENS_SHAPES["ml-1m"]
    large_n, large_users, large_items = MOVIELENS_SHAPES["ml-20m"]
    growth = math.log(n_interactions / small_n) / math.log(large_n / small_n)
    n_users = small_users * (large_users / small_users) ** growth
    n_items = small_items * (large_items / small_items) ** growth
    return max(1, round(n_users)), max(1, round(n_items))


def top_share(counts, fraction: float = 0.1) -> float:
    """Share of all interactions that falls on the top ``fraction`` of entities.

    Parameters
    ----------
    counts : array_like, shape (n_entities,)
        Interaction count of each item (or user).
    fraction : float
        In (0, 1]; the top ``ceil(fraction * n_entities)`` entities are counted.

    Returns
    -------
    float
        In (0, 1]; e.g. about 0.43 for the top 10% of MovieLens 100K's films.
    """
    counts = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("counts must be a non-empty 1-D array of non-negative counts, not all 0.")
    fraction = check_real(fraction, "fraction", min_val=0.0, max_val=1.0, include_boundaries="right")
    n_top = math.ceil(fraction * counts.size)
    return float(counts[:n_top].sum() / counts.sum())


def synthetic_interactions(
    n_interactions: int,
    n_users: int | None = None,
    n_items: int | None = None,
    *,
    seed: int = 0,
    item_exponent: float = 1.0,
    item_rank_offset: float = 10.0,
    user_activity_sigma: float = 1.1,
    min_user_interactions: int = 20,
    max_user_fraction: float = 0.5,
    start: int = _DEFAULT_START,
    duration_days: float = 1_000.0,
) -> pd.DataFrame:
    """A seeded interaction log with a long tail of items and of users (see the module docstring).

    Parameters
    ----------
    n_interactions : int
        Number of rows, exactly.
    n_users, n_items : int, optional
        Default: :func:`movielens_like_shape` of ``n_interactions``. Every user gets at
        least ``min_user_interactions`` rows, so ``n_interactions`` must be at least
        ``n_users * min_user_interactions`` and at most
        ``n_users * floor(max_user_fraction * n_items)``.
    seed : int
        The same seed and arguments give the same log.
    item_exponent, item_rank_offset : float
        Zipf-like weights ``1 / (rank + offset) ** exponent``: a larger exponent, a longer tail.
    user_activity_sigma : float
        Spread of the log-normal user activity (1.1 matches MovieLens's median and mean).
    min_user_interactions : int
        Floor of each user's count.
    max_user_fraction : float
        In (0, 1]: the most items one user may have, as a fraction of the catalogue.
    start : int
        Unix seconds of the earliest possible timestamp.
    duration_days : float
        Length of the window the timestamps fall in.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_interactions, 4)``, the columns of
        :func:`tutorial_lib.data.datasets.load_movielens_ratings`, sorted by
        ``(user_id, timestamp, item_id)``:

        - ``user_id`` (int32): 1 to ``n_users``, every user present.
        - ``item_id`` (int32): 1 to ``n_items`` (a rarely drawn item may have no row).
        - ``rating`` (int8): 1 to 5.
        - ``timestamp`` (int64): Unix seconds.

        No (user, item) pair occurs twice.
    """
    n_interactions = check_positive_int(n_interactions, "n_interactions")
    default_users, default_items = movielens_like_shape(n_interactions)
    n_users = default_users if n_users is None else check_positive_int(n_users, "n_users")
    n_items = default_items if n_items is None else check_positive_int(n_items, "n_items")
    seed = check_int(seed, "seed", min_val=0)
    item_exponent = check_real(item_exponent, "item_exponent", min_val=0.0)
    item_rank_offset = check_real(item_rank_offset, "item_rank_offset", min_val=0.0)
    user_activity_sigma = check_real(user_activity_sigma, "user_activity_sigma", min_val=0.0)
    min_user_interactions = check_positive_int(min_user_interactions, "min_user_interactions")
    max_user_fraction = check_real(
        max_user_fraction, "max_user_fraction", min_val=0.0, max_val=1.0, include_boundaries="right"
    )
    start = check_int(start, "start", min_val=0)
    duration_days = check_real(duration_days, "duration_days", min_val=0.0, include_boundaries="neither")
    max_per_user = math.floor(max_user_fraction * n_items)
    if max_per_user < min_user_interactions:
        raise ValueError(
            f"max_user_fraction * n_items = {max_user_fraction * n_items:g} is below "
            f"min_user_interactions = {min_user_interactions}; raise n_items or max_user_fraction."
        )
    if not n_users * min_user_interactions <= n_interactions <= n_users * max_per_user:
        raise ValueError(
            f"n_interactions must lie in [n_users * min_user_interactions, n_users * max items per user] = "
            f"[{n_users * min_user_interactions}, {n_users * max_per_user}] for n_users={n_users}, "
            f"n_items={n_items}; got {n_interactions}."
        )

    rng = np.random.default_rng(seed)
    item_probabilities = _item_probabilities(n_items, item_exponent, item_rank_offset, rng)
    user_counts = _user_counts(
        n_interactions, n_users, user_activity_sigma, min_user_interactions, max_per_user, rng
    )
    users, items = _distinct_items_per_user(user_counts, item_probabilities, rng)
    timestamps = _timestamps(user_counts, start, duration_days, rng)
    ratings = _ratings(users, items, n_users, n_items, rng)
    log = pd.DataFrame(
        {
            "user_id": (users + 1).astype(np.int32),
            "item_id": (items + 1).astype(np.int32),
            "rating": ratings,
            "timestamp": timestamps,
        }
    )
    return log.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort", ignore_index=True)


def _item_probabilities(n_items: int, exponent: float, offset: float, rng) -> np.ndarray:
    """Zipf-like probability of each item id (0-based), shape ``(n_items,)``, ranks shuffled."""
    ranks = np.arange(1, n_items + 1, dtype=np.float64)
    weights = 1.0 / (ranks + offset) ** exponent
    probabilities = np.empty(n_items)
    probabilities[rng.permutation(n_items)] = weights / weights.sum()
    return probabilities


def _user_counts(n_interactions, n_users, sigma, floor, ceiling, rng) -> np.ndarray:
    """Interactions per user, shape ``(n_users,)``, in [floor, ceiling], summing to ``n_interactions``."""
    activity = rng.lognormal(mean=0.0, sigma=sigma, size=n_users)
    counts = np.full(n_users, floor, dtype=np.int64)
    remaining = n_interactions - counts.sum()
    # Share out what is left in proportion to activity; users at the ceiling hand theirs on.
    while remaining > 0:
        room = ceiling - counts
        open_users = room > 0
        weights = np.where(open_users, activity, 0.0)
        extra = np.minimum(np.floor(remaining * weights / weights.sum()).astype(np.int64), room)
        if extra.sum() == 0:  # fewer rows left than open users: one each to the most active
            most_active = np.argsort(-weights, kind="stable")[:remaining]
            extra[most_active] = 1
        counts += extra
        remaining = n_interactions - counts.sum()
    return counts


def _distinct_items_per_user(user_counts: np.ndarray, item_probabilities: np.ndarray, rng):
    """Draw ``user_counts[u]`` distinct items for each user ``u`` from ``item_probabilities``.

    Returns ``(users, items)``, two int64 arrays of shape ``(sum(user_counts),)``, grouped
    by user; within a user the items come in the order they were drawn.
    """
    n_users, n_items = len(user_counts), len(item_probabilities)
    cumulative = np.cumsum(item_probabilities)
    cumulative[-1] = 1.0
    finished_users, finished_items = [], []  # users with all their items, one chunk per round
    held_users = np.empty(0, dtype=np.int64)  # the items so far of users still short
    held_items = np.empty(0, dtype=np.int64)
    shortfall = user_counts.copy()
    while shortfall.sum() > 0:
        # Draw more than is missing: repeats of items already held are thrown away.
        n_draws = np.where(shortfall > 0, 2 * shortfall + 8, 0)
        new_users = np.repeat(np.arange(n_users), n_draws)
        new_items = np.searchsorted(cumulative, rng.random(new_users.size), side="right")
        users = np.concatenate([held_users, new_users])
        items = np.concatenate([held_items, np.minimum(new_items, n_items - 1)])
        # Keep each (user, item) pair's first draw; then at most user_counts[u] per user.
        _, first = np.unique(users * n_items + items, return_index=True)
        first.sort()
        users, items = users[first], items[first]
        order = np.argsort(users, kind="stable")
        users, items = users[order], items[order]
        position_in_user = np.arange(users.size) - np.searchsorted(users, users, side="left")
        keep = position_in_user < user_counts[users]
        users, items = users[keep], items[keep]
        shortfall = np.where(shortfall > 0, user_counts - np.bincount(users, minlength=n_users), 0)
        complete = shortfall[users] == 0
        finished_users.append(users[complete])
        finished_items.append(items[complete])
        held_users, held_items = users[~complete], items[~complete]
    users, items = np.concatenate(finished_users), np.concatenate(finished_items)
    order = np.argsort(users, kind="stable")  # each user's rows sit in one chunk, in draw order
    return users[order], items[order]


def _timestamps(user_counts: np.ndarray, start: int, duration_days: float, rng) -> np.ndarray:
    """Unix seconds of each row, grouped by user as ``user_counts``, shape ``(sum(user_counts),)``.

    Each user's rows are shuffled (their draw order favours popular items first) and spaced
    by exponential gaps, so the user's last item is as likely to be rare as any other.
    """
    n_users = len(user_counts)
    duration = duration_days * _SECONDS_PER_DAY
    first_seconds = rng.uniform(0.0, duration, size=n_users)
    # Median gap about 2 minutes; a few users take days between interactions.
    mean_gap_seconds = rng.lognormal(mean=np.log(120.0), sigma=2.5, size=n_users)
    users = np.repeat(np.arange(n_users), user_counts)
    gaps = rng.exponential(1.0, size=users.size) * mean_gap_seconds[users]
    group_starts = np.concatenate([[0], np.cumsum(user_counts)[:-1]])
    gaps[group_starts] = 0.0
    cumulative = np.cumsum(gaps)
    offsets = cumulative - cumulative[group_starts][users]
    seconds = np.minimum(first_seconds[users] + offsets, duration)
    # A random order within each user: the times are assigned to shuffled rows.
    shuffled = np.lexsort((rng.random(users.size), users))
    timestamps = np.empty(users.size, dtype=np.int64)
    timestamps[shuffled] = start + seconds.astype(np.int64)
    return timestamps


def _ratings(users, items, n_users: int, n_items: int, rng) -> np.ndarray:
    """Stars 1..5 (int8) from a global mean, user and item biases and noise, shape ``(n_rows,)``."""
    user_bias = rng.normal(0.0, 0.45, size=n_users)
    item_bias = rng.normal(0.0, 0.5, size=n_items)
    noise = rng.normal(0.0, 0.9, size=users.size)
    stars = np.rint(3.6 + user_bias[users] + item_bias[items] + noise)
    return np.clip(stars, 1, 5).astype(np.int8)
