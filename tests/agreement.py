"""One helper for the book's "same weights in, same outputs out" tests.

Every model the book writes by hand is tested against a library version (scikit-learn,
PyTorch): copy the same weights into both, feed both the same inputs, and compare the
outputs in float64. Import it from a test module in ``tests/``::

    from agreement import assert_same_outputs

    assert_same_outputs(ours.decision_function, torch_twin, X, atol=1e-6)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["as_float64_array", "assert_same_outputs"]


def as_float64_array(value: Any) -> np.ndarray:
    """A NumPy float64 copy of an array, a torch tensor (any device) or a number."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=np.float64)


def _as_input_for(function: Callable, inputs: Any) -> Any:
    """``inputs`` as a float64 torch tensor when ``function`` is a torch module."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed wherever models are tested
        return inputs
    if isinstance(function, torch.nn.Module) and not isinstance(inputs, torch.Tensor):
        return torch.as_tensor(np.asarray(inputs), dtype=torch.float64)
    return inputs


def assert_same_outputs(
    ours: Callable,
    reference: Callable,
    inputs: Any,
    *,
    atol: float = 1e-6,
    rtol: float = 0.0,
) -> np.ndarray:
    """Assert that ``ours(inputs)`` and ``reference(inputs)`` agree, and return ours.

    Parameters
    ----------
    ours, reference : callable
        The by-hand model and the library one, with the *same weights already in*:
        plain functions, bound methods (``model.predict_proba``) or ``torch.nn.Module``
        instances. A module is called in evaluation mode without gradients and receives
        ``inputs`` as a float64 tensor (set its parameters to float64 first).
    inputs : array_like or torch.Tensor
        Passed unchanged to a plain callable.
    atol, rtol : float
        Tolerances of :func:`numpy.testing.assert_allclose`, applied in float64.

    Returns
    -------
    numpy.ndarray
        ``ours(inputs)`` as float64, for further checks.

    Raises
    ------
    AssertionError
        When the shapes differ or any entry differs by more than the tolerance.
    """
    outputs = []
    for function in (ours, reference):
        if not callable(function):
            raise TypeError(f"ours and reference must be callable, got {type(function).__name__}.")
        outputs.append(as_float64_array(_call(function, inputs)))
    ours_out, reference_out = outputs
    assert ours_out.shape == reference_out.shape, (
        f"output shapes differ: ours {ours_out.shape}, reference {reference_out.shape}"
    )
    np.testing.assert_allclose(ours_out, reference_out, atol=atol, rtol=rtol)
    return ours_out


def _call(function: Callable, inputs: Any) -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return function(inputs)
    if isinstance(function, torch.nn.Module):
        was_training = function.training
        function.eval()
        with torch.no_grad():
            result = function(_as_input_for(function, inputs))
        function.train(was_training)
        return result
    return function(inputs)
