"""The sources' worked examples and wrong formulas, recomputed so the book can show them.

Nothing here is a model: these helpers evaluate what a source article printed and what its own
numbers really give. The correct model lives in :mod:`tutorial_lib.models.logistic`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tutorial_lib.models.logistic import log_odds, logit, sigmoid
from tutorial_lib.validation import check_int

__all__ = [
    "wrong_sign_probability",
    "WorkedExample",
    "source000_example",
    "source003_example",
    # Chapter 4: evaluation
    "SOURCE000_VALIDATION_RESULTS",
    "SOURCE001_TEST_RESULTS",
    "SOURCE004_CONFUSION_MATRIX",
    "SOURCE004_CLAIMED_METRICS",
    "implied_precision",
    "labels_from_confusion_matrix",
    "source004_metrics",
    # Chapter 8: convolution
    "SOURCE000_CONV_EXAMPLE",
    # Chapter 9: recurrence
    "RNNWorkedExample",
    "rnn_steps",
    "source000_rnn_example",
]


def wrong_sign_probability(coefficients: Sequence[float], features: Sequence[float], intercept: float) -> float:
    """Source 000 §4.1's formula ``1 / (1 + exp(-beta_0 + sum_i beta_i x_i))``. Do not use it.

    Only the intercept is negated in the exponent, so it equals
    ``sigmoid(beta_0 - sum_i beta_i x_i)``: every coefficient acts with the wrong sign.
    Kept so that the book can show how far it is from
    :func:`tutorial_lib.models.logistic.predicted_probability`.
    """
    wrong_exponent_sum = -logit(coefficients, features, 0.0) + intercept
    return sigmoid(wrong_exponent_sum)


# --------------------------------------------------------------------------------------
# The sources' worked examples, recomputed
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class WorkedExample:
    """A worked example from a source article, with what the arithmetic really gives.

    Attributes
    ----------
    source : str
        Where the example comes from, e.g. ``"000 §4.1"``.
    intercept : float
        ``beta_0``.
    coefficients : tuple of float
        ``beta_1 ... beta_n``.
    features : tuple of float
        ``x_1 ... x_n`` (raw, unscaled, as in the source).
    claimed_probability : float
        The probability the source prints.
    logit : float
        ``beta_0 + sum_i beta_i x_i``.
    probability : float
        ``sigmoid(logit)``, the correct ``P(y = 1 | x)`` (may round to 1.0 in float64).
    complement_probability : float
        ``sigmoid(-logit) = P(y = 0 | x)``, accurate even when ``probability`` rounds to 1.
    claimed_logit : float
        The logit the claimed probability would need (``log_odds(claimed_probability)``).
    wrong_sign_probability : float or None
        The source's own (wrong) formula evaluated, where the source wrote one; else None.
    """

    source: str
    intercept: float
    coefficients: tuple[float, ...]
    features: tuple[float, ...]
    claimed_probability: float
    logit: float
    probability: float
    complement_probability: float
    claimed_logit: float
    wrong_sign_probability: float | None = None


def _recompute_example(
    source: str,
    intercept: float,
    coefficients: tuple[float, ...],
    features: tuple[float, ...],
    claimed_probability: float,
    with_wrong_sign: bool,
) -> WorkedExample:
    example_logit = logit(coefficients, features, intercept)
    return WorkedExample(
        source=source,
        intercept=intercept,
        coefficients=coefficients,
        features=features,
        claimed_probability=claimed_probability,
        logit=example_logit,
        probability=sigmoid(example_logit),
        complement_probability=sigmoid(-example_logit),
        claimed_logit=log_odds(claimed_probability),
        wrong_sign_probability=(
            wrong_sign_probability(coefficients, features, intercept) if with_wrong_sign else None
        ),
    )


def source000_example() -> WorkedExample:
    """Source 000 §4.1: age 25, 10 purchases, 20 page views; the source claims P = 0.895.

    Coefficients ``beta = (-2.5, 0.5, 1.2, 0.8)`` (intercept first) and features
    ``x = (25, 10, 20)`` give the logit ``-2.5 + 12.5 + 12 + 16 = 38``, so
    ``P = sigmoid(38) = 1 - 3.1e-17``, which is 1.0 in float64. The claimed 0.895 would need
    a logit of about 2.14. The source's general formula, with the wrong sign, gives
    ``1 / (1 + exp(2.5 + 40.5)) = sigmoid(-43)``, about 2.1e-19: wrong in the other
    direction. (The source's numeric line writes the sign correctly and still prints 0.895.)

    Both numbers are extreme because the features are raw counts and years: one feature
    alone (0.5 × 25 = 12.5) saturates the sigmoid.
    """
    return _recompute_example(
        source="000 §4.1",
        intercept=-2.5,
        coefficients=(0.5, 1.2, 0.8),
        features=(25.0, 10.0, 20.0),
        claimed_probability=0.895,
        with_wrong_sign=True,
    )


def source003_example(female_code: int = 0) -> WorkedExample:
    """Source 003, "举例说明": a 28-year-old woman with 8 page views; the source claims 0.384.

    The source fits ``beta_0 = -4.5`` and ``beta = (0.5, 2.0, 1.5)`` for (age, gender, page
    views) but never says how gender is coded. With ``female_code = 0`` the logit is
    ``-4.5 + 0.5·28 + 2.0·0 + 1.5·8 = 21.5`` (P = 1 - 4.6e-10); with ``female_code = 1`` it is
    23.5 (P = 1 - 6.2e-11). Either way P is essentially 1, not 0.384 (which needs a logit of
    about -0.47), and the source's "predicted: no purchase" is the opposite of what its own
    model says. Unscaled features saturate the logit again.

    Parameters
    ----------
    female_code : {0, 1}
        The value the gender feature takes for a woman.
    """
    female_code = check_int(female_code, "female_code", min_val=0, max_val=1)
    return _recompute_example(
        source="003 举例说明",
        intercept=-4.5,
        coefficients=(0.5, 2.0, 1.5),
        features=(28.0, float(female_code), 8.0),
        claimed_probability=0.384,
        with_wrong_sign=False,
    )


# --------------------------------------------------------------------------------------
# Chapter 4: the sources' evaluation tables, recomputed
# --------------------------------------------------------------------------------------
#: What source 000 §5.4.1 prints for its validation set (accuracy, weighted recall, F1).
SOURCE000_VALIDATION_RESULTS = {"accuracy": 0.8575, "recall": 0.8125, "f1": 0.8281}

#: What source 001 §5.3 prints for its test set (accuracy, binary recall, F1).
SOURCE001_TEST_RESULTS = {"accuracy": 0.8533, "recall": 0.8667, "f1": 0.8600}

#: Source 004 §3.6.2's confusion matrix: rows the actual class (A, B), columns the
#: predicted class (A, B).
SOURCE004_CONFUSION_MATRIX = ((60, 20), (10, 30))

#: Source 004 §3.6.1's table of results, as fractions.
SOURCE004_CLAIMED_METRICS = {"accuracy": 0.85, "precision": 0.90, "recall": 0.80, "f1": 0.84}


def implied_precision(f1: float, recall: float) -> float:
    """The precision ``P`` for which ``2 P R / (P + R)`` equals ``f1``, given the recall ``R``.

    Solving the harmonic mean for ``P`` gives ``P = F1 R / (2 R - F1)``; it exists only
    when ``2 R > F1`` (a harmonic mean is below twice its smaller argument).
    """
    if not 0 < f1 < 2 * recall:
        raise ValueError(f"f1 must lie in (0, 2 * recall) = (0, {2 * recall}), got f1={f1!r}.")
    return f1 * recall / (2 * recall - f1)


def labels_from_confusion_matrix(matrix, positive: int = 0):
    """Label and prediction vectors that give ``matrix``, with class ``positive`` as 1.

    Parameters
    ----------
    matrix : sequence of two rows of two counts
        Rows: the actual class (0, 1); columns: the predicted class (0, 1), as in
        :data:`SOURCE004_CONFUSION_MATRIX`.
    positive : {0, 1}
        Which class (row and column) counts as positive, coded 1 in the output.

    Returns
    -------
    tuple of two numpy.ndarray of int64, each shape (total count,)
        ``y_true`` and ``y_pred``.
    """
    import numpy as np

    positive = check_int(positive, "positive", min_val=0, max_val=1)
    counts = np.asarray(matrix)
    if counts.shape != (2, 2) or counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError(f"matrix must be 2 x 2 non-negative integer counts, got {matrix!r}.")
    y_true, y_pred = [], []
    for actual in (0, 1):
        for predicted in (0, 1):
            n = int(counts[actual, predicted])
            y_true += [int(actual == positive)] * n
            y_pred += [int(predicted == positive)] * n
    return np.array(y_true, dtype=np.int64), np.array(y_pred, dtype=np.int64)


def source004_metrics(positive: int = 0) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of source 004's confusion matrix.

    ``positive`` = 0 takes class A as the positive class, 1 class B. Computed with
    :mod:`tutorial_lib.evaluation.metrics` on the label vectors of
    :func:`labels_from_confusion_matrix`.
    """
    from tutorial_lib.evaluation import metrics

    y_true, y_pred = labels_from_confusion_matrix(SOURCE004_CONFUSION_MATRIX, positive)
    return {
        "accuracy": metrics.accuracy(y_true, y_pred),
        "precision": metrics.precision(y_true, y_pred),
        "recall": metrics.recall(y_true, y_pred),
        "f1": metrics.f1(y_true, y_pred),
    }


# --------------------------------------------------------------------------------------
# Chapter 8: convolution
# --------------------------------------------------------------------------------------
#: Source 000 §4.2's example as printed: a 32 x 32 image, "a 3 x 3 kernel" with stride 2,
#: ReLU, the kernel's weights (written as a 2 x 2 matrix), the bias, and the 8 x 8 feature
#: map it says convolution and pooling produce. It names no padding and no pooling size.
SOURCE000_CONV_EXAMPLE = {
    "input_size": 32,
    "kernel_size": 3,
    "stride": 2,
    "weights": ((0.1, 0.2), (0.3, 0.4)),
    "bias": 0.5,
    "feature_map_size": 8,
}
# Chapter 9: source 000 §4.3's RNN example, recomputed
# --------------------------------------------------------------------------------------
def rnn_steps(weight_hh, weight_ih, bias, initial_state, inputs, activation: str = "tanh"):
    """The states ``h_t = f(W_h h_{t-1} + W_x x_t + b)`` of a vanilla RNN, in NumPy.

    Parameters
    ----------
    weight_hh : array_like, shape (hidden_size, hidden_size)
        ``W_h``.
    weight_ih : array_like, shape (hidden_size, input_size)
        ``W_x``.
    bias : array_like, shape (hidden_size,), or a number added to every unit
    initial_state : array_like, shape (hidden_size,)
        ``h_0``.
    inputs : array_like, shape (seq_len, input_size)
        ``x_1 ... x_T``.
    activation : {"tanh", "relu"}

    Returns
    -------
    numpy.ndarray of float64, shape (seq_len, hidden_size)
        Row ``t - 1`` is ``h_t``.
    """
    import numpy as np

    from tutorial_lib.validation import check_choice

    activation = check_choice(activation, "activation", ("tanh", "relu"))
    w_h = np.asarray(weight_hh, dtype=np.float64)
    w_x = np.asarray(weight_ih, dtype=np.float64)
    h = np.asarray(initial_state, dtype=np.float64)
    x = np.asarray(inputs, dtype=np.float64)
    if w_h.ndim != 2 or w_h.shape[0] != w_h.shape[1] or h.shape != (w_h.shape[0],):
        raise ValueError(
            f"weight_hh must be (hidden, hidden) and initial_state (hidden,), got {w_h.shape} and {h.shape}."
        )
    if w_x.ndim != 2 or w_x.shape[0] != len(h) or x.ndim != 2 or x.shape[1] != w_x.shape[1]:
        raise ValueError(
            f"weight_ih must be (hidden, input) and inputs (seq_len, input), got {w_x.shape} and {x.shape}."
        )
    b = np.broadcast_to(np.asarray(bias, dtype=np.float64), h.shape)
    f = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    states = []
    for x_t in x:
        h = f(w_h @ h + w_x @ x_t + b)
        states.append(h)
    return np.array(states)


@dataclasses.dataclass(frozen=True)
class RNNWorkedExample:
    """Source 000 §4.3's three RNN steps: what it prints, and what its inputs give.

    Attributes
    ----------
    weight : tuple of tuple of float
        The one 2 x 2 matrix the source gives, ``W = [0.1, 0.2; 0.3, 0.4]``.
    bias : float
        ``b = 0.5``, added to both units.
    initial_state : tuple of float
        ``h_0 = (1, 0)``.
    inputs : tuple of tuple of float
        ``x_1, x_2, x_3``, never stated: read from the second row of the 2 x 2 matrices the
        source multiplies ``W`` by at each step, ``[h_{t-1}; x_t]``, which gives
        ``x_1 = (0, 1)``, ``x_2 = (0, 1)``, ``x_3 = (1, 0)``.
    claimed_states : tuple of tuple of float
        What the source prints for ``h_1, h_2, h_3``: ``(1, 1)`` each time.
    claimed_first_product : tuple of float
        The source's ``W x [1, 0] = [0.1 + 0.3, 0.2 + 0.4] = [0.4, 0.6]``: it adds the columns
        of ``W``, which is ``(1, 1) W``, not a product of ``W`` with ``(1, 0)``.
    first_product : tuple of float
        ``W (1, 0)``, the first column of ``W``: ``(0.1, 0.3)``.
    relu_of_claimed_sum : tuple of float
        ReLU of the source's own ``[0.4, 0.6] + 0.5`` = ``(0.9, 1.1)``, not ``(1, 1)``.
    relu_states, tanh_states : tuple of tuple of float
        ``h_1, h_2, h_3`` of ``h_t = f(W h_{t-1} + W x_t + b)``, the concatenated form
        ``W' [h_{t-1}; x_t]`` with ``W' = [W | W]`` (a 2 x 4 matrix: the source's 2 x 2 one
        cannot multiply a 4-vector, so the same matrix is taken for both halves), for ReLU as
        the source says and tanh as the book uses.
    """

    weight: tuple[tuple[float, ...], ...]
    bias: float
    initial_state: tuple[float, ...]
    inputs: tuple[tuple[float, ...], ...]
    claimed_states: tuple[tuple[float, ...], ...]
    claimed_first_product: tuple[float, ...]
    first_product: tuple[float, ...]
    relu_of_claimed_sum: tuple[float, ...]
    relu_states: tuple[tuple[float, ...], ...]
    tanh_states: tuple[tuple[float, ...], ...]


def source000_rnn_example() -> RNNWorkedExample:
    """Source 000 §4.3's example (see :class:`RNNWorkedExample`), recomputed.

    The source's three steps go wrong in four ways: its formula ``W [h_{t-1}, x_t]`` needs a
    2 x 4 matrix and it gives a 2 x 2 one; its product ``W x [1, 0]`` adds the columns of
    ``W``; ReLU of ``(0.9, 1.1)`` is printed as ``(1, 1)``; and ``h_2`` repeats the first
    step's sums while ``h_3`` adds up other entries of ``W`` (``0.1 + 0.4``, ``0.2 + 0.4``),
    neither reading the state before it, so nothing recurs.
    """
    import numpy as np

    weight = ((0.1, 0.2), (0.3, 0.4))
    bias, initial_state = 0.5, (1.0, 0.0)
    inputs = ((0.0, 1.0), (0.0, 1.0), (1.0, 0.0))
    w = np.array(weight)
    claimed_first_product = (0.1 + 0.3, 0.2 + 0.4)

    def as_tuples(states):
        return tuple(tuple(float(v) for v in row) for row in states)

    return RNNWorkedExample(
        weight=weight,
        bias=bias,
        initial_state=initial_state,
        inputs=inputs,
        claimed_states=((1.0, 1.0),) * 3,
        claimed_first_product=claimed_first_product,
        first_product=tuple(float(v) for v in w @ np.array([1.0, 0.0])),
        relu_of_claimed_sum=tuple(float(max(v + bias, 0.0)) for v in claimed_first_product),
        relu_states=as_tuples(rnn_steps(w, w, bias, initial_state, inputs, "relu")),
        tanh_states=as_tuples(rnn_steps(w, w, bias, initial_state, inputs, "tanh")),
    )
