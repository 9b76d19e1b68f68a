"""Exercises that check themselves.

``checks.<name>(your_function)`` calls your function on a set of hidden cases (random, but
seeded, so every run uses the same ones) and compares each answer with the book's reference
implementation. When all agree it prints one line and returns a :class:`CheckResult`; when
one does not it raises :class:`CheckFailed` (an ``AssertionError``), whose message says
which case failed and how: an exception, the wrong shape, or wrong values (how many, the
first differing position, the largest absolute difference). It never shows the reference's
code, only what it returned. Example, in a notebook::

    from tutorial_lib.book import checks

    def my_sigmoid(z):
        return 1 / (1 + np.exp(-z))

    checks.sigmoid(my_sigmoid)     # prints "sigmoid: all 12 cases passed"

``checks.AVAILABLE`` lists the checks. Adding one takes one short function: build a list of
:class:`Case` objects (named arguments and a description a reader understands), import the
reference lazily, and hand both to :func:`run_check`::

    def odds_ratio(student_odds_ratio):
        \"\"\"Check ``student_odds_ratio(coefficient)`` ... (what it must accept and return).\"\"\"
        __tracebackhide__ = True   # keeps this frame out of the notebook's traceback
        rng = case_generator("odds_ratio")
        cases = [Case("a coefficient of 0", coefficient=0.0), ...]
        return run_check("odds_ratio", student_odds_ratio, np.exp, cases)

then add its name to ``AVAILABLE`` and a reference and a wrong implementation to
``tests/test_checks.py``. A check whose answers need another comparison (a masked position
that must get no weight, say) passes its own ``compare`` function to :func:`run_check`.
"""

from __future__ import annotations

import copy
import dataclasses
import textwrap
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# The checks a notebook can call, one function each below.
AVAILABLE: list[str] = [
    "sigmoid",
    "logistic_gradient",
    "logistic_hessian",
    "odds_ratio",
    "cosine_similarity_rows",
    "pearson_on_co_rated",
    "jaccard_similarity_rows",
    "tfidf_by_hand",
    "bpr_triple_gradient",
    "als_user_vector",
]

__all__ = [
    "AVAILABLE",
    "Case",
    "CheckFailed",
    "CheckResult",
    "case_generator",
    "compare_values",
    "run_check",
    *AVAILABLE,
]

CHECK_SEED = 2024
# Inputs with at most this many numbers are shown in full in a failure message.
_SHOW_INPUT_UP_TO = 12
# Failure messages are wrapped to fit the book's text column (about 80 characters).
_MESSAGE_WIDTH = 78


class CheckFailed(AssertionError):
    """A student's function disagreed with the reference on a hidden case."""


class Case:
    """One hidden case: a description for the reader and the named arguments of the call.

    ``Case("extreme logits", z=np.array([-800.0, 800.0]))`` calls ``fn(z)`` with the array;
    the arguments are passed by position, in the order given, so the student may name the
    parameters as they like.
    """

    def __init__(self, description: str, **arguments: Any) -> None:
        self.description = description
        self.arguments = arguments

    def __repr__(self) -> str:
        return f"Case({self.description!r})"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """What a passed check returns: the check's name and the number of cases."""

    name: str
    n_cases: int

    def __str__(self) -> str:
        return f"{self.name}: all {self.n_cases} cases passed"

    def _ipython_display_(self) -> None:
        # The check has already printed its line; a cell ending with the call shows it once.
        pass


def case_generator(name: str) -> np.random.Generator:
    """The random generator of check ``name``: the same hidden cases on every run."""
    return np.random.default_rng([CHECK_SEED, zlib.crc32(name.encode())])


