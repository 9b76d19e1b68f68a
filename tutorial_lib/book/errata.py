"""The sources' worked examples and wrong formulas, recomputed so the book can show them.

Nothing here is a model: these helpers evaluate what a source article printed and what its own
numbers really give. The correct model lives in :mod:`tutorial_lib.models.logistic`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tutorial_lib.models.logistic import log_odds, logit, sigmoid
from tutorial_lib.validation import check_int

__all__ = ["wrong_sign_probability", "WorkedExample", "source000_example", "source003_example"]


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
