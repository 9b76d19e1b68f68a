"""Hybrid recommenders (混合推荐): combine the scores of several fitted recommenders.

Scores of different models live on different scales (counts for popularity, cosines for
content, logits for NCF), so every hybrid here first normalises each model's scores *per
user*, over the items being scored (:func:`normalise_per_user`), and only then combines them:

- :class:`WeightedHybrid`: a weighted sum of the normalised scores; the weights are chosen on
  the validation targets with :func:`choose_fusion_weights` (never on the test targets).
- :class:`SwitchingHybrid`: one model for users and items with enough history, another (a
  content or popularity model) for cold-start users and items.
- :class:`StackingHybrid`: a logistic regression over the normalised scores, trained on the
  validation targets against sampled negatives; its weights play the part of the fusion
  weights, learnt instead of searched.

The base models are fitted on the same training rows as the hybrid (``fit_models=True``), or
passed already fitted (``fit_models=False``), in which case they must have the same catalogue.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tutorial_lib.evaluation.protocols import TopNSplit, evaluate_top_n
from tutorial_lib.models.logistic import LogisticRegression
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import check_bool, check_choice, check_int, check_real, require_columns

__all__ = [
    "NORMALISATIONS",
    "normalise_per_user",
    "WeightedHybrid",
    "fusion_weight_grid",
    "choose_fusion_weights",
    "SwitchingHybrid",
    "StackingHybrid",
]

NORMALISATIONS = ("zscore", "minmax")


def normalise_per_user(scores, method: str = "zscore") -> np.ndarray:
    """Put each row of ``scores`` on a common scale.

    Parameters
    ----------
    scores : array_like, shape (n_users, n_items)
    method : {"zscore", "minmax"}
        ``"zscore"``: subtract the row's mean, divide by its standard deviation.
        ``"minmax"``: map the row's minimum to 0 and its maximum to 1.
        A constant row becomes zeros either way (it ranks nothing above anything).

    Returns
    -------
    numpy.ndarray of float64, shape (n_users, n_items)
    """
    method = check_choice(method, "method", NORMALISATIONS)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be 2-D (n_users, n_items), got shape {scores.shape}.")
    if method == "zscore":
        centre = scores.mean(axis=1, keepdims=True)
        spread = scores.std(axis=1, keepdims=True)
    else:
        centre = scores.min(axis=1, keepdims=True)
        spread = scores.max(axis=1, keepdims=True) - centre
    return np.divide(scores - centre, spread, out=np.zeros_like(scores), where=spread > 0)


def _check_models(models, minimum: int) -> list[Recommender]:
    if isinstance(models, Recommender) or not isinstance(models, Sequence):
        raise TypeError("models must be a list of Recommender objects.")
    models = list(models)
    if len(models) < minimum:
        raise ValueError(f"models must hold at least {minimum} recommenders, got {len(models)}.")
    for position, model in enumerate(models):
        if not isinstance(model, Recommender):
            raise TypeError(f"models[{position}] must be a Recommender, got {type(model).__name__}.")
    return models


class _HybridBase(Recommender):
    """What the hybrids share: fitting (or checking) the base models, normalised scores."""

    def __init__(self, models, *, normalisation: str, fit_models: bool, user_col: str, item_col: str,
                 minimum: int = 2):
        super().__init__(user_col=user_col, item_col=item_col)
        self.models = _check_models(models, minimum)
        self.normalisation = check_choice(normalisation, "normalisation", NORMALISATIONS)
        self.fit_models = check_bool(fit_models, "fit_models")

    def _fit_base_models(self, interactions: pd.DataFrame) -> None:
        for position, model in enumerate(self.models):
            if self.fit_models:
                model.fit(interactions, items=self.item_ids_)
            elif not hasattr(model, "item_ids_"):
                raise ValueError(f"models[{position}] is not fitted; fit it first or pass fit_models=True.")
            elif not np.array_equal(model.item_ids_, self.item_ids_):
                raise ValueError(f"models[{position}] was fitted with another catalogue; pass the same items.")

    def fit(self, interactions: pd.DataFrame, items=None):
        """Record the catalogue and fit (or check) the base models (see :meth:`Recommender.fit`)."""
        super().fit(interactions, items=items)
        self._fit_base_models(interactions)
        return self

    def _fit(self, matrix) -> None:
        """Nothing of its own: the base models learn in :meth:`fit`."""

    def _normalised(self, model: Recommender, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """``model``'s scores normalised per user, shape ``(len(user_ids), len(item_ids))``."""
        return normalise_per_user(model.score(user_ids, item_ids), self.normalisation)


