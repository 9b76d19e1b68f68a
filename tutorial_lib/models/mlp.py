"""A multi-layer perceptron that predicts a behaviour (click, purchase) from a feature vector.

The model returns *logits*, not probabilities. Train it with
``torch.nn.BCEWithLogitsLoss``, which combines the sigmoid and the cross-entropy in one
numerically stable expression; apply ``torch.sigmoid`` only when probabilities are needed
(:func:`tutorial_lib.training.predict_proba` does that). A final sigmoid layer followed by
``BCELoss`` computes the same loss in theory, but in float32 the sigmoid rounds to exactly
1 for logits above about 17 (and to 0 below about -104); ``BCELoss`` then has to clamp
``log(0)`` to -100, so a confidently wrong example gets a capped loss and no gradient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import nn

from tutorial_lib.config import ProfileConfig
from tutorial_lib.validation import check_int, check_real

__all__ = ["BehaviourMLP", "MLPConfig"]


class BehaviourMLP(nn.Module):
    """Feed-forward network: (Linear -> ReLU -> Dropout) per hidden layer, then Linear to 1 logit.

    Parameters
    ----------
    n_features : int
        Width of the input feature vector.
    hidden_sizes : sequence of int, default (64, 32)
        Width of each hidden layer. An empty sequence gives a single linear layer, which is
        logistic regression.
    dropout : float, default 0.2
        Probability of zeroing a hidden unit during training, in [0, 1). Inactive in
        ``model.eval()`` mode.

    Shapes
    ------
    ``forward(features)``: ``(batch, n_features)`` float32 -> ``(batch,)`` float32 logits.

    Examples
    --------
    >>> model = BehaviourMLP(n_features=10)
    >>> model(torch.zeros(4, 10)).shape
    torch.Size([4])
    """

    def __init__(self, n_features: int, hidden_sizes: Sequence[int] = (64, 32), dropout: float = 0.2):
        super().__init__()
        check_int(n_features, "n_features", min_val=1)
        if isinstance(hidden_sizes, (str, bytes)) or not isinstance(hidden_sizes, Sequence):
            raise TypeError(f"hidden_sizes must be a sequence of positive integers, got {hidden_sizes!r}.")
        for position, size in enumerate(hidden_sizes):
            check_int(size, f"hidden_sizes[{position}]", min_val=1)
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")

        self.n_features = int(n_features)
        self.hidden_sizes = tuple(int(size) for size in hidden_sizes)
        layers: list[nn.Module] = []
        width_in = self.n_features
        for width_out in self.hidden_sizes:
            layers += [nn.Linear(width_in, width_out), nn.ReLU(), nn.Dropout(float(dropout))]
            width_in = width_out
        self.hidden = nn.Sequential(*layers)  # (batch, n_features) -> (batch, width_in)
        self.output = nn.Linear(width_in, 1)  # (batch, width_in) -> (batch, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch,) for ``features`` of shape (batch, n_features)."""
        if features.ndim != 2 or features.shape[1] != self.n_features:
            raise ValueError(
                f"features must have shape (batch, {self.n_features}), got {tuple(features.shape)}."
            )
        hidden_activations = self.hidden(features)  # (batch, hidden_sizes[-1])
        return self.output(hidden_activations).squeeze(-1)  # (batch, 1) -> (batch,)


@dataclasses.dataclass(frozen=True)
class MLPConfig(ProfileConfig):
    """Sizes and training settings of :class:`BehaviourMLP`; defaults are the full values.

    Attributes
    ----------
    hidden_sizes : tuple of int
        Width of each hidden layer.
    dropout : float
        Dropout probability of the hidden layers.
    epochs : int
        Most passes over the training rows (the chapter keeps the best epoch on
        validation).
    batch_size : int
        Rows per mini-batch.
    learning_rate : float
        AdamW's learning rate.
    """

    hidden_sizes: tuple[int, ...] = (128, 64)
    dropout: float = 0.2
    epochs: int = 20
    batch_size: int = 1024
    learning_rate: float = 1e-3

    QUICK: ClassVar[dict] = {"hidden_sizes": (32, 16), "epochs": 3, "batch_size": 256}
    QUICK_COST_LIMIT: ClassVar[int] = 3 * (32 + 16)

    def cost(self) -> int:
        """Work per training row: epochs times the hidden units (a rough count).

        The number of rows is the data config's business (``LogisticConfig.max_ratings``
        in chapter 3), so it is not counted here.
        """
        return self.epochs * sum(self.hidden_sizes)
