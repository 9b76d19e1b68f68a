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
    # Chapter 4: evaluation
    "f1_from_confusion_matrix",
    "auc_by_pair_counting",
    "ndcg_at_k_by_hand",
    # Chapter 6: implicit feedback
    "bpr_triple_gradient",
    "als_user_vector",
    # Chapter 5: rating prediction
    "msd_similarity_rows",
    "baseline_als_round",
    # chapter 7
    "sgns_loss_by_hand",
    # Chapter 8: convolution
    "conv1d_single_channel",
    # Chapter 9: recurrence
    "gru_step_by_hand",
    # Chapter 11: pretrained encoders
    "wordpiece_by_hand",
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
# The checks (chapter 4: evaluation)
# --------------------------------------------------------------------------------------
def _f1_of_matrix(matrix):
    from tutorial_lib.book.errata import labels_from_confusion_matrix
    from tutorial_lib.evaluation.metrics import f1

    # Row and column 1 of [[TN, FP], [FN, TP]] are the positive class.
    y_true, y_pred = labels_from_confusion_matrix(matrix, positive=1)
    return f1(y_true, y_pred)


def f1_from_confusion_matrix(student_f1: Callable) -> CheckResult:
    """Check ``student_f1(matrix)``: the binary F1 score from a confusion matrix.

    ``matrix`` is a 2 x 2 NumPy array of integer counts ``[[TN, FP], [FN, TP]]`` (rows: the
    true class 0 then 1; columns: the predicted class), the layout of
    ``metrics.confusion_matrix``. Return one number, ``2 TP / (2 TP + FP + FN)``, the
    harmonic mean of precision and recall; return 0.0 when that is 0/0 (no positives,
    predicted or true) and whenever ``TP = 0``.
    """
    __tracebackhide__ = True
    rng = case_generator("f1_from_confusion_matrix")
    cases = [
        Case("source 004's matrix with A as the positive class", matrix=np.array([[30, 10], [20, 60]])),
        Case("a perfect classifier", matrix=np.array([[50, 0], [0, 25]])),
        Case("many true negatives (they do not count)", matrix=np.array([[9_000, 40], [10, 50]])),
        Case("nothing predicted positive (TP = 0)", matrix=np.array([[90, 0], [10, 0]])),
        Case("everything predicted positive", matrix=np.array([[0, 70], [0, 30]])),
        Case("no positives at all (0/0: return 0)", matrix=np.array([[100, 0], [0, 0]])),
        Case("precision and recall far apart", matrix=np.array([[10, 80], [1, 9]])),
        Case("random counts", matrix=rng.integers(0, 100, size=(2, 2))),
        Case("more random counts", matrix=rng.integers(1, 1_000, size=(2, 2))),
    ]
    return run_check("f1_from_confusion_matrix", student_f1, _f1_of_matrix, cases)


def auc_by_pair_counting(student_auc: Callable) -> CheckResult:
    """Check ``student_auc(y_true, y_score)``: ROC AUC as the share of correctly ordered pairs.

    ``y_true`` holds 0/1 labels and ``y_score`` real scores, both shape ``(n,)``, with at
    least one positive and one negative. Return one number: over every (positive, negative)
    pair, the fraction where the positive scores higher, a tie counting one half.
    """
    __tracebackhide__ = True
    from tutorial_lib.evaluation.metrics import roc_auc as reference

    rng = case_generator("auc_by_pair_counting")
    random_labels = np.r_[1, 0, rng.integers(0, 2, size=28)]
    cases = [
        Case("one positive, one negative, in order", y_true=np.array([1, 0]), y_score=np.array([0.9, 0.2])),
        Case("one pair in the wrong order", y_true=np.array([1, 0]), y_score=np.array([0.2, 0.9])),
        Case("a tie (counts one half)", y_true=np.array([1, 0]), y_score=np.array([0.5, 0.5])),
        Case("the chapter's ten examples", y_true=np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0]),
             y_score=np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1])),
        Case("every score equal", y_true=np.array([1, 0, 1, 0, 0]), y_score=np.full(5, 0.3)),
        Case("scores that are not probabilities", y_true=np.array([0, 1, 1, 0]),
             y_score=np.array([-2.0, 3.5, 0.0, 10.0])),
        Case("thirty random examples", y_true=random_labels, y_score=rng.normal(size=30)),
        Case("thirty examples with tied scores", y_true=random_labels,
             y_score=rng.integers(0, 4, size=30).astype(np.float64)),
    ]
    return run_check("auc_by_pair_counting", student_auc, reference, cases)


