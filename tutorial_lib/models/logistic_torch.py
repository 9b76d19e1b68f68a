"""Logistic regression as a one-layer PyTorch module: the library twin of the NumPy model.

:mod:`tutorial_lib.models.logistic` writes the loss, gradient and Hessian by hand; this module
builds the same model from ``torch.nn.Linear`` and ``BCEWithLogitsLoss`` and fits it with
L-BFGS, so the tests can show that both reach the same coefficients.
"""

from __future__ import annotations


import numpy as np
import scipy.sparse
import torch

from tutorial_lib.models.logistic import l2_from_C
from tutorial_lib.validation import as_feature_matrix, as_label_vector, check_bool, check_int, check_real

__all__ = ["TorchLogisticRegression", "fit_torch_logistic"]


# --------------------------------------------------------------------------------------
# The same model in PyTorch
# --------------------------------------------------------------------------------------
class TorchLogisticRegression(torch.nn.Module):
    """Logistic regression as a PyTorch module: one ``Linear(n_features, 1)`` layer.

    ``forward`` returns logits; pair it with ``torch.nn.BCEWithLogitsLoss`` (which applies the
    sigmoid inside the loss in a numerically stable way), and apply ``torch.sigmoid`` only
    when probabilities are wanted.

    Parameters
    ----------
    n_features : int
        Number of input features.
    fit_intercept : bool, default True
        Whether the layer has a bias.
    dtype : torch.dtype, default torch.float32
        Parameter dtype. Use ``torch.float64`` to compare with the NumPy version.

    Shapes
    ------
    input ``(batch, n_features)`` -> output ``(batch,)``.
    """

    def __init__(self, n_features: int, fit_intercept: bool = True, dtype: torch.dtype = torch.float32):
        super().__init__()
        n_features = check_int(n_features, "n_features", min_val=1)
        fit_intercept = check_bool(fit_intercept, "fit_intercept")
        self.linear = torch.nn.Linear(n_features, 1, bias=fit_intercept, dtype=dtype)
        # Start from zero like the NumPy solvers; the loss is convex, so the start only
        # affects the path, and zeros make the fit independent of the random seed.
        torch.nn.init.zeros_(self.linear.weight)
        if self.linear.bias is not None:
            torch.nn.init.zeros_(self.linear.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch,), for features of shape (batch, n_features)."""
        return self.linear(features).squeeze(-1)  # (batch, 1) -> (batch,)

    @property
    def coef_(self) -> np.ndarray:
        """The weights as a NumPy array, shape (1, n_features), like scikit-learn's ``coef_``."""
        return self.linear.weight.detach().cpu().numpy().copy()

    @property
    def intercept_(self) -> np.ndarray:
        """The bias as a NumPy array, shape (1,) (zero without an intercept)."""
        if self.linear.bias is None:
            return np.zeros(1)
        return self.linear.bias.detach().cpu().numpy().copy()

    def load_coefficients(self, coef, intercept=None) -> TorchLogisticRegression:
        """Copy weights in (for example from the NumPy model) so that outputs can be compared.

        Parameters
        ----------
        coef : array_like, shape (n_features,) or (1, n_features)
        intercept : float or array_like of shape (1,), optional
            Required when the module has a bias, ignored otherwise.
        """
        weights = np.asarray(coef, dtype=np.float64).reshape(1, -1)
        if weights.shape != tuple(self.linear.weight.shape):
            raise ValueError(f"coef must have {self.linear.weight.shape[1]} entries, got {weights.size}.")
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(weights, dtype=self.linear.weight.dtype))
            if self.linear.bias is not None:
                if intercept is None:
                    raise ValueError("intercept is required: this module has a bias.")
                bias = np.asarray(intercept, dtype=np.float64).reshape(1)
                self.linear.bias.copy_(torch.as_tensor(bias, dtype=self.linear.bias.dtype))
        return self


def fit_torch_logistic(
    X,
    y,
    C: float = 1.0,
    *,
    fit_intercept: bool = True,
    max_iter: int = 500,
    tol: float = 1e-10,
) -> TorchLogisticRegression:
    """Fit :class:`TorchLogisticRegression` in float64 with L-BFGS on scikit-learn's objective.

    Minimises ``(sum_i BCEWithLogits_i + (1 / (2C)) ||w||^2) / n_samples``, which is
    scikit-learn's objective divided by ``C · n_samples``: same minimiser, but gradients of
    order one, so that ``tol`` means the same for any dataset size. The bias is not
    penalised.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Dense features (convert a sparse matrix with ``X.toarray()`` first).
    y : array_like, shape (n_samples,)
        Labels 0/1.
    C : float, default 1.0
        Inverse penalty strength, > 0 (``np.inf``: no penalty).
    fit_intercept : bool, default True
    max_iter : int, default 500
        Cap on L-BFGS iterations.
    tol : float, default 1e-10
        L-BFGS stops when the largest absolute gradient entry is <= tol.

    Returns
    -------
    TorchLogisticRegression
        In float64, on the CPU.
    """
    if scipy.sparse.issparse(X):
        raise TypeError("fit_torch_logistic needs a dense X; call X.toarray() first if it fits in memory.")
    X = as_feature_matrix(X)
    y = as_label_vector(y, X.shape[0])
    l2 = l2_from_C(C)
    max_iter = check_int(max_iter, "max_iter", min_val=1)  # max_iter=True used to pass here
    tol = check_real(tol, "tol", min_val=0, include_boundaries="neither")

    features = torch.as_tensor(X, dtype=torch.float64)
    labels = torch.as_tensor(y, dtype=torch.float64)
    n_samples = features.shape[0]
    model = TorchLogisticRegression(features.shape[1], fit_intercept=fit_intercept, dtype=torch.float64)
    bce_sum = torch.nn.BCEWithLogitsLoss(reduction="sum")
    optimizer = torch.optim.LBFGS(
        model.parameters(),
        lr=1.0,
        max_iter=int(max_iter),
        tolerance_grad=float(tol),
        tolerance_change=1e-15,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        weights = model.linear.weight
        objective = (bce_sum(model(features), labels) + 0.5 * l2 * (weights * weights).sum()) / n_samples
        objective.backward()
        return objective

    optimizer.step(closure)
    return model
