"""The book's one protocol for top-N recommendation (Top-N 推荐的评估协议).

Every recommender of the book is evaluated by :func:`evaluate_top_n` on a
:class:`TopNSplit`, so that their numbers can be put in one table. The page
``book/evaluation_protocol.md`` states the protocol in prose; in short:

1. **Split** (:func:`leave_last_out_split`): per user, in time order, the last interaction
   is the test target, the one before it the validation target, the rest is training.
   Equal timestamps are ordered by item id (the larger id counts as later). Users with
   fewer than 3 interactions stay entirely in training and are not evaluated.
2. **Candidates**, for a user's target item ``t``:

   - ``mode="full"``: every item of the catalogue except the items of the user's
     *history*: the training items, and for the test target also the validation item
     (what RecBole's full ranking masks). ``t`` itself is never excluded, even when the
     user also has ``t`` in the history (a repeated interaction).
   - ``mode="sampled"``: ``t`` and ``n_negatives`` (100) items drawn without replacement
     from the items the user never interacted with (in training, validation or test),
     uniformly or in proportion to their training counts, with a seed.

3. **Metrics**, from the rank of ``t`` among its candidates (1 = top), through
   :func:`tutorial_lib.evaluation.metrics.ranking_metrics_per_user`: HR@K, recall@K (equal
   to HR@K with one target per user), NDCG@K and MRR. Ties are *pessimistic* by default: a
   candidate with the same score as ``t`` is ranked above it. A ``K`` larger than the
   number of candidates is allowed and puts every candidate in the list (HR@K = 1).
4. **Per-user values** are returned, one row per user, so that
   :mod:`tutorial_lib.evaluation.uncertainty` can give confidence intervals and paired
   tests; :func:`summarise_top_n` does the former.

A *scorer* is anything that scores items for users: an object with
``score(users, items)``, a function ``scorer(users, items)``, both returning an array of
shape ``(len(users), len(items))`` where higher means "recommend first", or a precomputed
score matrix of shape ``(n_users, n_items)`` whose rows follow ``split.user_ids`` and whose
columns follow ``split.item_ids``. Users are scored in batches of ``batch_size`` against the
whole catalogue, so at most a ``(batch_size, n_items)`` block of scores exists at a time.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.data.splits import leave_last_out
from tutorial_lib.evaluation import uncertainty
from tutorial_lib.evaluation.metrics import ranking_metrics_per_user
from tutorial_lib.validation import check_positive_int, require_columns
from tutorial_lib.validation import check_choice, check_int

__all__ = [
    "MODES",
    "SAMPLINGS",
    "TARGETS",
    "SEQUENTIAL_SPLIT_NAME",
    "SampledVsFullConfig",
    "TopNSplit",
    "evaluate_top_n",
    "leave_last_out_split",
    "protocol_config",
    "sample_negatives",
    "split_name",
    "summarise_top_n",
]

TARGETS = ("test", "valid")
MODES = ("full", "sampled")
SAMPLINGS = ("uniform", "popularity")
MIN_INTERACTIONS = 3  # one to train on, one to validate, one to test

#: The results-record split name of the sequence-model tables (chapters 8-10, the RecBole
#: peer): the same split and full ranking as :func:`split_name`'s, but for the test target
#: every model reads train + valid (sequential models without retraining, classical models
#: refit on it), so these numbers never share a table with the fit-on-train ones.
SEQUENTIAL_SPLIT_NAME = "leave-last-out by time, full ranking, test input train + valid"


# --------------------------------------------------------------------------------------
# The split
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TopNSplit:
    """A leave-last-out split and the id spaces the protocol ranks in.

    Attributes
    ----------
    train : pandas.DataFrame
        Every interaction but each evaluated user's last two (all interactions of users
        with fewer than 3).
    valid, test : pandas.DataFrame
        One row per evaluated user: the second-to-last and the last interaction.
    user_ids : numpy.ndarray, shape (n_users,)
        Every user of the interactions, sorted: the rows of a precomputed score matrix.
    item_ids : numpy.ndarray, shape (n_items,)
        The catalogue, sorted: the columns of a score matrix and of ``scorer(users, items)``.
    user_col, item_col : str
        Names of the id columns in the three frames.
    """

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    user_ids: np.ndarray
    item_ids: np.ndarray
    user_col: str = "user_id"
    item_col: str = "item_id"

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def training_counts(self) -> np.ndarray:
        """How often each catalogue item occurs in ``train``, shape ``(n_items,)``."""
        positions = np.searchsorted(self.item_ids, self.train[self.item_col].to_numpy())
        return np.bincount(positions, minlength=self.n_items)

    def interaction_matrix(self, parts: tuple[str, ...]) -> scipy.sparse.csr_matrix:
        """Boolean ``(n_users, n_items)`` matrix: True where the user has the item in ``parts``.

        ``parts`` names frames of the split, e.g. ``("train", "valid")``.
        """
        frame = pd.concat([getattr(self, part) for part in parts])
        rows = np.searchsorted(self.user_ids, frame[self.user_col].to_numpy())
        columns = np.searchsorted(self.item_ids, frame[self.item_col].to_numpy())
        values = np.ones(len(frame), dtype=bool)
        matrix = scipy.sparse.csr_matrix((values, (rows, columns)), shape=(len(self.user_ids), self.n_items))
        matrix.sum_duplicates()  # repeated interactions are one True
        return matrix


def leave_last_out_split(
    interactions: pd.DataFrame,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    time_col: str = "timestamp",
    item_ids=None,
) -> TopNSplit:
    """Split each user's interactions by time: last = test, second-to-last = valid, rest = train.

    Uses :func:`tutorial_lib.data.splits.leave_last_out` twice. Among interactions of one
    user with the same timestamp the larger item id counts as later.

    Parameters
    ----------
    interactions : pandas.DataFrame, shape (n_interactions, n_columns)
        One row per interaction with ``user_col``, ``item_col`` and ``time_col``.
    item_ids : array_like, shape (n_items,), optional
        The catalogue (e.g. every film of ``u.item``). Default: the items that occur in
        ``interactions``. Every item of ``interactions`` must be in it.

    Returns
    -------
    TopNSplit
    """
    require_columns(interactions, "interactions", [user_col, item_col, time_col], allow_empty=False)
    observed_items = np.unique(interactions[item_col].to_numpy())
    if item_ids is None:
        catalogue = observed_items
    else:
        catalogue = np.unique(np.asarray(item_ids))
        unknown = np.setdiff1d(observed_items, catalogue)
        if unknown.size:
            raise ValueError(f"item_ids lacks {unknown.size} item(s) that occur in interactions, e.g. {unknown[:5].tolist()}.")
    history_length = interactions.groupby(user_col)[user_col].transform("size")
    long_enough = (history_length >= MIN_INTERACTIONS).to_numpy()
    train_and_valid, test = leave_last_out(interactions.loc[long_enough], 1, user_col, time_col, item_col)
    train, valid = leave_last_out(train_and_valid, 1, user_col, time_col, item_col)
    train = pd.concat([train, interactions.loc[~long_enough]]).sort_values(
        [user_col, time_col, item_col], kind="mergesort"
    )
    return TopNSplit(
        train=train,
        valid=valid,
        test=test,
        user_ids=np.unique(interactions[user_col].to_numpy()),
        item_ids=catalogue,
        user_col=user_col,
        item_col=item_col,
    )


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _check_ks(ks) -> list[int]:
    if isinstance(ks, numbers.Integral) and not isinstance(ks, bool):
        ks = [ks]
    if isinstance(ks, (str, bytes)) or not hasattr(ks, "__iter__"):
        raise ValueError(f"ks must be an int >= 1 or a sequence of them, got {ks!r}.")
    ks = list(ks)
    if not ks:
        raise ValueError("ks must be an int >= 1 or a non-empty sequence of them, got an empty sequence.")
    return sorted({check_int(k, "each entry of ks", min_val=1) for k in ks})


def _evaluated_users(split: TopNSplit, target: str, users) -> np.ndarray:
    """The users to evaluate, in order: ``users``, or every user with a target."""
    targets = getattr(split, target)
    with_target = targets[split.user_col].to_numpy()
    if users is None:
        return np.sort(with_target)
    requested = np.asarray(users)
    if requested.ndim != 1 or requested.size == 0:
        raise ValueError(f"users must be a non-empty 1-D array of user ids, got shape {requested.shape}.")
    unknown = np.setdiff1d(requested, split.user_ids)
    if unknown.size:
        raise ValueError(f"users holds {unknown.size} id(s) not in the split, e.g. {unknown[:5].tolist()}.")
    without_target = np.setdiff1d(requested, with_target)
    if without_target.size:
        raise ValueError(
            f"users holds {without_target.size} user(s) without a {target} item (fewer than "
            f"{MIN_INTERACTIONS} interactions), e.g. {without_target[:5].tolist()}."
        )
    if np.unique(requested).size != requested.size:
        raise ValueError("users holds repeated ids; give each user once.")
    return requested


def _score_function(scorer, split: TopNSplit):
    """A function ``(user_ids, item_ids) -> scores`` for any of the accepted scorers."""
    if hasattr(scorer, "score"):
        return scorer.score
    if callable(scorer):
        return scorer
    matrix = np.asarray(scorer)
    expected = (len(split.user_ids), split.n_items)
    if matrix.shape != expected:
        raise ValueError(
            f"scorer as a score matrix must have shape (n_users, n_items) = {expected} "
            f"(rows: split.user_ids, columns: split.item_ids), got {matrix.shape}."
        )
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"scorer as a score matrix must hold numbers, got dtype {matrix.dtype}.")

    def score_from_matrix(user_ids, item_ids):
        rows = np.searchsorted(split.user_ids, user_ids)
        columns = np.searchsorted(split.item_ids, item_ids)
        return matrix[np.ix_(rows, columns)]

    return score_from_matrix


def _scores_of_batch(score, user_ids: np.ndarray, split: TopNSplit) -> np.ndarray:
    """Call the scorer on one batch and check what it returned, shape ``(batch, n_items)``."""
    scores = np.asarray(score(user_ids, split.item_ids))
    expected = (len(user_ids), split.n_items)
    if scores.shape != expected:
        raise ValueError(
            f"scorer(users, items) must return shape (len(users), len(items)) = {expected}, got {scores.shape}."
        )
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"scorer returned dtype {scores.dtype}; scores must be numbers.")
    scores = scores.astype(np.float64)
    finite = np.isfinite(scores)
    if not finite.all():
        bad_user = user_ids[np.flatnonzero(~finite.all(axis=1))[0]].item()
        raise ValueError(
            f"scorer returned NaN or infinite scores (first for user {bad_user!r}); "
            "scores must be finite (the protocol excludes the history itself)."
        )
    return scores


# --------------------------------------------------------------------------------------
# Sampled negatives
# --------------------------------------------------------------------------------------
def sample_negatives(
    split: TopNSplit,
    users,
    *,
    n_negatives: int = 100,
    sampling: str = "uniform",
    seed: int | None = None,
) -> np.ndarray:
    """Draw each user's negative candidates for the sampled protocol.

    Negatives are drawn without replacement from the items the user never interacted with
    (in train, valid or test): ``"uniform"`` gives each such item the same chance;
    ``"popularity"`` a chance proportional to its count in ``split.train`` (items never
    seen in training are then never drawn). Users are drawn in the order given, from one
    generator seeded with ``seed``, so the same call gives the same negatives.

    Parameters
    ----------
    split : TopNSplit
    users : array_like, shape (n_users,)
        User ids, each in ``split.user_ids``.
    n_negatives : int, default 100
    sampling : {"uniform", "popularity"}, default "uniform"
    seed : int or None
        None uses the book's seed (``TUTORIAL_SEED``).

    Returns
    -------
    numpy.ndarray of int64, shape (n_users, n_negatives)
        Positions in ``split.item_ids`` (not item ids).

    Raises
    ------
    ValueError
        If a user has fewer than ``n_negatives`` items left to draw from.
    """
    n_negatives = check_positive_int(n_negatives, "n_negatives")
    sampling = check_choice(sampling, "sampling", SAMPLINGS)
    user_ids = np.asarray(users)
    unknown = np.setdiff1d(user_ids, split.user_ids)
    if unknown.size:
        raise ValueError(f"users holds {unknown.size} id(s) not in the split, e.g. {unknown[:5].tolist()}.")
    rng = np.random.default_rng(get_seed() if seed is None else seed)
    interacted = split.interaction_matrix(("train", "valid", "test"))
    weights = split.training_counts().astype(np.float64) if sampling == "popularity" else np.ones(split.n_items)
    rows = np.searchsorted(split.user_ids, user_ids)
    negatives = np.empty((len(user_ids), n_negatives), dtype=np.int64)
    for i, row in enumerate(rows):
        allowed = weights.copy()
        allowed[interacted[row].indices] = 0.0
        n_allowed = int(np.count_nonzero(allowed))
        if n_allowed < n_negatives:
            raise ValueError(
                f"user {user_ids[i].item()!r} has only {n_allowed} items to draw negatives from "
                f"(sampling={sampling!r}); lower n_negatives={n_negatives}."
            )
        negatives[i] = rng.choice(split.n_items, size=n_negatives, replace=False, p=allowed / allowed.sum())
    return negatives


# --------------------------------------------------------------------------------------
# The protocol
# --------------------------------------------------------------------------------------
def _rank_in_full_catalogue(scores, target_positions, history, ks, ties) -> dict[str, np.ndarray]:
    """Per-user metrics of one batch in full ranking.

    ``scores`` and ``history`` have shape ``(batch, n_items)``; ``target_positions`` shape
    ``(batch,)``. History items are excluded, except the target itself.
    """
    is_target = np.zeros(scores.shape, dtype=bool)
    is_target[np.arange(len(scores)), target_positions] = True
    exclude = history & ~is_target
    per_user = ranking_metrics_per_user(is_target, scores, ks, ties=ties, exclude=exclude)
    per_user["n_candidates"] = scores.shape[1] - exclude.sum(axis=1)
    return per_user


def _rank_among_sampled(scores, target_positions, negatives, ks, ties) -> dict[str, np.ndarray]:
    """Per-user metrics of one batch in sampled ranking.

    ``scores`` has shape ``(batch, n_items)``, ``target_positions`` ``(batch,)`` and
    ``negatives`` ``(batch, n_negatives)``, both positions in the catalogue.
    """
    candidates = np.column_stack([target_positions, negatives])  # column 0: the target
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)  # (batch, 1 + n_negatives)
    is_target = np.zeros(candidates.shape, dtype=bool)
    is_target[:, 0] = True
    per_user = ranking_metrics_per_user(is_target, candidate_scores, ks, ties=ties)
    per_user["n_candidates"] = np.full(len(scores), candidates.shape[1])
    return per_user


def evaluate_top_n(
    scorer,
    split: TopNSplit,
    *,
    target: str = "test",
    mode: str = "full",
    ks=(10,),
    n_negatives: int = 100,
    sampling: str = "uniform",
    seed: int | None = None,
    ties: str = "pessimistic",
    users=None,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Rank each user's target item among its candidates; one row of metrics per user.

    See the module docstring for the protocol (candidates, metrics, tie rule).

    Parameters
    ----------
    scorer
        ``scorer.score(users, items)``, ``scorer(users, items)`` (each returning shape
        ``(len(users), len(items))``), or a score matrix of shape ``(n_users, n_items)``
        (rows ``split.user_ids``, columns ``split.item_ids``). Scores must be finite.
    split : TopNSplit
        From :func:`leave_last_out_split`.
    target : {"test", "valid"}, default "test"
        Which held-out item to rank. For ``"test"`` the history excluded in full ranking is
        train + valid; for ``"valid"`` it is train.
    mode : {"full", "sampled"}, default "full"
    ks : int or sequence of int, default (10,)
        Cut-offs K, each >= 1 (larger than the number of candidates: every candidate is in
        the list); reported in increasing order.
    n_negatives, sampling, seed
        For ``mode="sampled"``: see :func:`sample_negatives`.
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        See :func:`tutorial_lib.evaluation.metrics.rank_of_true_item`.
    users : array_like, shape (n_eval_users,), optional
        Evaluate only these users, in this order (each must have a ``target`` item).
        Default: every user with one, sorted by id.
    batch_size : int, default 256
        Users scored at once; results do not depend on it.

    Returns
    -------
    pandas.DataFrame, shape (n_eval_users, 5 + 3 * len(ks))
        Columns ``user_col``, ``item_col`` (the target), ``n_candidates``, ``rank``,
        ``mrr`` (the reciprocal rank; its mean is MRR), then ``hr@K``, ``recall@K`` and
        ``ndcg@K`` for each K. ``frame.attrs`` records the protocol's settings.
    """
    target = check_choice(target, "target", TARGETS)
    mode = check_choice(mode, "mode", MODES)
    sampling = check_choice(sampling, "sampling", SAMPLINGS)  # checked even when unused
    n_negatives = check_positive_int(n_negatives, "n_negatives")
    ks = _check_ks(ks)
    batch_size = check_positive_int(batch_size, "batch_size")
    score = _score_function(scorer, split)
    user_ids = _evaluated_users(split, target, users)

    target_items = getattr(split, target).set_index(split.user_col)[split.item_col]
    target_item_ids = target_items.loc[user_ids].to_numpy()
    target_positions = np.searchsorted(split.item_ids, target_item_ids)
    history_parts = ("train", "valid") if target == "test" else ("train",)
    history = split.interaction_matrix(history_parts)
    history_rows = np.searchsorted(split.user_ids, user_ids)
    if mode == "sampled":
        negatives = sample_negatives(split, user_ids, n_negatives=n_negatives, sampling=sampling, seed=seed)

    batches = []
    for start in range(0, len(user_ids), batch_size):
        batch = slice(start, start + batch_size)
        scores = _scores_of_batch(score, user_ids[batch], split)  # (batch, n_items)
        if mode == "full":
            history_of_batch = history[history_rows[batch]].toarray()  # (batch, n_items), bool
            per_user = _rank_in_full_catalogue(scores, target_positions[batch], history_of_batch, ks, ties)
        else:
            per_user = _rank_among_sampled(scores, target_positions[batch], negatives[batch], ks, ties)
        batches.append(pd.DataFrame(per_user))

    metrics = pd.concat(batches, ignore_index=True)
    columns = ["n_candidates", "rank", "mrr"] + [f"{name}@{k}" for k in ks for name in ("hr", "recall", "ndcg")]
    frame = pd.concat(
        [pd.DataFrame({split.user_col: user_ids, split.item_col: target_item_ids}), metrics[columns]], axis=1
    )
    frame.attrs = {"target": target, "mode": mode, "ties": ties, "ks": ks}
    if mode == "sampled":
        frame.attrs |= {"n_negatives": n_negatives, "sampling": sampling, "seed": get_seed() if seed is None else seed}
    return frame