def _ndcg_of_one_list(relevance, scores, k):
    from tutorial_lib.evaluation.metrics import ndcg_at_k

    return ndcg_at_k(relevance, scores, k)


def ndcg_at_k_by_hand(student_ndcg: Callable) -> CheckResult:
    """Check ``student_ndcg(relevance, scores, k)``: NDCG@k of one user's list.

    ``relevance`` (graded, >= 0, at least one > 0) and ``scores`` have shape
    ``(n_candidates,)``; the scores are all distinct. Sort the candidates by score, highest
    first; ``DCG@k = sum_{r=1..k} rel_r / log2(r + 1)`` over the first ``k`` positions (all
    of them when ``k > n_candidates``); divide by the DCG@k of the relevance values sorted
    best first. Return one number.
    """
    __tracebackhide__ = True
    rng = case_generator("ndcg_at_k_by_hand")
    graded = rng.integers(0, 4, size=12).astype(np.float64)
    graded[0] = 3.0  # at least one relevant item
    cases = [
        Case("the relevant item first", relevance=np.array([1.0, 0.0, 0.0]),
             scores=np.array([0.9, 0.5, 0.1]), k=3),
        Case("the relevant item third", relevance=np.array([0.0, 0.0, 1.0]),
             scores=np.array([0.9, 0.5, 0.1]), k=3),
        Case("the relevant item below the cut-off", relevance=np.array([0.0, 0.0, 1.0]),
             scores=np.array([0.9, 0.5, 0.1]), k=2),
        Case("scores not in list order", relevance=np.array([0.0, 1.0, 0.0, 1.0]),
             scores=np.array([0.2, 0.1, 0.8, 0.5]), k=2),
        Case("graded relevance 0 to 3", relevance=np.array([3.0, 2.0, 0.0, 1.0, 0.0]),
             scores=np.array([0.1, 0.9, 0.4, 0.8, 0.3]), k=3),
        Case("k larger than the list", relevance=np.array([2.0, 0.0, 1.0]),
             scores=np.array([0.3, 0.2, 0.1]), k=10),
        Case("twelve candidates, graded", relevance=graded, scores=rng.permutation(12) / 12.0, k=5),
        Case("twelve candidates, k = 1", relevance=graded, scores=rng.permutation(12) / 12.0, k=1),
    ]
    return run_check("ndcg_at_k_by_hand", student_ndcg, _ndcg_of_one_list, cases)
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
# The checks (chapter 5: rating prediction)
# --------------------------------------------------------------------------------------
def _dense_to_sparse(matrix):
    import scipy.sparse

    matrix = np.asarray(matrix, dtype=np.float64)
    rows, columns = np.nonzero(~np.isnan(matrix))
    return scipy.sparse.csr_matrix((matrix[rows, columns], (rows, columns)), shape=matrix.shape)


def _msd_reference(matrix):
    from tutorial_lib.models.rating_neighbourhood import msd_similarity

    return msd_similarity(_dense_to_sparse(matrix))