# --------------------------------------------------------------------------------------
# Weighted fusion
# --------------------------------------------------------------------------------------
class WeightedHybrid(_HybridBase):
    """``score(u, i) = sum_m weight_m * normalised score_m(u, i)``.

    Parameters
    ----------
    models : list of Recommender
        Two or more.
    weights : sequence of float, shape (len(models),)
        Each >= 0, not all 0 (only their ratios matter for the ranking).
    normalisation : {"zscore", "minmax"}, default "zscore"
        See :func:`normalise_per_user`; applied over the items scored in one call (the
        whole catalogue in :func:`tutorial_lib.evaluation.protocols.evaluate_top_n`).
    fit_models : bool, default True
        Fit the base models in :meth:`fit`; False: they are already fitted.
    """

    def __init__(self, models, weights, *, normalisation: str = "zscore", fit_models: bool = True,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(models, normalisation=normalisation, fit_models=fit_models,
                         user_col=user_col, item_col=item_col)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(self.models),) or (weights < 0).any() or weights.sum() <= 0 \
                or not np.isfinite(weights).all():
            raise ValueError(
                f"weights must be {len(self.models)} finite numbers >= 0 (one per model), not all 0; "
                f"got {weights.tolist()}."
            )
        self.weights = weights

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        user_ids = self.user_ids_[user_rows]
        item_ids = self.item_ids_[item_columns]
        fused = np.zeros((len(user_rows), len(item_columns)))
        for weight, model in zip(self.weights, self.models):
            if weight > 0:
                fused += weight * self._normalised(model, user_ids, item_ids)
        return fused


def fusion_weight_grid(n_models: int, step: float = 0.1) -> np.ndarray:
    """Every weight vector with entries in ``0, step, 2 step, ..., 1`` that sums to 1.

    Returns
    -------
    numpy.ndarray, shape (n_combinations, n_models)
        For two models and step 0.5: ``[[0, 1], [0.5, 0.5], [1, 0]]``.
    """
    n_models = check_int(n_models, "n_models", min_val=1)
    step = check_real(step, "step", min_val=0, max_val=1, include_boundaries="right")
    n_steps = round(1 / step)
    if not np.isclose(n_steps * step, 1.0):
        raise ValueError(f"step must divide 1 into whole steps (0.5, 0.25, 0.1, ...), got {step}.")
    combinations = [counts for counts in itertools.product(range(n_steps + 1), repeat=n_models)
                    if sum(counts) == n_steps]
    return np.array(sorted(combinations), dtype=np.float64) / n_steps