# --------------------------------------------------------------------------------------
# Comparing an answer with the reference
# --------------------------------------------------------------------------------------
def _position(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def compare_values(expected, actual, *, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """None when ``actual`` equals ``expected`` within tolerance, else what is wrong.

    ``expected`` is a number or an array; ``actual`` may be a number, an array, a list or a
    PyTorch tensor. Agreement means ``|actual - expected| <= atol + rtol * |expected|``
    elementwise (``numpy.isclose``), with NaN equal only to NaN.
    """
    if actual is None:
        return "your function returned None (is a `return` missing?)."
    if hasattr(actual, "detach") and hasattr(actual, "cpu"):  # a torch.Tensor, without importing torch
        actual = actual.detach().cpu().numpy()
    expected = np.asarray(expected, dtype=np.float64)
    try:
        answer = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"your function returned a {type(actual).__name__} that is not a number or an array of numbers."
    if expected.ndim == 0 and answer.ndim != 0:
        return f"wrong shape: expected a single number, got an array of shape {answer.shape}."
    if answer.shape != expected.shape:
        message = f"wrong shape: expected {expected.shape}, got {answer.shape}."
        if answer.size == expected.size:
            message += " The number of values is right: a reshape or a transpose?"
        return message
    close = np.isclose(answer, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    wrong = ~close
    if expected.ndim == 0:
        message = f"wrong value: expected {float(expected):.10g}, got {float(answer):.10g}."
    else:
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        message = (
            f"wrong values: {int(wrong.sum())} of {expected.size} differ; the first at index "
            f"{_position(first)}: expected {expected[first]:.10g}, got {answer[first]:.10g}."
        )
    differences = np.abs(answer - expected)[wrong & np.isfinite(answer)]
    if differences.size:
        message += f" Largest absolute difference: {differences.max():.3g}."
    if not np.all(np.isfinite(answer[wrong])):
        message += " Your answer holds NaN or inf where a finite number was expected (an overflow? 0/0?)."
    return message


def _describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= _SHOW_INPUT_UP_TO:
            return np.array2string(value, precision=4, separator=", ").replace("\n", "")
        return f"array of shape {value.shape}"
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text + ".0" if text.lstrip("-").isdigit() else text  # "0.0", so it reads as a float
    return repr(value)


def _describe_inputs(case: Case) -> str:
    return ", ".join(f"{name} = {_describe_value(value)}" for name, value in case.arguments.items())


# --------------------------------------------------------------------------------------
# Running a check
# --------------------------------------------------------------------------------------
def run_check(
    name: str,
    student_fn: Callable,
    reference_fn: Callable,
    cases: Sequence[Case],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    compare: Callable[..., str | None] = compare_values,
) -> CheckResult:
    """Call ``student_fn`` and ``reference_fn`` on every case and compare the answers.

    Each call gets its own deep copy of the arguments, so a function that changes its
    inputs cannot change the reference's. ``compare(expected, actual, rtol=, atol=)``
    returns None for agreement or a sentence saying what is wrong.

    Returns
    -------
    CheckResult
        After printing ``"<name>: all <n> cases passed"``.

    Raises
    ------
    CheckFailed
        Naming the first failing case (its description and inputs) and what went wrong,
        and how many cases failed in all. When the student's function raised, the
        exception is chained, so its traceback shows where.
    """
    __tracebackhide__ = True  # IPython and pytest: the traceback shows the student's code, not this
    if not callable(student_fn):
        raise TypeError(f"checks.{name} needs your function itself, got {type(student_fn).__name__} {student_fn!r}.")
    failures: list[tuple[int, Case, str, BaseException | None]] = []
    for number, case in enumerate(cases, start=1):
        expected = reference_fn(*copy.deepcopy(list(case.arguments.values())))
        try:
            actual = student_fn(*copy.deepcopy(list(case.arguments.values())))
        except Exception as error:  # the student's bug, reported below with its traceback
            failures.append((number, case, f"your function raised {type(error).__name__}: {error}", error))
            continue
        problem = compare(expected, actual, rtol=rtol, atol=atol)
        if problem is not None:
            failures.append((number, case, problem, None))
    if not failures:
        result = CheckResult(name, len(cases))
        print(result)
        return result
    number, case, problem, error = failures[0]
    lines = [
        f"{name}: {len(failures)} of {len(cases)} cases failed. The first is case {number}, {case.description}.",
        f"  Inputs: {_describe_inputs(case)}",
        f"  Problem: {problem}",
    ]
    if len(failures) > 1:
        lines.append("  Also failing: " + "; ".join(failure[1].description for failure in failures[1:]) + ".")
    wrapped = [textwrap.fill(line, width=_MESSAGE_WIDTH, subsequent_indent="    ") for line in lines]
    raise CheckFailed("\n".join(wrapped)) from error


# --------------------------------------------------------------------------------------
# The checks (chapter 3: logistic regression)
# --------------------------------------------------------------------------------------
def sigmoid(student_sigmoid: Callable) -> CheckResult:
    """Check ``student_sigmoid(z)``: ``1 / (1 + exp(-z))`` elementwise, without overflow.

    ``z`` is a Python float (return a number) or a NumPy array of any shape (return an
    array of the same shape). The cases include logits of ±800, where ``exp`` overflows.
    """
    __tracebackhide__ = True
    from tutorial_lib.models.logistic import sigmoid as reference

    rng = case_generator("sigmoid")
    cases = [
        Case("the logit 0", z=0.0),
        Case("a positive logit", z=2.5),
        Case("a negative logit", z=-3.0),
        Case("a vector of moderate logits", z=rng.normal(0.0, 3.0, size=8)),
        Case("a 3 x 4 matrix of logits (keep the shape)", z=rng.normal(0.0, 3.0, size=(3, 4))),
        Case("a vector of one logit", z=np.array([1.5])),
        Case("extreme logits -800 and 800", z=np.array([-800.0, 800.0])),
        Case("the extreme logit -800 as a number", z=-800.0),
        Case("the extreme logit 800 as a number", z=800.0),
        Case("logits near saturation", z=np.array([-40.0, -36.7, -20.0, 20.0, 36.7, 40.0])),
        Case("large logits of both signs", z=rng.uniform(-1000.0, 1000.0, size=10)),
        Case("a 2 x 2 x 2 array of logits", z=rng.normal(0.0, 10.0, size=(2, 2, 2))),
    ]
    return run_check("sigmoid", student_sigmoid, reference, cases, rtol=1e-7, atol=1e-12)


def _logistic_problems(name: str) -> list[Case]:
    """Small logistic-regression problems ``(w, b, X, y, l2)``, shared by two checks."""
    rng = case_generator(name)
    shapes_and_penalties = [
        ("one example, one feature, no penalty", 1, 1, 0.0),
        ("five examples, three features, no penalty", 5, 3, 0.0),
        ("twenty examples, four features, no penalty", 20, 4, 0.0),
        ("five examples, two features, l2 = 0.5", 5, 2, 0.5),
        ("twenty examples, three features, l2 = 3", 20, 3, 3.0),
        ("eight examples, one feature, l2 = 10", 8, 1, 10.0),
        ("twelve examples, five features, l2 = 1", 12, 5, 1.0),
    ]
    cases = []
    for description, n_examples, n_features, l2 in shapes_and_penalties:
        cases.append(
            Case(
                description,
                w=rng.normal(0.0, 1.0, size=n_features),
                b=float(rng.normal(0.0, 1.0)),
                X=rng.normal(0.0, 1.0, size=(n_examples, n_features)),
                y=rng.integers(0, 2, size=n_examples).astype(np.float64),
                l2=l2,
            )
        )
    cases.append(
        Case(
            "ten examples whose logits reach about ±800, l2 = 0.1",
            w=np.array([40.0, -40.0]),
            b=0.0,
            X=rng.uniform(-10.0, 10.0, size=(10, 2)),
            y=rng.integers(0, 2, size=10).astype(np.float64),
            l2=0.1,
        )
    )
    cases.append(
        Case("all labels 1, l2 = 2", w=np.array([0.3, -0.2]), b=-0.5, X=rng.normal(size=(6, 2)), y=np.ones(6), l2=2.0)
    )
    cases.append(
        Case("all labels 0, a zero intercept", w=np.array([0.7]), b=0.0, X=rng.normal(size=(4, 1)), y=np.zeros(4), l2=0.0)
    )
    return cases


def logistic_gradient(student_gradient: Callable) -> CheckResult:
    """Check ``student_gradient(w, b, X, y, l2)``: the gradient of the penalised loss.

    The loss is ``sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2`` with
    ``z = X w + b``; the intercept ``b`` is not penalised. Shapes: ``w`` ``(n_features,)``,
    ``b`` a float, ``X`` ``(n_samples, n_features)``, ``y`` ``(n_samples,)`` of 0 and 1,
    ``l2`` a float >= 0. Return one vector of shape ``(n_features + 1,)``: the derivatives
    for the weights first, the intercept's last.
    """
    __tracebackhide__ = True
    from tutorial_lib.models.logistic import gradient as reference

    return run_check("logistic_gradient", student_gradient, reference, _logistic_problems("logistic_gradient"))


def logistic_hessian(student_hessian: Callable) -> CheckResult:
    """Check ``student_hessian(w, b, X, y, l2)``: the Hessian of the penalised loss.

    Same arguments and loss as :func:`logistic_gradient`. Return the matrix of shape
    ``(n_features + 1, n_features + 1)`` with rows and columns in the order
    ``[w_1, ..., w_d, b]``; the penalty adds ``l2`` to the weights' diagonal only.
    """
    __tracebackhide__ = True
    from tutorial_lib.models.logistic import hessian as reference

    return run_check("logistic_hessian", student_hessian, reference, _logistic_problems("logistic_hessian"))


def odds_ratio(student_odds_ratio: Callable) -> CheckResult:
    """Check ``student_odds_ratio(coefficient)``: the odds ratio ``exp(coefficient)``.

    The factor by which the odds of ``y = 1`` grow when the feature rises by one unit.
    ``coefficient`` is a Python float (return a number) or a NumPy array of coefficients,
    such as a fitted model's ``coef_`` (return an array of the same shape).
    """
    __tracebackhide__ = True
    rng = case_generator("odds_ratio")
    cases = [
        Case("a coefficient of 0", coefficient=0.0),
        Case("a coefficient of 0.8", coefficient=0.8),
        Case("a negative coefficient", coefficient=-1.2),
        Case("a small coefficient", coefficient=1e-3),
        Case("a large coefficient", coefficient=6.0),
        Case("a vector of coefficients", coefficient=rng.normal(0.0, 1.0, size=6)),
        Case("a row of coefficients, shape (1, 4), as coef_ has", coefficient=rng.normal(0.0, 1.0, size=(1, 4))),
        Case("a vector holding 0", coefficient=np.array([0.0, -0.5, 2.0])),
    ]
    return run_check("odds_ratio", student_odds_ratio, np.exp, cases, rtol=1e-9)


# --------------------------------------------------------------------------------------
# The checks (collaborative filtering)
# --------------------------------------------------------------------------------------
def cosine_similarity_rows(student_similarity: Callable) -> CheckResult:
    """Check ``student_similarity(matrix)``: the cosine similarity of every pair of rows.

    ``matrix`` has shape ``(n_rows, n_columns)``; ``NaN`` (an unrated entry) counts as 0.
    Return shape ``(n_rows, n_rows)``. A row of zeros has similarity 0 with every row,
    itself included, instead of a division by zero.
    """
    __tracebackhide__ = True
    from tutorial_lib.models.neighbourhood import cosine_similarity_rows as reference

    rng = case_generator("cosine_similarity_rows")
    ratings = rng.integers(1, 6, size=(5, 4)).astype(np.float64)
    with_a_zero_row = ratings.copy()
    with_a_zero_row[2] = 0.0
    with_unrated = ratings.copy()
    with_unrated[rng.random(ratings.shape) < 0.3] = np.nan
    cases = [
        Case("four users, three items", matrix=rng.normal(0.0, 1.0, size=(4, 3))),
        Case("five users' ratings 1 to 5", matrix=ratings),
        Case("a user with no ratings (a row of zeros)", matrix=with_a_zero_row),
        Case("unrated entries as NaN (count them as 0)", matrix=with_unrated),
        Case("two identical rows", matrix=np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 1.0, 3.0]])),
        Case("one user", matrix=np.array([[3.0, 0.0, 4.0]])),
        Case("one item", matrix=np.array([[2.0], [0.0], [5.0]])),
        Case("ratings centred on each user's mean (negative values)", matrix=rng.normal(0.0, 1.5, size=(6, 5))),
        Case("more items than users, as in real data", matrix=rng.integers(0, 6, size=(3, 12)).astype(np.float64)),
        Case("a square matrix (rows, not columns!)", matrix=rng.integers(0, 6, size=(4, 4)).astype(np.float64)),
    ]
    return run_check("cosine_similarity_rows", student_similarity, reference, cases)