def msd_similarity_rows(student_msd: Callable) -> CheckResult:
    """Check ``student_msd(matrix)``: the mean-squared-difference similarity of all rows.

    ``matrix`` has shape ``(n_rows, n_columns)``, ``NaN`` for "not rated". For rows ``u`` and
    ``v`` with co-rated columns ``C``: ``1 / (1 + mean over C of (r_u - r_v)^2)``; 0 when ``C``
    is empty; 1 on the diagonal. Return shape ``(n_rows, n_rows)``.
    """
    __tracebackhide__ = True
    rng = case_generator("msd_similarity_rows")
    nan = np.nan
    ratings = rng.integers(1, 6, size=(6, 8)).astype(np.float64)
    ratings[rng.random(ratings.shape) < 0.4] = nan
    cases = [
        Case("two rows, two co-rated items", matrix=np.array([[5.0, 1.0, nan], [4.0, 3.0, 2.0]])),
        Case("identical ratings (similarity 1)", matrix=np.array([[2.0, 4.0], [2.0, 4.0]])),
        Case("no co-rated item (0)", matrix=np.array([[5.0, nan], [nan, 4.0]])),
        Case("the mean over co-rated items, not all",
             matrix=np.array([[5.0, 4.0, nan, 1.0], [5.0, 2.0, 3.0, nan]])),
        Case("six users, eight items, some unrated", matrix=ratings),
        Case("every entry rated", matrix=rng.integers(1, 6, size=(4, 5)).astype(np.float64)),
        Case("one user", matrix=np.array([[3.0, nan, 4.0]])),
        Case("a square matrix (rows, not columns!)",
             matrix=np.where(rng.random((4, 4)) < 0.3, nan, rng.integers(1, 6, size=(4, 4)).astype(float))),
    ]
    return run_check("msd_similarity_rows", student_msd, _msd_reference, cases)


def _baseline_als_reference(matrix, reg_user, reg_item):
    from tutorial_lib.models.rating_baselines import fit_baselines_als

    matrix = np.asarray(matrix, dtype=np.float64)
    users, items = np.nonzero(~np.isnan(matrix))
    ratings = matrix[users, items]
    mu = ratings.mean()
    user_bias, item_bias = fit_baselines_als(users, items, ratings, matrix.shape[0], matrix.shape[1],
                                             global_mean=mu, reg_user=reg_user, reg_item=reg_item, n_epochs=1)
    return mu + user_bias[:, None] + item_bias[None, :]


def baseline_als_round(student_round: Callable) -> CheckResult:
    """Check ``student_round(matrix, reg_user, reg_item)``: baselines after one ALS round.

    ``matrix`` has shape ``(n_users, n_items)``, ``NaN`` for "not rated"; every user and item
    has at least one rating. From zero biases, set every item bias
    ``b_i = sum over i's raters of (r - mu - b_u) / (reg_item + n_i)``, then every user bias
    ``b_u = sum over u's items of (r - mu - b_i) / (reg_user + n_u)``, with ``mu`` the mean
    rating. Return ``mu + b_u + b_i`` for every cell, shape ``(n_users, n_items)``.
    """
    __tracebackhide__ = True
    rng = case_generator("baseline_als_round")
    nan = np.nan
    ratings = rng.integers(1, 6, size=(7, 5)).astype(np.float64)
    holes = rng.random(ratings.shape) < 0.4
    holes[:, 0] = False
    holes[0, :] = False
    ratings[holes] = nan
    cases = [
        Case("no penalty, all rated", matrix=np.array([[5.0, 3.0], [4.0, 1.0]]), reg_user=0.0, reg_item=0.0),
        Case("penalties pull the biases to 0", matrix=np.array([[5.0, 3.0], [4.0, 1.0]]),
             reg_user=2.0, reg_item=1.0),
        Case("items first, then users", matrix=np.array([[5.0, nan, 4.0], [1.0, 2.0, nan]]),
             reg_user=0.0, reg_item=1.0),
        Case("seven users, five items, some unrated", matrix=ratings, reg_user=15.0, reg_item=10.0),
        Case("one user", matrix=np.array([[3.0, 5.0, 4.0]]), reg_user=1.0, reg_item=1.0),
        Case("one item", matrix=np.array([[3.0], [5.0], [1.0]]), reg_user=1.0, reg_item=0.5),
        Case("different penalties for users and items", matrix=ratings, reg_user=1.0, reg_item=25.0),
        Case("a square matrix", matrix=np.array([[5.0, 1.0, nan], [nan, 2.0, 4.0], [3.0, nan, 3.0]]),
             reg_user=3.0, reg_item=2.0),
    ]
    return run_check("baseline_als_round", student_round, _baseline_als_reference, cases)