def summarise_top_n(
    per_user: pd.DataFrame,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Mean of each metric of :func:`evaluate_top_n` with its bootstrap interval over users.

    Parameters
    ----------
    per_user : pandas.DataFrame
        The frame :func:`evaluate_top_n` returned.
    confidence, n_resamples, seed
        As in :func:`tutorial_lib.evaluation.uncertainty.bootstrap_ci`.

    Returns
    -------
    pandas.DataFrame, shape (n_metrics, 3)
        Index: ``mrr`` then ``hr@K``, ``recall@K``, ``ndcg@K``; columns ``mean``, ``low``,
        ``high``.
    """
    require_columns(per_user, "per_user", ["mrr"], allow_empty=False, hint=" Pass the frame evaluate_top_n returned.")
    metric_columns = [column for column in per_user.columns if column == "mrr" or "@" in column]
    rows = {}
    for column in metric_columns:
        interval = uncertainty.bootstrap_ci(
            per_user[column], n_resamples=n_resamples, confidence=confidence, seed=seed
        )
        rows[column] = {"mean": interval.estimate, "low": interval.low, "high": interval.high}
    return pd.DataFrame.from_dict(rows, orient="index")


def split_name(per_user: pd.DataFrame) -> str:
    """The results-record split name of a frame :func:`evaluate_top_n` returned.

    Full ranking: ``"leave-last-out by time, full ranking"``; sampled ranking names the
    number and kind of negatives, e.g. ``"leave-last-out by time, 100 uniform negatives"``,
    so that sampled numbers of different settings never share a leaderboard table.

    Parameters
    ----------
    per_user : pandas.DataFrame
        The frame :func:`evaluate_top_n` returned (its ``attrs`` hold the settings).

    Returns
    -------
    str
    """
    settings = _protocol_attrs(per_user)
    if settings["mode"] == "full":
        return "leave-last-out by time, full ranking"
    plural = "" if settings["n_negatives"] == 1 else "s"
    return f"leave-last-out by time, {settings['n_negatives']} {settings['sampling']} negative{plural}"


def protocol_config(per_user: pd.DataFrame) -> dict:
    """The protocol settings to put in a results record's ``config``.

    ``mode`` and ``ties`` always; ``n_negatives`` and ``sampling`` only in sampled ranking
    (a full-ranking record has no negatives to count).

    Parameters
    ----------
    per_user : pandas.DataFrame
        The frame :func:`evaluate_top_n` returned.

    Returns
    -------
    dict
    """
    settings = _protocol_attrs(per_user)
    config = {"mode": settings["mode"], "ties": settings["ties"]}
    if settings["mode"] == "sampled":
        config |= {"n_negatives": int(settings["n_negatives"]), "sampling": settings["sampling"]}
    return config


def _protocol_attrs(per_user) -> dict:
    if not isinstance(per_user, pd.DataFrame) or "mode" not in per_user.attrs:
        raise ValueError("per_user: expected the frame evaluate_top_n returned (its attrs hold the settings).")
    return per_user.attrs


# --------------------------------------------------------------------------------------
# Sizes of the evaluation chapter's sampled-versus-full comparison
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SampledVsFullConfig(ProfileConfig):
    """Sizes of chapter 4's comparison of sampled and full-ranking metrics.

    Attributes
    ----------
    n_negatives_grid : tuple of int
        The numbers of sampled negatives per user to evaluate with, besides full ranking
        (Krichene and Rendle, KDD 2020, use the same kind of sweep).
    cutoff : int
        K of HR@K and NDCG@K.
    n_bootstrap : int
        Bootstrap resamples of the users for the confidence intervals.
    n_factors : int
        Factors of the two matrix factorisations compared (BPR and weighted ALS). The chapter
        uses fixed, untuned settings; chapter 6 tunes these models on validation.
    bpr_epochs, bpr_learning_rate, bpr_regularisation, bpr_batch_size
        BPR's training settings.
    als_iterations, als_alpha, als_regularisation
        Weighted ALS's settings (confidence ``1 + als_alpha * r``).
    """

    n_negatives_grid: tuple[int, ...] = (10, 20, 50, 100, 200, 500)
    cutoff: int = 10
    n_bootstrap: int = 1000
    n_factors: int = 64
    bpr_epochs: int = 40
    bpr_learning_rate: float = 0.05
    bpr_regularisation: float = 0.01
    bpr_batch_size: int = 256
    als_iterations: int = 15
    als_alpha: float = 10.0
    als_regularisation: float = 1.0

    QUICK: ClassVar[dict] = {"n_bootstrap": 200, "bpr_epochs": 10, "als_iterations": 5}
    N_USERS: ClassVar[int] = 943  # the users of MovieLens 100K
    N_MODELS: ClassVar[int] = 6  # an upper bound for the models compared
    QUICK_COST_LIMIT: ClassVar[int] = 943 * 6 * (6 + 1 + 200)

    def cost(self) -> int:
        """User evaluations: users x models x (settings + bootstrap resamples)."""
        settings = len(self.n_negatives_grid) + 1  # and full ranking
        return self.N_USERS * self.N_MODELS * (settings + self.n_bootstrap)