def _pearson_of_two_rows(ratings_u, ratings_v):
    from tutorial_lib.models.neighbourhood import pearson_similarity_rows

    return pearson_similarity_rows(np.vstack([ratings_u, ratings_v]))[0, 1]


def pearson_on_co_rated(student_pearson: Callable) -> CheckResult:
    """Check ``student_pearson(ratings_u, ratings_v)``: Pearson correlation on co-rated items.

    ``ratings_u`` and ``ratings_v`` have shape ``(n_items,)``, ``NaN`` for "not rated".
    Use only the items both rated, centre each row on its mean over those items, and
    return one number. Return 0 when the correlation is undefined: fewer than two co-rated
    items, or a row whose co-rated ratings are all equal.
    """
    __tracebackhide__ = True
    rng = case_generator("pearson_on_co_rated")
    nan = np.nan
    random_u = rng.integers(1, 6, size=12).astype(np.float64)
    random_v = rng.integers(1, 6, size=12).astype(np.float64)
    random_u[rng.random(12) < 0.3] = nan
    random_v[rng.random(12) < 0.3] = nan
    cases = [
        Case("the same taste, all items rated", ratings_u=np.array([5.0, 3.0, 1.0]),
             ratings_v=np.array([4.0, 3.0, 2.0])),
        Case("opposite tastes", ratings_u=np.array([5.0, 4.0, 3.0]), ratings_v=np.array([3.0, 4.0, 5.0])),
        Case("a NaN in one row", ratings_u=np.array([5.0, 3.0, 1.0, nan]),
             ratings_v=np.array([2.0, 3.0, 1.0, 4.0])),
        Case("means over the items both rated, not all",
             ratings_u=np.array([5.0, 4.0, 1.0, 1.0, nan]), ratings_v=np.array([4.0, 5.0, 2.0, nan, 5.0])),
        Case("only one item rated by both (undefined: 0)", ratings_u=np.array([5.0, nan, 2.0]),
             ratings_v=np.array([4.0, 3.0, nan])),
        Case("no item rated by both (undefined: 0)", ratings_u=np.array([5.0, nan]), ratings_v=np.array([nan, 4.0])),
        Case("a row constant on the items both rated (0)", ratings_u=np.array([4.0, 4.0, 4.0, nan]),
             ratings_v=np.array([1.0, 3.0, 5.0, 2.0])),
        Case("twelve items, some unrated in each row", ratings_u=random_u, ratings_v=random_v),
        Case("a row compared with itself", ratings_u=random_u, ratings_v=random_u.copy()),
    ]
    return run_check("pearson_on_co_rated", student_pearson, _pearson_of_two_rows, cases, atol=1e-9)