# --------------------------------------------------------------------------------------
# Chapter 7: skip-gram with negative sampling
# --------------------------------------------------------------------------------------
def _sgns_loss_reference(centre, context, negatives) -> float:
    import torch

    from tutorial_lib.models.item2vec import sgns_loss

    as_tensor = lambda values: torch.as_tensor(np.asarray(values, dtype=np.float64))  # noqa: E731
    return float(sgns_loss(as_tensor(centre), as_tensor(context), as_tensor(negatives)))


def sgns_loss_by_hand(student_loss: Callable) -> CheckResult:
    """Check ``student_loss(centre, context, negatives)``: the mean SGNS loss of a batch.

    ``centre`` and ``context`` have shape ``(batch, dim)`` (the input vector of each
    centre item and the output vector of its context item); ``negatives`` has shape
    ``(batch, k, dim)`` (the output vectors of each pair's ``k`` negatives). Return one
    number: the mean over the batch of
    ``-log sigmoid(context . centre) - sum_j log sigmoid(-negative_j . centre)``,
    computed so that large dot products (40, say) give no ``inf`` or ``NaN``.
    """
    __tracebackhide__ = True
    rng = case_generator("sgns_loss_by_hand")
    large_centre = np.array([[40.0, 30.0]])
    cases = [
        Case("one pair, one negative", centre=np.array([[1.0, 2.0]]), context=np.array([[0.5, -1.0]]),
             negatives=np.array([[[1.0, 0.0]]])),
        Case("one pair, two negatives", centre=np.array([[1.0, 2.0]]), context=np.array([[0.5, -1.0]]),
             negatives=np.array([[[1.0, 0.0], [0.0, -1.0]]])),
        Case("all vectors zero (every sigmoid is 0.5)", centre=np.zeros((2, 3)), context=np.zeros((2, 3)),
             negatives=np.zeros((2, 4, 3))),
        Case("a batch of five pairs, three negatives", centre=rng.normal(size=(5, 4)),
             context=rng.normal(size=(5, 4)), negatives=rng.normal(size=(5, 3, 4))),
        Case("large dot products (-2500 and +2500)", centre=large_centre, context=-large_centre,
             negatives=large_centre[:, None, :]),
        Case("a well-fitted pair: context agrees, negative disagrees", centre=large_centre,
             context=large_centre, negatives=-large_centre[:, None, :]),
        Case("ten pairs, five negatives", centre=rng.normal(size=(10, 3)), context=rng.normal(size=(10, 3)),
             negatives=rng.normal(size=(10, 5, 3))),
        Case("a negative that is the context item itself", centre=np.array([[0.5, 1.0]]),
             context=np.array([[1.0, 1.0]]), negatives=np.array([[[1.0, 1.0], [0.0, 2.0]]])),
    ]
    return run_check("sgns_loss_by_hand", student_loss, _sgns_loss_reference, cases)


# --------------------------------------------------------------------------------------
# Chapter 8: convolution
# --------------------------------------------------------------------------------------
def _conv1d_single_channel_reference(x, w, b, stride, padding):
    import torch

    from tutorial_lib.models.convolution import conv1d_loops

    as_tensor = lambda values: torch.as_tensor(np.asarray(values, dtype=np.float64))  # noqa: E731
    output = conv1d_loops(as_tensor(x)[None, None, :], as_tensor(w)[None, None, :], as_tensor([b]),
                          stride=stride, padding=padding)
    return output[0, 0].numpy()


