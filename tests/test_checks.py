import inspect
import math
import re

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, ndcg_score, roc_auc_score

from tutorial_lib.book import checks
from tutorial_lib.data import tfidf, wordpiece
from tutorial_lib.models import item2vec, logistic, neighbourhood

# Each check's reference solution: every check must pass on it.
REFERENCES = {
    "sigmoid": logistic.sigmoid,
    "logistic_gradient": logistic.gradient,
    "logistic_hessian": logistic.hessian,
    "odds_ratio": np.exp,
    "cosine_similarity_rows": neighbourhood.cosine_similarity_rows,
    "pearson_on_co_rated": lambda u, v: neighbourhood.pearson_similarity_rows(np.vstack([u, v]))[0, 1],
    "jaccard_similarity_rows": neighbourhood.jaccard_similarity_rows,
    "tfidf_by_hand": lambda counts: tfidf.tfidf_from_counts(
        counts, tfidf.smoothed_idf((np.asarray(counts) > 0).sum(axis=0), n_documents=len(counts))
    ).toarray(),
    # Chapter 4: scikit-learn's versions
    "f1_from_confusion_matrix": lambda matrix: f1_score(
        np.repeat([0, 0, 1, 1], np.ravel(matrix)), np.repeat([0, 1, 0, 1], np.ravel(matrix)), zero_division=0.0
    ),
    "auc_by_pair_counting": roc_auc_score,
    "ndcg_at_k_by_hand": lambda relevance, scores, k: ndcg_score([relevance], [scores], k=k),
    "bpr_triple_gradient": lambda p_u, q_i, q_j, regularisation: bpr_gradient_by_hand(
        p_u, q_i, q_j, regularisation
    ),
    "als_user_vector": lambda item_factors, strengths, alpha, regularisation: als_vector_by_hand(
        item_factors, strengths, alpha, regularisation
    ),
    # Chapter 5: loops over the definitions, independent of the package's sparse code.
    "msd_similarity_rows": lambda matrix: msd_by_loops(matrix),
    "baseline_als_round": lambda matrix, reg_user, reg_item: als_round_by_loops(matrix, reg_user, reg_item),
    "sgns_loss_by_hand": lambda centre, context, negatives: float(item2vec.sgns_loss(
        torch.as_tensor(centre), torch.as_tensor(context), torch.as_tensor(negatives))),
    # Chapter 8: NumPy's convolve flips the kernel, so flip it back to get a cross-correlation.
    "conv1d_single_channel": lambda x, w, b, stride, padding: (
        np.convolve(np.pad(x, padding), w[::-1], mode="valid")[::stride] + b
    ),
    # Chapter 9: torch's own GRU cell
    "gru_step_by_hand": lambda x, h, w_ih, w_hh, b_ih, b_hh: torch_gru_step(x, h, w_ih, w_hh, b_ih, b_hh),
    # Chapter 11: the tokeniser's own function (itself checked against transformers).
    "wordpiece_by_hand": wordpiece.wordpiece,
}


def conv1d_flips_the_kernel(x, w, b, stride, padding):
    return np.convolve(np.pad(x, padding), w, mode="valid")[::stride] + b


def conv1d_ignores_the_stride(x, w, b, stride, padding):
    return np.convolve(np.pad(x, padding), w[::-1], mode="valid") + b


def conv1d_pads_one_side(x, w, b, stride, padding):
    return np.convolve(np.pad(x, (padding, 0)), w[::-1], mode="valid")[::stride] + b


def torch_gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    cell = torch.nn.GRUCell(weight_ih.shape[1], weight_hh.shape[1]).double()
    with torch.no_grad():
        for name, value in [("weight_ih", weight_ih), ("weight_hh", weight_hh), ("bias_ih", bias_ih),
                            ("bias_hh", bias_hh)]:
            getattr(cell, name).copy_(torch.as_tensor(value))
        return cell(torch.as_tensor(x), torch.as_tensor(h)).numpy()


def _gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    hidden = h.shape[1]
    blocks = [slice(0, hidden), slice(hidden, 2 * hidden), slice(2 * hidden, 3 * hidden)]
    x_parts = [x @ weight_ih[b].T + bias_ih[b] for b in blocks]
    h_parts = [h @ weight_hh[b].T + bias_hh[b] for b in blocks]
    return x_parts, h_parts, blocks