def jaccard_similarity_rows(student_jaccard: Callable) -> CheckResult:
    """Check ``student_jaccard(matrix)``: Jaccard similarity of the rated-item sets of all rows.

    ``matrix`` has shape ``(n_rows, n_columns)``, ``NaN`` for "not rated"; every other entry
    is a rating, whatever its value. Return shape ``(n_rows, n_rows)``:
    ``|I_u & I_v| / |I_u | I_v|``, and 0 for two rows with no ratings at all.
    """
    __tracebackhide__ = True
    from tutorial_lib.models.neighbourhood import jaccard_similarity_rows as reference

    rng = case_generator("jaccard_similarity_rows")
    nan = np.nan
    ratings = rng.integers(1, 6, size=(5, 8)).astype(np.float64)
    ratings[rng.random(ratings.shape) < 0.4] = nan
    with_an_empty_row = ratings.copy()
    with_an_empty_row[1] = nan
    cases = [
        Case("two rows sharing two items", matrix=np.array([[5.0, 1.0, nan, 2.0], [nan, 5.0, 5.0, 5.0]])),
        Case("the values do not matter", matrix=np.array([[5.0, 5.0, nan], [1.0, 1.0, nan]])),
        Case("five users, eight items, some unrated", matrix=ratings),
        Case("a user with no ratings", matrix=with_an_empty_row),
        Case("every entry rated", matrix=rng.integers(1, 6, size=(3, 4)).astype(np.float64)),
        Case("one user", matrix=np.array([[3.0, nan, 4.0]])),
        Case("disjoint sets", matrix=np.array([[1.0, nan, nan], [nan, 2.0, 3.0]])),
        Case("a square matrix (rows, not columns!)",
             matrix=np.where(rng.random((4, 4)) < 0.5, nan, 3.0)),
    ]
    return run_check("jaccard_similarity_rows", student_jaccard, reference, cases)