def conv1d_single_channel(student_conv: Callable) -> CheckResult:
    """Check ``student_conv(x, w, b, stride, padding)``: a 1-D convolution of one channel.

    ``x`` has shape ``(length,)``, ``w`` shape ``(kernel_size,)``, ``b`` is a number.
    Pad ``x`` with ``padding`` zeros at both ends and return the array of shape
    ``(length_out,)``, ``length_out = (length + 2 padding - kernel_size) // stride + 1``,
    whose entry ``t`` is ``b + sum_j w[j] * x_padded[t * stride + j]``: the kernel is not
    flipped (a cross-correlation, as PyTorch computes it).
    """
    __tracebackhide__ = True
    rng = case_generator("conv1d_single_channel")
    cases = [
        Case("the chapter's example: width 3, stride 1", x=np.array([1.0, 2.0, 0.0, -1.0, 3.0]),
             w=np.array([1.0, 0.0, -1.0]), b=0.0, stride=1, padding=0),
        Case("a kernel that is not symmetric (no flip!)", x=np.array([1.0, 2.0, 3.0, 4.0]),
             w=np.array([1.0, 2.0]), b=0.0, stride=1, padding=0),
        Case("with a bias", x=np.array([1.0, 2.0, 3.0]), w=np.array([0.5, 0.5]), b=1.5, stride=1, padding=0),
        Case("stride 2", x=np.arange(7.0), w=np.array([1.0, -1.0, 2.0]), b=0.0, stride=2, padding=0),
        Case("padding 1", x=np.array([2.0, -1.0, 4.0]), w=np.array([1.0, 1.0, 1.0]), b=0.0, stride=1, padding=1),
        Case("stride 2 and padding 1, the output size rounds down", x=rng.normal(size=8), w=rng.normal(size=3),
             b=0.2, stride=2, padding=1),
        Case("a kernel as long as the input (one output)", x=rng.normal(size=4), w=rng.normal(size=4), b=-0.3,
             stride=1, padding=0),
        Case("a kernel of width 1", x=rng.normal(size=5), w=np.array([2.0]), b=0.0, stride=1, padding=0),
        Case("random, stride 3 and padding 2", x=rng.normal(size=11), w=rng.normal(size=4), b=0.7, stride=3,
             padding=2),
    ]
    return run_check("conv1d_single_channel", student_conv, _conv1d_single_channel_reference, cases)