def gru_reset_before_the_product(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    # Cho et al.'s form, W_hn (r * h) + b_hn: a different function from PyTorch's
    (x_r, x_z, x_n), (h_r, h_z, _), blocks = _gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = logistic.sigmoid(x_r + h_r), logistic.sigmoid(x_z + h_z)
    n = np.tanh(x_n + (r * h) @ weight_hh[blocks[2]].T + bias_hh[blocks[2]])
    return (1 - z) * n + z * h


def gru_update_gate_swapped(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    (x_r, x_z, x_n), (h_r, h_z, h_n), _ = _gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = logistic.sigmoid(x_r + h_r), logistic.sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return z * n + (1 - z) * h


def gru_gate_order_z_r_n(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    (x_z, x_r, x_n), (h_z, h_r, h_n), _ = _gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    r, z = logistic.sigmoid(x_r + h_r), logistic.sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h



def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sgns_naive_log_of_sigmoid(centre, context, negatives):
    # log(1 / (1 + exp(-x))) underflows to log(0) = -inf for very negative x
    positive = np.sum(context * centre, axis=1)
    negative = np.einsum("bkd,bd->bk", negatives, centre)
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.mean(-np.log(1 / (1 + np.exp(-positive)))
                             - np.log(1 / (1 + np.exp(negative))).sum(axis=1)))


def sgns_negatives_without_minus(centre, context, negatives):
    # Pushes the negatives *towards* the centre: log sigmoid(+s) instead of log sigmoid(-s)
    positive = np.sum(context * centre, axis=1)
    negative = np.einsum("bkd,bd->bk", negatives, centre)
    return float(np.mean(-_log_sigmoid(positive) - _log_sigmoid(negative).sum(axis=1)))


def sgns_summed_over_the_batch(centre, context, negatives):
    positive = np.sum(context * centre, axis=1)
    negative = np.einsum("bkd,bd->bk", negatives, centre)
    return float(np.sum(-_log_sigmoid(positive) - _log_sigmoid(-negative).sum(axis=1)))


def wordpiece_shortest_first(word, vocab):
    # Takes the shortest matching piece each time: "u" + ... instead of "un" + ...
    pieces, start = [], 0
    while start < len(word):
        for end in range(start + 1, len(word) + 1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
        else:
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


def wordpiece_without_prefix(word, vocab):
    # Forgets the ## of continuation pieces
    return [piece.removeprefix("##") for piece in wordpiece.wordpiece(word, vocab)]


def wordpiece_unknown_part_only(word, vocab):
    # Keeps the pieces found and marks only the unmatched rest as [UNK]
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:
            return pieces + ["[UNK]"]
    return pieces


def msd_by_loops(matrix):
    matrix = np.asarray(matrix, dtype=float)
    n = len(matrix)
    result = np.eye(n)
    for u in range(n):
        for v in range(n):
            both = ~np.isnan(matrix[u]) & ~np.isnan(matrix[v])
            if u != v:
                result[u, v] = 1 / (1 + np.mean((matrix[u, both] - matrix[v, both]) ** 2)) if both.any() else 0.0
    return result


def als_round_by_loops(matrix, reg_user, reg_item, *, users_first=False):
    matrix = np.asarray(matrix, dtype=float)
    rated = ~np.isnan(matrix)
    mu = matrix[rated].mean()
    user_bias, item_bias = np.zeros(matrix.shape[0]), np.zeros(matrix.shape[1])

    def items_step():
        for i in range(matrix.shape[1]):
            raters = rated[:, i]
            item_bias[i] = np.sum(matrix[raters, i] - mu - user_bias[raters]) / (reg_item + raters.sum())

    def users_step():
        for u in range(matrix.shape[0]):
            items = rated[u]
            user_bias[u] = np.sum(matrix[u, items] - mu - item_bias[items]) / (reg_user + items.sum())

    for step in ((users_step, items_step) if users_first else (items_step, users_step)):
        step()
    return mu + user_bias[:, None] + item_bias[None, :]


# --- Deliberately wrong implementations, each a mistake a reader could make -------------
def sigmoid_naive_overflow(z):
    return np.exp(z) / (1 + np.exp(z))  # inf / inf = NaN for large z


def sigmoid_wrong_sign(z):
    return 1 / (1 + np.exp(z))


def sigmoid_math_exp(z):
    return 1 / (1 + math.exp(-z))  # scalars only, and math.exp(800) raises OverflowError


def sigmoid_flattens(z):
    return np.ravel(logistic.sigmoid(z))


def sigmoid_forgets_return(z):
    logistic.sigmoid(z)


def _residuals(w, b, X, y):
    return logistic.sigmoid(X @ w + b) - y


def gradient_forgets_the_penalty(w, b, X, y, l2):
    residuals = _residuals(w, b, X, y)
    return np.append(X.T @ residuals, residuals.sum())


def gradient_penalises_the_intercept(w, b, X, y, l2):
    residuals = _residuals(w, b, X, y)
    return np.append(X.T @ residuals + l2 * w, residuals.sum() + l2 * b)


def gradient_wrong_sign(w, b, X, y, l2):
    residuals = y - logistic.sigmoid(X @ w + b)
    return np.append(X.T @ residuals + l2 * w, residuals.sum())


def gradient_without_intercept(w, b, X, y, l2):
    return X.T @ _residuals(w, b, X, y) + l2 * w


def hessian_forgets_the_penalty(w, b, X, y, l2):
    return logistic.hessian(w, b, X, y, 0.0)


def hessian_penalises_the_intercept(w, b, X, y, l2):
    return logistic.hessian(w, b, X, y, 0.0) + l2 * np.eye(len(w) + 1)


def hessian_weights_only(w, b, X, y, l2):
    return logistic.hessian(w, None, X, y, l2)


def odds_ratio_is_the_coefficient(coefficient):
    return coefficient


def odds_ratio_as_a_probability(coefficient):
    return logistic.sigmoid(coefficient)


def odds_ratio_math_exp(coefficient):
    return math.exp(coefficient)  # fails on arrays of coefficients


def cosine_without_zero_guard(matrix):
    filled = np.nan_to_num(matrix)
    norms = np.linalg.norm(filled, axis=1)
    return filled @ filled.T / np.outer(norms, norms)


def cosine_of_columns(matrix):
    return neighbourhood.cosine_similarity_rows(np.asarray(matrix).T)


def cosine_ignores_nan(matrix):
    values = np.asarray(matrix, dtype=float)  # NaN left in: it spreads to whole rows
    norms = np.linalg.norm(values, axis=1)
    denominator = np.outer(norms, norms)
    products = values @ values.T
    return np.divide(products, denominator, out=np.zeros_like(products), where=denominator > 0)


def cosine_unnormalised(matrix):
    filled = np.nan_to_num(matrix)
    return filled @ filled.T


def pearson_missing_as_zero(u, v):
    return float(np.corrcoef(np.nan_to_num(u), np.nan_to_num(v))[0, 1])


def pearson_centred_on_all_ratings(u, v):
    # Centres on each user's mean over *all* their ratings, not over the co-rated items.
    both = ~np.isnan(u) & ~np.isnan(v)
    du, dv = u[both] - np.nanmean(u), v[both] - np.nanmean(v)
    lengths = np.linalg.norm(du) * np.linalg.norm(dv)
    return float(du @ dv / lengths) if both.sum() >= 2 and lengths > 0 else 0.0


def pearson_without_guard(u, v):
    both = ~np.isnan(u) & ~np.isnan(v)
    n_both = np.float64(both.sum())  # 0 / 0 below is NaN (errstate), not a warning of np.mean
    du, dv = u[both] - u[both].sum() / n_both, v[both] - v[both].sum() / n_both
    return float(du @ dv / (np.linalg.norm(du) * np.linalg.norm(dv)))


def jaccard_of_values(matrix):
    # Treats unrated entries as 0 and compares the values: a weighted, not a set, Jaccard.
    filled = np.nan_to_num(np.asarray(matrix, dtype=float))
    minimum = np.minimum(filled[:, None, :], filled[None, :, :]).sum(axis=2)
    maximum = np.maximum(filled[:, None, :], filled[None, :, :]).sum(axis=2)
    return np.divide(minimum, maximum, out=np.zeros_like(minimum), where=maximum > 0)


def jaccard_over_all_items(matrix):
    # Divides by the number of items instead of the size of the union.
    rated = ~np.isnan(np.asarray(matrix, dtype=float))
    return (rated[:, None, :] & rated[None, :, :]).sum(axis=2) / rated.shape[1]


def tfidf_unsmoothed(counts):
    counts = np.asarray(counts, dtype=float)
    idf = np.log(len(counts) / (counts > 0).sum(axis=0))
    weighted = counts * idf
    lengths = np.linalg.norm(weighted, axis=1, keepdims=True)
    return np.divide(weighted, lengths, out=np.zeros_like(weighted), where=lengths > 0)


def tfidf_not_normalised(counts):
    counts = np.asarray(counts, dtype=float)
    return counts * (np.log((1 + len(counts)) / (1 + (counts > 0).sum(axis=0))) + 1)


def tfidf_binary_counts(counts):
    # Uses 0/1 presence instead of the raw count.
    return REFERENCES["tfidf_by_hand"]((np.asarray(counts) > 0).astype(float))


def f1_with_accuracy_for_precision(matrix):
    # Source 000's and 002's mix-up: accuracy where precision belongs.
    (tn, fp), (fn, tp) = np.asarray(matrix)
    accuracy, recall = (tp + tn) / (tn + fp + fn + tp), tp / (tp + fn)
    return 2 * accuracy * recall / (accuracy + recall)


def f1_arithmetic_mean(matrix):
    (tn, fp), (fn, tp) = np.asarray(matrix)
    return (tp / (tp + fp) + tp / (tp + fn)) / 2


def auc_ties_count_zero(y_true, y_score):
    positives, negatives = y_score[y_true == 1], y_score[y_true == 0]
    return float(np.mean(positives[:, None] > negatives[None, :]))


def auc_over_all_pairs(y_true, y_score):
    # Divides by every pair of examples, not by n_pos * n_neg.
    positives, negatives = y_score[y_true == 1], y_score[y_true == 0]
    correct = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (positives[:, None] == negatives[None, :]).sum()
    n = len(y_true)
    return float(correct / (n * (n - 1) / 2))


def ndcg_not_normalised(relevance, scores, k):
    ranked = relevance[np.argsort(-scores)][:k]
    return float(np.sum(ranked / np.log2(np.arange(2, len(ranked) + 2))))


def ndcg_reciprocal_rank_discount(relevance, scores, k):
    # 1 / rank instead of 1 / log2(rank + 1). (A natural log would pass: the base cancels.)
    ranked = relevance[np.argsort(-scores)][:k]
    ideal = np.sort(relevance)[::-1][:k]
    discounts = 1 / np.arange(1, len(ranked) + 1)
    return float(np.sum(ranked * discounts) / np.sum(ideal * discounts))
# Chapter 6: references written out by hand (not the package's code), and mistakes.
def _stable_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def bpr_gradient_by_hand(p_u, q_i, q_j, regularisation, sign=1.0, penalty=True):
    pull = _stable_sigmoid(-sign * (p_u @ (q_i - q_j)))  # 1 - sigma(x)
    reg = regularisation if penalty else 0.0
    return np.vstack([-pull * (q_i - q_j) + reg * p_u, -pull * p_u + reg * q_i, pull * p_u + reg * q_j])


def bpr_gradient_wrong_sign(p_u, q_i, q_j, regularisation):
    return bpr_gradient_by_hand(p_u, q_i, q_j, regularisation, sign=-1.0)


def bpr_gradient_forgets_the_penalty(p_u, q_i, q_j, regularisation):
    return bpr_gradient_by_hand(p_u, q_i, q_j, regularisation, penalty=False)


def bpr_gradient_negative_like_positive(p_u, q_i, q_j, regularisation):
    gradient = bpr_gradient_by_hand(p_u, q_i, q_j, regularisation)
    gradient[2] = gradient[1] - regularisation * q_i + regularisation * q_j  # the same pull as q_i
    return gradient


def als_vector_by_hand(item_factors, strengths, alpha, regularisation, confidence=None, all_items=True):
    preference = (strengths > 0).astype(float)
    weights = 1.0 + alpha * strengths if confidence is None else confidence(strengths)
    if not all_items:  # only the user's own items
        item_factors, weights, preference = item_factors[strengths > 0], weights[strengths > 0], preference[strengths > 0]
    left = item_factors.T @ (weights[:, None] * item_factors) + regularisation * np.eye(item_factors.shape[1])
    return np.linalg.solve(left, item_factors.T @ (weights * preference))


def als_vector_confidence_alpha_r(item_factors, strengths, alpha, regularisation):
    return als_vector_by_hand(item_factors, strengths, alpha, regularisation, confidence=lambda r: alpha * r)


def als_vector_only_own_items(item_factors, strengths, alpha, regularisation):
    return als_vector_by_hand(item_factors, strengths, alpha, regularisation, all_items=False)


def als_vector_forgets_the_penalty(item_factors, strengths, alpha, regularisation):
    return als_vector_by_hand(item_factors, strengths, alpha, 0.0)
def msd_over_all_items(matrix):
    # Counts an unrated entry as 0 instead of using only the co-rated items.
    return msd_by_loops(np.nan_to_num(np.asarray(matrix, dtype=float)))


def msd_without_plus_one(matrix):
    # 1 / msd: infinite for identical rows.
    result = 1 / (1 / np.asarray(msd_by_loops(matrix)) - 1)
    return result


def als_round_users_first(matrix, reg_user, reg_item):
    return als_round_by_loops(matrix, reg_user, reg_item, users_first=True)


def als_round_unpenalised(matrix, reg_user, reg_item):
    return als_round_by_loops(matrix, 0.0, 0.0)


WRONG = [
    ("msd_similarity_rows", msd_over_all_items, "two rows, two co-rated items", "wrong values"),
    ("msd_similarity_rows", msd_without_plus_one, "two rows, two co-rated items", "wrong values"),
    ("baseline_als_round", als_round_users_first, "items first, then users", "wrong values"),
    ("baseline_als_round", als_round_unpenalised, "penalties pull the biases to 0", "wrong values"),
    ("sigmoid", sigmoid_naive_overflow, "extreme logits -800 and 800", "NaN or inf"),
    ("sigmoid", sigmoid_wrong_sign, "a positive logit", "wrong value: expected 0.9241"),
    ("sigmoid", sigmoid_math_exp, "a vector of moderate logits", "your function raised TypeError"),
    ("sigmoid", sigmoid_flattens, "the logit 0", "expected a single number, got an array of shape (1,)"),
    ("sigmoid", sigmoid_forgets_return, "the logit 0", "returned None"),
    ("logistic_gradient", gradient_forgets_the_penalty, "l2 = 0.5", "wrong values"),
    ("logistic_gradient", gradient_penalises_the_intercept, "l2 = 0.5", "the first at index [2]"),
    ("logistic_gradient", gradient_wrong_sign, "one example, one feature", "wrong values"),
    ("logistic_gradient", gradient_without_intercept, "one example", "wrong shape: expected (2,), got (1,)"),
    ("logistic_hessian", hessian_forgets_the_penalty, "l2 = 0.5", "the first at index [0, 0]"),
    ("logistic_hessian", hessian_penalises_the_intercept, "l2 = 0.5", "the first at index [2, 2]"),
    ("logistic_hessian", hessian_weights_only, "one example", "wrong shape: expected (2, 2), got (1, 1)"),
    ("odds_ratio", odds_ratio_is_the_coefficient, "a coefficient of 0", "wrong value: expected 1, got 0"),
    ("odds_ratio", odds_ratio_as_a_probability, "a coefficient of 0", "wrong value: expected 1, got 0.5"),
    ("odds_ratio", odds_ratio_math_exp, "a vector of coefficients", "your function raised TypeError"),
    ("cosine_similarity_rows", cosine_without_zero_guard, "a row of zeros", "NaN or inf"),
    ("cosine_similarity_rows", cosine_of_columns, "four users, three items", "wrong shape: expected (4, 4), got (3, 3)"),
    ("cosine_similarity_rows", cosine_ignores_nan, "unrated entries as NaN", "wrong values"),
    ("cosine_similarity_rows", cosine_unnormalised, "four users, three items", "wrong values"),
    ("pearson_on_co_rated", pearson_missing_as_zero, "a NaN in one row", "wrong value"),
    ("pearson_on_co_rated", pearson_centred_on_all_ratings, "a NaN in one row", "wrong value"),
    ("pearson_on_co_rated", pearson_without_guard, "only one item rated by both", "NaN or inf"),
    ("jaccard_similarity_rows", jaccard_of_values, "two rows sharing two items", "wrong values"),
    ("jaccard_similarity_rows", jaccard_over_all_items, "two rows sharing two items", "wrong values"),
    ("tfidf_by_hand", tfidf_unsmoothed, "the book's three documents", "wrong values"),
    ("tfidf_by_hand", tfidf_not_normalised, "the book's three documents", "wrong values"),
    ("tfidf_by_hand", tfidf_binary_counts, "the book's three documents", "wrong values"),
    ("f1_from_confusion_matrix", f1_with_accuracy_for_precision, "source 004's matrix", "wrong value: expected 0.8,"),
    ("f1_from_confusion_matrix", f1_arithmetic_mean, "source 004's matrix", "wrong value: expected 0.8,"),
    ("auc_by_pair_counting", auc_ties_count_zero, "a tie (counts one half)", "wrong value: expected 0.5, got 0"),
    ("auc_by_pair_counting", auc_over_all_pairs, "the chapter's ten examples", "wrong value"),
    ("ndcg_at_k_by_hand", ndcg_not_normalised, "scores not in list order", "wrong value"),
    ("ndcg_at_k_by_hand", ndcg_reciprocal_rank_discount, "the relevant item third", "wrong value: expected 0.5,"),
    ("bpr_triple_gradient", bpr_gradient_wrong_sign, "three factors, no regularisation", "wrong values"),
    ("bpr_triple_gradient", bpr_gradient_forgets_the_penalty, "three factors, regularisation 0.1", "wrong values"),
    ("bpr_triple_gradient", bpr_gradient_negative_like_positive, "three factors, no regularisation", "wrong values"),
    ("als_user_vector", als_vector_confidence_alpha_r, "five items, two factors", "wrong values"),
    ("als_user_vector", als_vector_only_own_items, "five items, two factors", "wrong values"),
    ("als_user_vector", als_vector_forgets_the_penalty, "five items, two factors", "wrong values"),
    ("sgns_loss_by_hand", sgns_negatives_without_minus, "one pair, one negative", "wrong value"),
    ("sgns_loss_by_hand", sgns_summed_over_the_batch, "all vectors zero", "wrong value"),
    ("sgns_loss_by_hand", sgns_naive_log_of_sigmoid, "large dot products", "NaN or inf"),
    ("conv1d_single_channel", conv1d_flips_the_kernel, "the chapter's example", "wrong values"),
    ("conv1d_single_channel", conv1d_ignores_the_stride, "stride 2", "wrong shape"),
    ("conv1d_single_channel", conv1d_pads_one_side, "padding 1", "wrong shape"),
    ("gru_step_by_hand", gru_reset_before_the_product, "one sequence, one input", "wrong value"),
    ("gru_step_by_hand", gru_update_gate_swapped, "one sequence, one input", "wrong value"),
    ("gru_step_by_hand", gru_gate_order_z_r_n, "one sequence, one input", "wrong value"),
    ("wordpiece_by_hand", wordpiece_shortest_first, "a word that is one piece", "wrong pieces"),
    ("wordpiece_by_hand", wordpiece_without_prefix, "the longest first piece wins", "wrong pieces"),
    ("wordpiece_by_hand", wordpiece_unknown_part_only, "exists only without ##", "wrong pieces"),
]


def test_every_available_check_has_a_reference_here():
    assert sorted(checks.AVAILABLE) == sorted(REFERENCES)
    assert all(callable(getattr(checks, name)) for name in checks.AVAILABLE)
    assert {name for name, *_ in WRONG} == set(checks.AVAILABLE)  # each one is shown to fail too


@pytest.mark.parametrize("name", checks.AVAILABLE)
def test_check_passes_on_the_reference(name, capsys):
    result = getattr(checks, name)(REFERENCES[name])
    assert isinstance(result, checks.CheckResult) and result.name == name and result.n_cases >= 8
    assert capsys.readouterr().out == f"{name}: all {result.n_cases} cases passed\n"


@pytest.mark.parametrize("name, wrong_fn, first_case, problem", WRONG, ids=[wrong[1].__name__ for wrong in WRONG])
def test_check_fails_on_a_wrong_implementation(name, wrong_fn, first_case, problem):
    with np.errstate(all="ignore"), pytest.raises(checks.CheckFailed) as caught:
        getattr(checks, name)(wrong_fn)
    message = " ".join(str(caught.value).split())  # undo the wrapping
    assert message.startswith(f"{name}: "), message
    first = re.search(r"The first is case \d+, (.*?)\. Inputs:", message)
    assert first and first_case in first.group(1), message
    assert problem in message, message
    assert all(len(line) <= 80 for line in str(caught.value).splitlines())
    assert isinstance(caught.value, AssertionError)


def test_failure_message_does_not_show_the_reference_code():
    references = [logistic.sigmoid, logistic._gradient, logistic._hessian, logistic.gradient, logistic.hessian, neighbourhood.cosine_similarity_rows]
    code_lines = {line.strip() for reference in references for line in inspect.getsource(reference).splitlines()}
    code_lines = {line for line in code_lines if len(line) > 12 and not line.startswith(("#", '"""'))}
    assert len(code_lines) > 20  # the comparison below has something to look for
    messages = []
    for name, wrong_fn, *_ in WRONG:
        with np.errstate(all="ignore"), pytest.raises(checks.CheckFailed) as caught:
            getattr(checks, name)(wrong_fn)
        messages.append(str(caught.value))
    text = "\n".join(messages)
    assert not [line for line in code_lines if line in text]
    for fragment in ("exp_minus_abs", "np.where", "_weighted_gram", "curvature", "nan_to_num"):
        assert fragment not in text


def test_exception_is_chained_so_the_traceback_shows_the_student_code():
    def broken(z):
        raise ZeroDivisionError("my bug")

    with pytest.raises(checks.CheckFailed, match="raised ZeroDivisionError: my bug") as caught:
        checks.sigmoid(broken)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert "12 of 12 cases failed" in str(caught.value)


def test_student_cannot_change_the_reference_inputs():
    def sigmoid_in_place(z):
        if isinstance(z, np.ndarray):
            np.negative(z, out=z)  # clobbers its input, then answers from the clobbered values
            return logistic.sigmoid(-z)
        return logistic.sigmoid(z)

    checks.sigmoid(sigmoid_in_place)  # each call gets its own copy of the arguments


def test_compare_values():
    assert checks.compare_values(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12]) is None
    assert checks.compare_values(np.array([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)) is None
    assert "first at index [1, 0]" in checks.compare_values(np.eye(2), np.array([[1.0, 0.0], [0.5, 1.0]]))
    assert "Largest absolute difference: 0.5" in checks.compare_values(np.eye(2), np.array([[1.0, 0.0], [0.5, 1.0]]))
    assert "a reshape or a transpose" in checks.compare_values(np.zeros((2, 3)), np.zeros((3, 2)))
    assert "not a number or an array of numbers" in checks.compare_values(1.0, "one")
    assert checks.compare_values(np.array([np.nan]), np.array([np.nan])) is None


def test_check_needs_a_function():
    with pytest.raises(TypeError, match="checks.sigmoid needs your function itself"):
        checks.sigmoid(logistic.sigmoid(0.0))


def test_cases_are_the_same_on_every_run():
    first = checks.case_generator("sigmoid").normal(size=3)
    np.testing.assert_array_equal(first, checks.case_generator("sigmoid").normal(size=3))
    assert not np.array_equal(first, checks.case_generator("odds_ratio").normal(size=3))


def test_run_check_accepts_a_custom_comparison():
    def weight_on_masked_position(expected, actual, *, rtol, atol):
        return None if actual[-1] == 0 else "the masked last position got weight."

    cases = [checks.Case("three positions, the last masked", scores=np.array([1.0, 2.0, 3.0]))]

    def masked_softmax(scores):
        weights = np.exp(scores[:-1]) / np.exp(scores[:-1]).sum()
        return np.append(weights, 0.0)

    checks.run_check("masked_softmax", masked_softmax, masked_softmax, cases, compare=weight_on_masked_position)
    with pytest.raises(checks.CheckFailed, match="the masked last position got weight"):
        checks.run_check(
            "masked_softmax", lambda s: np.exp(s) / np.exp(s).sum(), masked_softmax, cases, compare=weight_on_masked_position
        )