# --------------------------------------------------------------------------------------
# The checks (chapter 2: TF-IDF)
# --------------------------------------------------------------------------------------
def _tfidf_of_training_counts(counts):
    from tutorial_lib.data.tfidf import smoothed_idf, tfidf_from_counts

    counts = np.asarray(counts, dtype=np.float64)
    idf = smoothed_idf((counts > 0).sum(axis=0), n_documents=counts.shape[0])
    return tfidf_from_counts(counts, idf).toarray()


def tfidf_by_hand(student_tfidf: Callable) -> CheckResult:
    """Check ``student_tfidf(counts)``: TF-IDF of the training documents from their counts.

    ``counts`` has shape ``(n_documents, n_terms)``: how often each term occurs in each
    document. Return an array of the same shape: count × smoothed IDF,
    ``ln((1 + n) / (1 + df)) + 1`` with ``df`` the number of documents containing the
    term, then each row divided by its L2 length (a row of zeros stays zeros).
    """
    __tracebackhide__ = True
    rng = case_generator("tfidf_by_hand")
    random_counts = rng.poisson(0.8, size=(6, 7)).astype(np.float64)
    random_counts[:, 0] = 0.0
    random_counts[0, 0] = 1.0  # every term occurs somewhere
    with_an_empty_document = random_counts.copy()
    with_an_empty_document[3] = 0.0
    cases = [
        Case("the book's three documents", counts=np.array([[0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 1.0, 0.0],
                                                            [0.0, 1.0, 0.0, 1.0]])),
        Case("one document", counts=np.array([[2.0, 1.0, 3.0]])),
        Case("a term in every document", counts=np.array([[1.0, 2.0], [3.0, 0.0], [1.0, 1.0]])),
        Case("six documents, seven terms", counts=random_counts),
        Case("a document with no known word", counts=with_an_empty_document),
        Case("more documents than terms", counts=rng.poisson(1.5, size=(9, 3)).astype(np.float64) + 1.0),
        Case("counts that are not 0 or 1", counts=np.array([[5.0, 0.0, 1.0], [0.0, 7.0, 1.0]])),
        Case("a square count matrix", counts=rng.poisson(1.0, size=(4, 4)).astype(np.float64) + np.eye(4)),
    ]
    return run_check("tfidf_by_hand", student_tfidf, _tfidf_of_training_counts, cases)



