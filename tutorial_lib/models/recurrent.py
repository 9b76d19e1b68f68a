"""Recurrent networks by hand: RNN, LSTM and GRU cells, and a layer over a padded batch.

A recurrent neural network (循环神经网络) reads a sequence one step at a time and carries a
hidden state :math:`h_t` from each step to the next. Every cell below is written from the
equations PyTorch documents for ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, with PyTorch's
parameter layout, so that the weights copy one to one (:func:`copy_from_torch`,
:func:`copy_to_torch`) and the outputs can be compared number for number. Each cell holds
``weight_ih`` (input to hidden), ``weight_hh`` (hidden to hidden), ``bias_ih`` and
``bias_hh``; PyTorch keeps two biases where one would do, and so do we.

Vanilla RNN (``nn.RNN`` with ``nonlinearity="tanh"``)::

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

which is the textbook :math:`h_t = \\tanh(W_h h_{t-1} + W_x x_t + b)` with
:math:`W_x = W_{ih}`, :math:`W_h = W_{hh}` and :math:`b = b_{ih} + b_{hh}`.

LSTM, long short-term memory (长短期记忆); the rows of ``weight_ih`` / ``weight_hh`` are the
gates in PyTorch's order **i, f, g, o** (input gate, forget gate, candidate, output gate)::

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

GRU, gated recurrent unit (门控循环单元); gate order **r, z, n** (reset, update, candidate).
Note where the reset gate acts: PyTorch (like cuDNN) multiplies it into the hidden part
*after* its matrix product and bias, ``r * (W_hn h + b_hn)``; Cho et al.'s paper writes
``W_hn (r * h)``. The two are different functions, and we follow PyTorch::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

A batch of sequences of different lengths is stored right-padded, shape
``(batch, seq_len, input_size)`` with a vector ``lengths``: :class:`RecurrentLayer` updates
a sequence's state only while ``t < length``, so its final state is the state after its
own last step, and its outputs at the padded positions are 0 — exactly what
``pack_padded_sequence`` followed by ``pad_packed_sequence`` gives.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tutorial_lib.config import ProfileConfig
from tutorial_lib.validation import check_choice, check_int, check_positive_int

__all__ = [
    "CELL_TYPES",
    "RecurrenceDemoConfig",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RecurrentLayer",
    "copy_from_torch",
    "copy_to_torch",
    "torch_counterpart",
    "gradient_norms_over_time",
]

CELL_TYPES = ("rnn", "lstm", "gru")


@dataclasses.dataclass(frozen=True)
class RecurrenceDemoConfig(ProfileConfig):
    """The sizes of chapter 9's small demonstrations (the same in both profiles).

    Attributes
    ----------
    gradient_seq_len, gradient_input_size, gradient_hidden_size, gradient_batch_size : int
        The cells and random sequences of the vanishing-gradient curves
        (:func:`gradient_norms_over_time`).
    forget_bias : float
        The LSTM forget-gate bias of the curve that sets it (1, Jozefowicz et al. 2015).
    batch_size, seq_len, input_size, hidden_size, num_layers : int
        The random padded batch on which the by-hand layers are compared with PyTorch's.
    speed_batch_size, speed_seq_len : int
        The batch timed for by hand against ``nn.GRU`` (GRU4Rec's sizes otherwise).
    """

    gradient_seq_len: int = 50
    gradient_input_size: int = 8
    gradient_hidden_size: int = 32
    gradient_batch_size: int = 64
    forget_bias: float = 1.0
    batch_size: int = 5
    seq_len: int = 7
    input_size: int = 3
    hidden_size: int = 4
    num_layers: int = 2
    speed_batch_size: int = 64
    speed_seq_len: int = 50

    QUICK: ClassVar[dict] = {}
    QUICK_COST_LIMIT: ClassVar[int] = 3 * 50 * 32 * 64 + 64 * 50

    def cost(self) -> int:
        """Cell steps x units of the three gradient curves, plus the timed batch."""
        curves = 3 * self.gradient_seq_len * self.gradient_hidden_size * self.gradient_batch_size
        return curves + self.speed_batch_size * self.speed_seq_len


class _Cell(nn.Module):
    """Parameters shared by the three cells, initialised as PyTorch does.

    With ``G`` gates and ``H = hidden_size``: ``weight_ih`` has shape
    ``(G * H, input_size)``, ``weight_hh`` ``(G * H, H)``, both biases
    ``(G * H,)``; every entry starts uniform on [-1/sqrt(H), 1/sqrt(H)].
    """

    n_gates = 1

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        rows = self.n_gates * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, self.hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def _input_part(self, x: torch.Tensor) -> torch.Tensor:
        """``W_ih x + b_ih``, shape ``(batch, G * H)``."""
        return x @ self.weight_ih.T + self.bias_ih

    def _hidden_part(self, h: torch.Tensor) -> torch.Tensor:
        """``W_hh h + b_hh``, shape ``(batch, G * H)``."""
        return h @ self.weight_hh.T + self.bias_hh


class RNNCell(_Cell):
    """One RNN step: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    ``x`` (batch, input_size) and ``h`` (batch, hidden_size) give the new
    ``h`` (batch, hidden_size).
    """

    n_gates = 1

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self._input_part(x) + self._hidden_part(h))


class LSTMCell(_Cell):
    """An LSTM step; the gate blocks in PyTorch's order i, f, g, o.

    ``x`` (batch, input_size) and ``state = (h, c)``, each
    (batch, hidden_size), give the new ``(h, c)``.
    """

    n_gates = 4

    def forward(self, x: torch.Tensor, state: tuple) -> tuple:
        h, c = state
        gates = self._input_part(x) + self._hidden_part(h)  # (batch, 4H)
        i, f, g, o = gates.chunk(4, dim=1)  # each (batch, H)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.tanh(g)
        c_new = f * c + i * g  # keep part of the old memory, add new
        h_new = o * torch.tanh(c_new)
        return h_new, c_new


class GRUCell(_Cell):
    """A GRU step; the gate blocks in PyTorch's order r, z, n.

    As in PyTorch, the reset gate scales ``W_hn h + b_hn``, bias included.
    ``x`` (batch, input_size) and ``h`` (batch, hidden_size) give the new
    ``h`` (batch, hidden_size).
    """

    n_gates = 3

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        x_r, x_z, x_n = self._input_part(x).chunk(3, dim=1)  # (batch, H)
        h_r, h_z, h_n = self._hidden_part(h).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)  # reset: how much past enters n
        z = torch.sigmoid(x_z + h_z)  # update: how much of h is kept
        n = torch.tanh(x_n + r * h_n)  # the candidate state
        return (1 - z) * n + z * h


_CELL_CLASSES = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
_TORCH_CLASSES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentLayer(nn.Module):
    """A stack of ``num_layers`` cells run over a right-padded batch, step by step.

    Parameters
    ----------
    cell_type : {"rnn", "lstm", "gru"}
    input_size, hidden_size : int
    num_layers : int, default 1
        Layer ``k > 0`` reads the outputs of layer ``k - 1`` (as ``nn.RNN(num_layers=...)``).

    The forward pass takes ``inputs`` of shape ``(batch, seq_len, input_size)``, sequences
    right-padded, and ``lengths`` of shape ``(batch,)`` (each between 0 and ``seq_len``;
    ``None`` means every sequence is full; a sequence of length 0 keeps its initial state,
    which ``pack_padded_sequence`` cannot express), and an optional initial state (zeros by
    default) of shape ``(num_layers, batch, hidden_size)`` (for the LSTM a pair ``(h, c)``).
    It returns ``(outputs, final_state)``:

    - ``outputs`` (batch, seq_len, hidden_size): the last layer's hidden state at each step,
      0 at the padded steps ``t >= length``;
    - ``final_state`` (num_layers, batch, hidden_size), or ``(h_n, c_n)`` for the LSTM: each
      layer's state after step ``length - 1`` of each sequence.
    """

    def __init__(self, cell_type: str, input_size: int, hidden_size: int, num_layers: int = 1):
        super().__init__()
        self.cell_type = check_choice(cell_type, "cell_type", CELL_TYPES)
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        cell_class = _CELL_CLASSES[self.cell_type]
        self.cells = nn.ModuleList(
            cell_class(self.input_size if layer == 0 else self.hidden_size, self.hidden_size)
            for layer in range(self.num_layers)
        )

    def _check_inputs(self, inputs: torch.Tensor, lengths) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != 3 or inputs.shape[2] != self.input_size:
            shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
            raise ValueError(
                f"inputs must be a tensor of shape (batch, seq_len, {self.input_size}), got {shape}."
            )
        batch, seq_len, _ = inputs.shape
        if lengths is None:
            return torch.full((batch,), seq_len, dtype=torch.long)
        lengths = torch.as_tensor(lengths).to("cpu")
        if lengths.dim() != 1 or len(lengths) != batch or lengths.is_floating_point():
            raise ValueError(f"lengths must be {batch} integers (one per sequence), got shape {tuple(lengths.shape)}.")
        if len(lengths) and (lengths.min() < 0 or lengths.max() > seq_len):
            raise ValueError(f"lengths must lie between 0 and seq_len={seq_len}, got {lengths.tolist()}.")
        return lengths.long()

    def _initial_state(self, initial_state, batch: int, like: torch.Tensor):
        shape = (self.num_layers, batch, self.hidden_size)
        if initial_state is None:
            zeros = like.new_zeros(shape)
            return (zeros, zeros.clone()) if self.cell_type == "lstm" else zeros
        parts = initial_state if self.cell_type == "lstm" else (initial_state,)
        if self.cell_type == "lstm" and (not isinstance(initial_state, tuple) or len(initial_state) != 2):
            raise ValueError("initial_state of an LSTM must be a pair (h_0, c_0).")
        for part in parts:
            if tuple(part.shape) != shape:
                raise ValueError(f"initial_state must have shape {shape}, got {tuple(part.shape)}.")
        return initial_state

    def forward(self, inputs: torch.Tensor, lengths=None, initial_state=None):
        """Run every layer over the batch; see the class docstring."""
        lengths = self._check_inputs(inputs, lengths)
        batch, seq_len, _ = inputs.shape
        state = self._initial_state(initial_state, batch, inputs)
        lstm = self.cell_type == "lstm"
        # inside[:, t] is True where step t is part of the sequence.
        steps = torch.arange(seq_len)[None, :]
        inside = (steps < lengths[:, None]).to(inputs.device)  # (batch, T)
        layer_inputs = inputs  # (batch, T, input_size) for layer 0
        final_h, final_c = [], []
        for layer, cell in enumerate(self.cells):
            h = state[0][layer] if lstm else state[layer]  # (batch, H)
            c = state[1][layer] if lstm else None
            outputs = []
            for t in range(seq_len):
                x_t = layer_inputs[:, t]
                keep = inside[:, t, None]  # (batch, 1)
                if lstm:
                    h_new, c_new = cell(x_t, (h, c))
                    c = torch.where(keep, c_new, c)
                else:
                    h_new = cell(x_t, h)
                # Past its length a sequence keeps its state.
                h = torch.where(keep, h_new, h)
                outputs.append(torch.where(keep, h_new, 0.0))
            layer_inputs = torch.stack(outputs, dim=1)  # (batch, T, H)
            final_h.append(h)
            final_c.append(c)
        h_n = torch.stack(final_h)  # (num_layers, batch, H)
        if lstm:
            return layer_inputs, (h_n, torch.stack(final_c))
        return layer_inputs, h_n


# --------------------------------------------------------------------------------------
# The same weights in PyTorch's modules
# --------------------------------------------------------------------------------------
def _check_pair(layer: RecurrentLayer, torch_module: nn.Module) -> None:
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer must be a RecurrentLayer, got {type(layer).__name__}.")
    expected = _TORCH_CLASSES[layer.cell_type]
    if type(torch_module) is not expected:
        raise TypeError(
            f"torch_module must be a torch.nn.{expected.__name__} for a {layer.cell_type!r} layer, "
            f"got {type(torch_module).__name__}."
        )
    if getattr(torch_module, "nonlinearity", "tanh") != "tanh":
        raise ValueError("torch_module must use nonlinearity='tanh' (the by-hand RNN cell's).")
    if torch_module.bidirectional or not torch_module.bias or getattr(torch_module, "proj_size", 0):
        raise ValueError("torch_module must be one-directional, with biases and no projection.")
    sizes = (torch_module.input_size, torch_module.hidden_size, torch_module.num_layers)
    ours = (layer.input_size, layer.hidden_size, layer.num_layers)
    if sizes != ours:
        raise ValueError(
            f"torch_module has (input_size, hidden_size, num_layers) = {sizes}, the layer {ours}."
        )


def _parameter_pairs(layer: RecurrentLayer, torch_module: nn.Module):
    """``(our parameter, torch's parameter)`` for every weight and bias of every layer."""
    for index, cell in enumerate(layer.cells):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            yield getattr(cell, name), getattr(torch_module, f"{name}_l{index}")


@torch.no_grad()
def copy_from_torch(layer: RecurrentLayer, torch_module: nn.Module) -> RecurrentLayer:
    """Copy the weights of an ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` into ``layer``; returns it.

    The two must have the same cell type and sizes; ``weight_ih_l{k}`` of torch becomes
    ``layer.cells[k].weight_ih`` and so on (the gate blocks are already in the same order).
    """
    _check_pair(layer, torch_module)
    for ours, theirs in _parameter_pairs(layer, torch_module):
        ours.copy_(theirs)
    return layer


@torch.no_grad()
def copy_to_torch(layer: RecurrentLayer, torch_module: nn.Module) -> nn.Module:
    """Copy ``layer``'s weights into an ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``; returns it."""
    _check_pair(layer, torch_module)
    for ours, theirs in _parameter_pairs(layer, torch_module):
        theirs.copy_(ours)
    return torch_module


def torch_counterpart(layer: RecurrentLayer) -> nn.Module:
    """A new ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (``batch_first=True``) with ``layer``'s weights."""
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer must be a RecurrentLayer, got {type(layer).__name__}.")
    reference = layer.cells[0].weight_ih
    module = _TORCH_CLASSES[layer.cell_type](
        layer.input_size, layer.hidden_size, num_layers=layer.num_layers, batch_first=True
    ).to(dtype=reference.dtype, device=reference.device)
    return copy_to_torch(layer, module)


# --------------------------------------------------------------------------------------
# Vanishing gradients
# --------------------------------------------------------------------------------------
def gradient_norms_over_time(
    cell_type: str,
    *,
    seq_len: int,
    input_size: int,
    hidden_size: int,
    batch_size: int = 64,
    forget_bias: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Mean norm of :math:`\\partial L / \\partial h_t` for every step ``t`` of a fresh cell.

    A cell of ``cell_type`` with PyTorch's random initialisation (float64) reads a batch of
    ``batch_size`` random sequences (standard normal inputs, zero initial state) of length
    ``seq_len``; the loss is a fixed random unit direction of the last hidden state,
    :math:`L = \\sum_b w^\\top h^{(b)}_T`. Back-propagation through time (随时间反向传播) gives
    :math:`\\partial L / \\partial h_t` for every step; the function returns their Euclidean
    norms averaged over the batch.

    Parameters
    ----------
    cell_type : {"rnn", "lstm", "gru"}
    seq_len, input_size, hidden_size, batch_size : int
    forget_bias : float, optional
        LSTM only: set the forget gate's two bias blocks so they add up to this value (the
        common initialisation of 1, Jozefowicz et al. 2015); None keeps PyTorch's random ones.
    seed : int
        Seeds the weights, the inputs and ``w``.

    Returns
    -------
    numpy.ndarray of float64, shape (seq_len,)
        Entry ``t`` is the mean :math:`\\lVert \\partial L / \\partial h_{t+1} \\rVert` (steps
        counted from 1 in the formulas, from 0 in the array); the last entry is
        :math:`\\lVert w \\rVert = 1`.
    """
    cell_type = check_choice(cell_type, "cell_type", CELL_TYPES)
    seq_len = check_positive_int(seq_len, "seq_len")
    input_size = check_positive_int(input_size, "input_size")
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_int(seed, "seed", min_val=0)
    if forget_bias is not None and cell_type != "lstm":
        raise ValueError(f"forget_bias applies to an LSTM only, got cell_type={cell_type!r}.")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    cell = _CELL_CLASSES[cell_type](input_size, hidden_size).double()
    if forget_bias is not None:
        with torch.no_grad():
            forget_rows = slice(hidden_size, 2 * hidden_size)  # gate order i, f, g, o
            cell.bias_ih[forget_rows] = float(forget_bias)
            cell.bias_hh[forget_rows] = 0.0
    inputs = torch.randn(batch_size, seq_len, input_size, generator=generator, dtype=torch.float64)
    direction = torch.randn(hidden_size, generator=generator, dtype=torch.float64)
    direction = direction / direction.norm()
    h = torch.zeros(batch_size, hidden_size, dtype=torch.float64)
    c = torch.zeros_like(h)
    hidden_states = []
    for t in range(seq_len):
        if cell_type == "lstm":
            h, c = cell(inputs[:, t], (h, c))
        else:
            h = cell(inputs[:, t], h)
        h.retain_grad()  # keep dL/dh_t, which autograd would otherwise free
        hidden_states.append(h)
    loss = (h @ direction).sum()
    loss.backward()
    return np.array([state.grad.norm(dim=1).mean().item() for state in hidden_states])