def choose_fusion_weights(models, split: TopNSplit, *, grid=None, metric: str = "ndcg@10",
                          normalisation: str = "zscore") -> tuple[np.ndarray, pd.DataFrame]:
    """Search the fusion weights on the **validation** targets of ``split``.

    Parameters
    ----------
    models : list of Recommender
        Fitted on ``split.train`` with ``items=split.item_ids``.
    split : TopNSplit
    grid : array_like, shape (n_combinations, len(models)), optional
        Weight vectors to try; default :func:`fusion_weight_grid` with step 0.1.
    metric : str, default "ndcg@10"
        A column of :func:`evaluate_top_n`'s result whose mean is maximised ("hr@10", "mrr", ...).
    normalisation : {"zscore", "minmax"}

    Returns
    -------
    (numpy.ndarray of shape (len(models),), pandas.DataFrame)
        The best weights (the first of the grid among equal means) and one row per weight
        vector: a column ``w<m>`` per model and ``metric``'s mean on the validation targets.
    """
    models = _check_models(models, 2)
    normalisation = check_choice(normalisation, "normalisation", NORMALISATIONS)
    grid = fusion_weight_grid(len(models)) if grid is None else np.asarray(grid, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[1] != len(models):
        raise ValueError(f"grid must have shape (n_combinations, {len(models)}), got {grid.shape}.")
    for position, model in enumerate(models):
        if not hasattr(model, "item_ids_") or not np.array_equal(model.item_ids_, split.item_ids):
            raise ValueError(f"models[{position}] must be fitted on the split with items=split.item_ids.")
    users = np.sort(split.valid[split.user_col].to_numpy())
    # Each model's normalised scores of the validation users, computed once for the whole grid.
    normalised = [normalise_per_user(model.score(users, split.item_ids), normalisation) for model in models]
    k = _cut_off(metric)
    rows = []
    for weights in grid:
        fused = sum(weight * scores for weight, scores in zip(weights, normalised))  # (n_users, n_items)
        matrix = np.zeros((len(split.user_ids), split.n_items))
        matrix[np.searchsorted(split.user_ids, users)] = fused
        per_user = evaluate_top_n(matrix, split, target="valid", ks=(k,), users=users)
        if metric not in per_user.columns:
            raise ValueError(f"metric must be a column of evaluate_top_n's result, e.g. 'ndcg@10'; got {metric!r}.")
        rows.append({**{f"w{m}": weight for m, weight in enumerate(weights)}, metric: per_user[metric].mean()})
    table = pd.DataFrame(rows)
    best = int(np.argmax(table[metric].to_numpy()))
    return grid[best], table


def _cut_off(metric: str) -> int:
    if "@" not in metric:
        return 10
    try:
        return int(metric.split("@", 1)[1])
    except ValueError:
        raise ValueError(f"metric must look like 'ndcg@10', 'hr@10' or 'mrr'; got {metric!r}.") from None


# --------------------------------------------------------------------------------------
# Switching
# --------------------------------------------------------------------------------------
class SwitchingHybrid(_HybridBase):
    """The primary model where there is history, a fallback model for cold start.

    - A user with fewer than ``min_user_interactions`` training items gets the fallback's
      scores for every item. (A user with no interaction at all is unknown to every model
      but popularity: score such users with popularity directly.)
    - For the other users, an item with fewer than ``min_item_interactions`` training
      interactions gets the fallback's normalised score, every other item the primary's.

    Parameters
    ----------
    primary, fallback : Recommender
        E.g. item-KNN or NCF, and content or popularity.
    min_user_interactions : int, default 5
    min_item_interactions : int, default 1
        With 1 only items that never occur in training switch to the fallback.
    """

    def __init__(self, primary: Recommender, fallback: Recommender, *, min_user_interactions: int = 5,
                 min_item_interactions: int = 1, normalisation: str = "zscore", fit_models: bool = True,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__([primary, fallback], normalisation=normalisation, fit_models=fit_models,
                         user_col=user_col, item_col=item_col)
        self.primary, self.fallback = self.models
        self.min_user_interactions = check_int(min_user_interactions, "min_user_interactions", min_val=0)
        self.min_item_interactions = check_int(min_item_interactions, "min_item_interactions", min_val=0)

    def cold_users(self, users) -> np.ndarray:
        """Boolean ``(len(users),)``: which users the fallback scores."""
        rows = self._user_rows(users)
        return self.interactions_.getnnz(axis=1)[rows] < self.min_user_interactions

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        user_ids, item_ids = self.user_ids_[user_rows], self.item_ids_[item_columns]
        cold_user = self.interactions_.getnnz(axis=1)[user_rows] < self.min_user_interactions
        cold_item = self.interactions_.getnnz(axis=0)[item_columns] < self.min_item_interactions
        scores = self._normalised(self.fallback, user_ids, item_ids)  # (n_users, n_items)
        warm = ~cold_user
        if warm.any():
            primary = self._normalised(self.primary, user_ids[warm], item_ids)
            primary[:, cold_item] = scores[warm][:, cold_item]
            scores[warm] = primary
        return scores


# --------------------------------------------------------------------------------------
# Stacking
# --------------------------------------------------------------------------------------
class StackingHybrid(_HybridBase):
    """A logistic regression over the base models' normalised scores (stacking, 堆叠).

    Training data for the regression: for every user of ``targets`` (one held-out item per
    user, e.g. ``split.valid``), the target item is a positive and ``n_negatives`` items the
    user never interacted with (neither in training nor the target) are negatives; the
    features of a (user, item) pair are the base models' normalised scores of it. The score
    of a pair is then the regression's logit ``w . features + b``.

    Parameters
    ----------
    models : list of Recommender
        Fitted on rows that do not contain the targets (``fit_models`` as in the others).
    n_negatives : int, default 20
    C : float, default 1.0
        Inverse L2 penalty of :class:`tutorial_lib.models.logistic.LogisticRegression`.
    seed : int, default 0
        Seeds the negatives.

    Attributes (after ``fit``)
    --------------------------
    stacker_ : LogisticRegression
    coef_ : numpy.ndarray, shape (len(models),)
        The learnt weight of each model's normalised score.
    """

    def __init__(self, models, *, n_negatives: int = 20, C: float = 1.0, seed: int = 0,
                 normalisation: str = "zscore", fit_models: bool = True,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(models, normalisation=normalisation, fit_models=fit_models,
                         user_col=user_col, item_col=item_col, minimum=1)
        self.n_negatives = check_int(n_negatives, "n_negatives", min_val=1)
        self.C = check_real(C, "C", min_val=0, include_boundaries="neither")
        self.seed = check_int(seed, "seed", min_val=0)

    def fit(self, interactions: pd.DataFrame, items=None, *, targets: pd.DataFrame | None = None):
        """Fit (or check) the base models on ``interactions``, then the regression on ``targets``.

        Parameters
        ----------
        interactions : pandas.DataFrame
            Training rows (the base models learn from them).
        items : array_like, optional
            The catalogue.
        targets : pandas.DataFrame
            One row per user with ``user_col`` and ``item_col``: the held-out item the
            regression learns to put first (``split.valid``). Its users must be in
            ``interactions`` and its items in the catalogue.
        """
        if targets is None:
            raise ValueError("targets is required: the held-out rows (e.g. split.valid) the stacker learns from.")
        require_columns(targets, "targets", [self.user_col, self.item_col], allow_empty=False)
        super().fit(interactions, items=items)
        target_users = targets[self.user_col].to_numpy()
        user_rows = self._user_rows(target_users)
        target_columns = self._item_columns(targets[self.item_col].to_numpy())
        rng = np.random.default_rng(self.seed)
        features, labels = [], []
        for start in range(0, len(user_rows), 256):
            rows, columns = user_rows[start:start + 256], target_columns[start:start + 256]
            normalised = [self._normalised(model, self.user_ids_[rows], self.item_ids_) for model in self.models]
            history = self.interactions_[rows].toarray() > 0
            for position in range(len(rows)):
                allowed = ~history[position]
                allowed[columns[position]] = False
                candidates = np.flatnonzero(allowed)
                negatives = rng.choice(candidates, size=min(self.n_negatives, len(candidates)), replace=False)
                chosen = np.r_[columns[position], negatives]
                features.append(np.column_stack([scores[position, chosen] for scores in normalised]))
                labels.append(np.r_[1.0, np.zeros(len(negatives))])
        self.stacker_ = LogisticRegression(C=self.C).fit(np.vstack(features), np.concatenate(labels))
        self.coef_ = self.stacker_.coef_.ravel()
        return self

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        user_ids, item_ids = self.user_ids_[user_rows], self.item_ids_[item_columns]
        logits = np.full((len(user_rows), len(item_columns)), float(self.stacker_.intercept_[0]))
        for weight, model in zip(self.coef_, self.models):
            logits += weight * self._normalised(model, user_ids, item_ids)
        return logits