# --------------------------------------------------------------------------------------
# The checks (chapter 6: recommending from implicit feedback)
# --------------------------------------------------------------------------------------
def _bpr_triple_gradient(user_vector, positive_vector, negative_vector, regularisation):
    """The reference: gradients of one BPR triple's loss, stacked, shape (3, n_factors)."""
    from tutorial_lib.models.implicit_factorisation import bpr_batch_loss_and_gradients

    n_factors = len(user_vector)
    _, gradients = bpr_batch_loss_and_gradients(
        np.asarray(user_vector, dtype=np.float64).reshape(1, n_factors),
        np.vstack([positive_vector, negative_vector]).astype(np.float64),
        np.zeros(2),
        np.array([0]), np.array([0]), np.array([1]), regularisation,
    )
    return np.vstack([gradients["user"], gradients["positive"], gradients["negative"]])


def bpr_triple_gradient(student_gradient: Callable) -> CheckResult:
    """Check ``student_gradient(p_u, q_i, q_j, regularisation)``: one BPR triple's gradient.

    The loss of the triple (user ``u`` interacted with item ``i``, not with ``j``), without
    item biases, is ``-ln sigma(p_u . (q_i - q_j)) + regularisation / 2 * (|p_u|^2 +
    |q_i|^2 + |q_j|^2)``. The three vectors have shape ``(n_factors,)``; return the
    gradients by ``p_u``, ``q_i`` and ``q_j`` stacked as rows, shape ``(3, n_factors)``.
    """
    __tracebackhide__ = True
    rng = case_generator("bpr_triple_gradient")

    def vectors(n_factors, scale=1.0):
        return {name: rng.normal(0.0, scale, size=n_factors) for name in ("p_u", "q_i", "q_j")}

    aligned = rng.normal(size=4)
    cases = [
        Case("three factors, no regularisation", **vectors(3), regularisation=0.0),
        Case("three factors, regularisation 0.1", **vectors(3), regularisation=0.1),
        Case("one factor", p_u=np.array([2.0]), q_i=np.array([0.5]), q_j=np.array([-0.5]), regularisation=0.0),
        Case("a triple already ranked right by far (x = 40)",
             p_u=np.array([4.0, 0.0]), q_i=np.array([5.0, 1.0]), q_j=np.array([-5.0, 1.0]), regularisation=0.0),
        Case("a triple ranked wrong by far (x = -40)",
             p_u=np.array([4.0, 0.0]), q_i=np.array([-5.0, 1.0]), q_j=np.array([5.0, 1.0]), regularisation=0.0),
        Case("equal positive and negative vectors", p_u=aligned, q_i=aligned * 0.5, q_j=aligned * 0.5,
             regularisation=0.2),
        Case("small random vectors, as at the start", **vectors(8, 0.01), regularisation=0.01),
        Case("sixteen factors", **vectors(16), regularisation=0.05),
    ]
    return run_check("bpr_triple_gradient", student_gradient, _bpr_triple_gradient, cases)