# Chapter 9: recurrence
# --------------------------------------------------------------------------------------
def _gru_step_reference(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    import torch

    from tutorial_lib.models.recurrent import GRUCell

    weight_ih = np.asarray(weight_ih, dtype=np.float64)
    cell = GRUCell(weight_ih.shape[1], weight_ih.shape[0] // 3).double()
    with torch.no_grad():
        for name, value in [("weight_ih", weight_ih), ("weight_hh", weight_hh),
                            ("bias_ih", bias_ih), ("bias_hh", bias_hh)]:
            getattr(cell, name).copy_(torch.as_tensor(np.asarray(value, dtype=np.float64)))
        as_tensor = lambda values: torch.as_tensor(np.asarray(values, dtype=np.float64))  # noqa: E731
        return cell(as_tensor(x), as_tensor(h)).numpy()


def gru_step_by_hand(student_step: Callable) -> CheckResult:
    """Check ``student_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh)``: one GRU step.

    ``x`` has shape ``(batch, input_size)`` and ``h`` ``(batch, hidden_size)``; the weights
    are laid out as PyTorch's ``nn.GRU``: ``weight_ih`` ``(3 * hidden_size, input_size)``
    and ``weight_hh`` ``(3 * hidden_size, hidden_size)``, their row blocks the gates r, z,
    n in that order, with biases ``(3 * hidden_size,)`` in the same order. Return the new
    hidden state, shape ``(batch, hidden_size)``, with PyTorch's equations (the reset gate
    multiplies ``W_hn h + b_hn``).
    """
    __tracebackhide__ = True
    rng = case_generator("gru_step_by_hand")

    def case(description, batch, input_size, hidden_size, scale=1.0, zero_state=False):
        rows = 3 * hidden_size
        return Case(
            description,
            x=rng.normal(size=(batch, input_size)),
            h=np.zeros((batch, hidden_size)) if zero_state else rng.uniform(-1, 1, size=(batch, hidden_size)),
            weight_ih=scale * rng.normal(size=(rows, input_size)),
            weight_hh=scale * rng.normal(size=(rows, hidden_size)),
            bias_ih=scale * rng.normal(size=rows),
            bias_hh=scale * rng.normal(size=rows),
        )

    cases = [
        case("one sequence, one input, one hidden unit", 1, 1, 1),
        case("one sequence, two inputs, three hidden units", 1, 2, 3),
        case("four sequences, three inputs, two hidden units", 4, 3, 2),
        case("a zero previous state", 3, 2, 4, zero_state=True),
        case("more hidden units than inputs", 2, 1, 5),
        case("large weights (saturated gates)", 3, 2, 3, scale=20.0),
        case("small weights", 5, 4, 3, scale=0.01),
        case("a batch of eight", 8, 3, 6),
    ]
    return run_check("gru_step_by_hand", student_step, _gru_step_reference, cases)
# Chapter 11: WordPiece, greedy longest match first
# --------------------------------------------------------------------------------------
def _compare_pieces(expected, actual, rtol=None, atol=None) -> str | None:
    """None when the two lists of word pieces are equal, else what differs."""
    if actual is None:
        return "your function returned None (is a `return` missing?)."
    if not isinstance(actual, (list, tuple)) or not all(isinstance(piece, str) for piece in actual):
        return f"expected a list of str, got {type(actual).__name__} {actual!r}."
    if list(actual) == list(expected):
        return None
    return f"wrong pieces: expected {list(expected)!r}, got {list(actual)!r}."


def _wordpiece_reference(word, vocab):
    from tutorial_lib.data.wordpiece import wordpiece

    return wordpiece(word, vocab)


def wordpiece_by_hand(student_wordpiece: Callable) -> CheckResult:
    """Check ``student_wordpiece(word, vocab)``: BERT's WordPiece for one word.

    ``vocab`` is a dict ``{piece: id}`` that contains ``"[UNK]"``. Cut ``word`` from the
    left, each time taking the longest piece in ``vocab``; every piece but the first is
    looked up with the prefix ``##``. Return the list of pieces, or ``["[UNK]"]`` when some
    part matches no piece or the word is longer than 100 characters.
    """
    __tracebackhide__ = True
    english = {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "##a": 4, "##ff": 5, "u": 6, "##n": 7}
    digits = {"[UNK]": 0, "123": 1, "##45": 2, "##4": 3, "##5": 4, "1": 5, "##2": 6, "##3": 7}
    brand = {"[UNK]": 0, "hu": 1, "##awei": 2, "h": 3, "##u": 4, "##a": 5, "##we": 6, "##i": 7}
    letters = {"[UNK]": 0, "a": 1, "##a": 2}
    cases = [
        Case("a word that is one piece", word="un", vocab=english),
        Case("the longest first piece wins (un, not u)", word="unaffable", vocab=english),
        Case("the longest continuation wins (##awei)", word="huawei", vocab=brand),
        Case("digits: 123 then ##45", word="12345", vocab=digits),
        Case("a continuation that exists only without ##", word="unun", vocab=english),
        Case("one unmatched letter makes the whole word [UNK]", word="unaffablex", vocab=english),
        Case("no first piece at all", word="xyz", vocab=english),
        Case("a single character", word="h", vocab=brand),
        Case("100 characters: still cut", word="a" * 100, vocab=letters),
        Case("101 characters: [UNK]", word="a" * 101, vocab=letters),
    ]
    return run_check("wordpiece_by_hand", student_wordpiece, _wordpiece_reference, cases, compare=_compare_pieces)