def _als_user_vector(item_factors, strengths, alpha, regularisation):
    """The reference: one user's exact ALS vector, shape (n_factors,)."""
    import scipy.sparse

    from tutorial_lib.models.implicit_factorisation import als_solve_rows

    row = scipy.sparse.csr_matrix(np.asarray(strengths, dtype=np.float64).reshape(1, -1))
    return als_solve_rows(row, np.asarray(item_factors, dtype=np.float64), alpha, regularisation)[0]


def als_user_vector(student_update: Callable) -> CheckResult:
    """Check ``student_update(item_factors, strengths, alpha, regularisation)``: one ALS solve.

    ``item_factors`` has shape ``(n_items, n_factors)``; ``strengths`` shape ``(n_items,)``
    holds the user's interaction strengths ``r_ui`` (0: no interaction). Return the user's
    vector ``x_u`` of shape ``(n_factors,)`` that minimises
    ``sum_i c_ui (p_ui - x_u . y_i)^2 + regularisation * |x_u|^2`` over *every* item, with
    ``c_ui = 1 + alpha * r_ui`` and ``p_ui = 1`` where ``r_ui > 0``, else 0.
    """
    __tracebackhide__ = True
    rng = case_generator("als_user_vector")

    def strengths(n_items, share, values=(1.0,)):
        chosen = rng.random(n_items) < share
        return np.where(chosen, rng.choice(values, size=n_items), 0.0)

    cases = [
        Case("five items, two factors, binary", item_factors=rng.normal(size=(5, 2)),
             strengths=np.array([1.0, 0.0, 1.0, 0.0, 0.0]), alpha=10.0, regularisation=0.5),
        Case("alpha = 0: plain ridge regression on 0/1", item_factors=rng.normal(size=(6, 3)),
             strengths=np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0]), alpha=0.0, regularisation=1.0),
        Case("one interaction", item_factors=rng.normal(size=(4, 2)),
             strengths=np.array([0.0, 0.0, 1.0, 0.0]), alpha=5.0, regularisation=0.1),
        Case("counts 1 to 4 as strengths", item_factors=rng.normal(size=(10, 3)),
             strengths=strengths(10, 0.5, (1.0, 2.0, 3.0, 4.0)), alpha=2.0, regularisation=0.3),
        Case("thirty items, four factors", item_factors=rng.normal(size=(30, 4)),
             strengths=strengths(30, 0.2), alpha=40.0, regularisation=1.0),
        Case("every item interacted with", item_factors=rng.normal(size=(5, 2)),
             strengths=np.ones(5), alpha=1.0, regularisation=0.2),
        Case("strong regularisation", item_factors=rng.normal(size=(8, 3)),
             strengths=strengths(8, 0.4), alpha=10.0, regularisation=100.0),
        Case("one factor", item_factors=rng.normal(size=(6, 1)),
             strengths=np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), alpha=3.0, regularisation=0.5),
    ]
    return run_check("als_user_vector", student_update, _als_user_vector, cases, rtol=1e-6, atol=1e-9)
