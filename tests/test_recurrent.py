"""The by-hand RNN, LSTM and GRU equal PyTorch's modules with the same weights (float64)."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tutorial_lib.models import recurrent
from tutorial_lib.models.recurrent import RecurrentLayer

TOLERANCE = {"rtol": 1e-6, "atol": 1e-8}
TORCH_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


def _random_case(seed):
    """Random sizes, a right-padded float64 batch and its lengths (at least one full row)."""
    generator = np.random.default_rng(seed)
    batch, seq_len = int(generator.integers(2, 6)), int(generator.integers(2, 8))
    input_size, hidden_size = int(generator.integers(1, 5)), int(generator.integers(1, 6))
    lengths = generator.integers(1, seq_len + 1, size=batch)
    lengths[generator.integers(batch)] = seq_len
    inputs = torch.tensor(generator.normal(size=(batch, seq_len, input_size)), dtype=torch.float64)
    inside = torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]
    inputs = inputs * inside[:, :, None]  # padded steps hold zeros, as a real batch would
    return inputs, torch.tensor(lengths), input_size, hidden_size


def _torch_run(module, inputs, lengths, initial_state=None):
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    packed_outputs, final_state = module(packed, initial_state)
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=inputs.shape[1])
    return outputs, final_state


def _states(final_state):
    return final_state if isinstance(final_state, tuple) else (final_state,)


@pytest.mark.parametrize("cell_type", recurrent.CELL_TYPES)
def test_each_cell_equals_torchs_cell(cell_type):
    torch.manual_seed(0)
    ours = recurrent._CELL_CLASSES[cell_type](3, 4).double()
    theirs = TORCH_CELLS[cell_type](3, 4).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ours, name).copy_(getattr(theirs, name))
    x, h, c = (torch.randn(5, n, dtype=torch.float64) for n in (3, 4, 4))
    if cell_type == "lstm":
        for mine, reference in zip(ours(x, (h, c)), theirs(x, (h, c))):
            torch.testing.assert_close(mine, reference, **TOLERANCE)
    else:
        torch.testing.assert_close(ours(x, h), theirs(x, h), **TOLERANCE)


def test_rnn_cell_is_the_textbook_formula():
    torch.manual_seed(1)
    cell = recurrent.RNNCell(2, 3).double()
    x, h = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    w_x, w_h = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    b = (cell.bias_ih + cell.bias_hh).detach().numpy()
    by_hand = np.tanh(h.numpy() @ w_h.T + x.numpy() @ w_x.T + b)
    np.testing.assert_allclose(cell(x, h).detach().numpy(), by_hand, rtol=1e-12)


def test_gru_reset_gate_scales_the_hidden_product_after_its_bias():
    """PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), not W_hn (r * h)."""
    torch.manual_seed(2)
    cell = recurrent.GRUCell(2, 3).double()
    x, h = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    w_i, w_h = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    b_i, b_h = cell.bias_ih.detach().numpy(), cell.bias_hh.detach().numpy()
    x, h = x.numpy(), h.numpy()
    rows = [slice(0, 3), slice(3, 6), slice(6, 9)]

    def sigmoid(values):
        return 1 / (1 + np.exp(-values))

    r, z = (sigmoid(x @ w_i[s].T + b_i[s] + h @ w_h[s].T + b_h[s]) for s in rows[:2])
    n = np.tanh(x @ w_i[rows[2]].T + b_i[rows[2]] + r * (h @ w_h[rows[2]].T + b_h[rows[2]]))
    expected = (1 - z) * n + z * h
    np.testing.assert_allclose(cell(torch.tensor(x), torch.tensor(h)).detach().numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell_type", recurrent.CELL_TYPES)
@pytest.mark.parametrize("seed", range(4))
def test_layer_equals_torch_on_a_packed_padded_batch(cell_type, num_layers, seed):
    inputs, lengths, input_size, hidden_size = _random_case(seed)
    torch.manual_seed(seed)
    theirs = recurrent._TORCH_CLASSES[cell_type](
        input_size, hidden_size, num_layers=num_layers, batch_first=True
    ).double()
    ours = recurrent.copy_from_torch(RecurrentLayer(cell_type, input_size, hidden_size, num_layers).double(), theirs)
    our_inputs = inputs.clone().requires_grad_(True)
    their_inputs = inputs.clone().requires_grad_(True)
    our_outputs, our_final = ours(our_inputs, lengths)
    their_outputs, their_final = _torch_run(theirs, their_inputs, lengths)

    torch.testing.assert_close(our_outputs, their_outputs, **TOLERANCE)
    for mine, reference in zip(_states(our_final), _states(their_final)):
        torch.testing.assert_close(mine, reference, **TOLERANCE)
    padded = torch.arange(inputs.shape[1])[None, :] >= lengths[:, None]
    assert torch.all(our_outputs[padded] == 0)

    # The same loss through both: every parameter's and the inputs' gradients agree.
    generator = torch.Generator().manual_seed(seed)
    output_weights = torch.randn(our_outputs.shape, generator=generator, dtype=torch.float64)
    state_weights = [torch.randn(s.shape, generator=generator, dtype=torch.float64) for s in _states(our_final)]

    def loss(outputs, final):
        return (outputs * output_weights).sum() + sum((s * w).sum() for s, w in zip(_states(final), state_weights))

    loss(our_outputs, our_final).backward()
    loss(their_outputs, their_final).backward()
    torch.testing.assert_close(our_inputs.grad, their_inputs.grad, **TOLERANCE)
    for mine, reference in recurrent._parameter_pairs(ours, theirs):
        torch.testing.assert_close(mine.grad, reference.grad, **TOLERANCE)


@pytest.mark.parametrize("cell_type", recurrent.CELL_TYPES)
def test_initial_state_is_used(cell_type):
    inputs, lengths, input_size, hidden_size = _random_case(7)
    torch.manual_seed(7)
    layer = RecurrentLayer(cell_type, input_size, hidden_size, num_layers=2).double()
    theirs = recurrent.torch_counterpart(layer)
    shape = (2, inputs.shape[0], hidden_size)
    h_0 = torch.randn(shape, dtype=torch.float64)
    initial = (h_0, torch.randn(shape, dtype=torch.float64)) if cell_type == "lstm" else h_0
    ours_out, ours_final = layer(inputs, lengths, initial)
    their_out, their_final = _torch_run(theirs, inputs, lengths, initial)
    torch.testing.assert_close(ours_out, their_out, **TOLERANCE)
    for mine, reference in zip(_states(ours_final), _states(their_final)):
        torch.testing.assert_close(mine, reference, **TOLERANCE)


def test_state_stops_at_each_length():
    """A sequence padded with anything gives the same final state as the sequence alone."""
    torch.manual_seed(3)
    layer = RecurrentLayer("gru", 2, 3).double()
    short = torch.randn(1, 2, 2, dtype=torch.float64)
    padded = torch.cat([short, torch.randn(1, 4, 2, dtype=torch.float64) * 100], dim=1)
    _, alone = layer(short)
    outputs, final = layer(padded, torch.tensor([2]))
    torch.testing.assert_close(final, alone, rtol=0, atol=0)
    assert torch.all(outputs[0, 2:] == 0)


@pytest.mark.parametrize("cell_type", recurrent.CELL_TYPES)
def test_an_empty_sequence_keeps_its_initial_state(cell_type):
    torch.manual_seed(5)
    layer = RecurrentLayer(cell_type, 2, 3).double()
    inputs = torch.randn(2, 4, 2, dtype=torch.float64)
    outputs, final = layer(inputs, torch.tensor([0, 4]))
    for state in _states(final):
        assert torch.all(state[0, 0] == 0) and torch.any(state[0, 1] != 0)
    assert torch.all(outputs[0] == 0)


@pytest.mark.parametrize("cell_type", recurrent.CELL_TYPES)
def test_copy_to_torch_round_trip(cell_type):
    torch.manual_seed(4)
    layer = RecurrentLayer(cell_type, 3, 2, num_layers=2)
    module = recurrent.torch_counterpart(layer)
    assert isinstance(module, recurrent._TORCH_CLASSES[cell_type]) and module.batch_first
    back = recurrent.copy_from_torch(RecurrentLayer(cell_type, 3, 2, num_layers=2), module)
    for mine, reference in zip(layer.parameters(), back.parameters()):
        assert torch.equal(mine, reference)


def test_bad_inputs_name_the_argument():
    layer = RecurrentLayer("lstm", 3, 2)
    with pytest.raises(ValueError, match="cell_type"):
        RecurrentLayer("transformer", 3, 2)
    with pytest.raises(ValueError, match="hidden_size"):
        RecurrentLayer("rnn", 3, 0)
    with pytest.raises(ValueError, match="inputs"):
        layer(torch.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="lengths"):
        layer(torch.zeros(2, 4, 3), torch.tensor([-1, 4]))
    with pytest.raises(ValueError, match="lengths"):
        layer(torch.zeros(2, 4, 3), torch.tensor([1, 5]))
    with pytest.raises(ValueError, match="lengths"):
        layer(torch.zeros(2, 4, 3), torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="initial_state"):
        layer(torch.zeros(2, 4, 3), None, torch.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="torch_module"):
        recurrent.copy_from_torch(layer, nn.GRU(3, 2))
    with pytest.raises(ValueError, match="torch_module"):
        recurrent.copy_from_torch(layer, nn.LSTM(3, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        recurrent.copy_from_torch(RecurrentLayer("rnn", 3, 2), nn.RNN(3, 2, nonlinearity="relu"))
    with pytest.raises(ValueError, match="forget_bias"):
        recurrent.gradient_norms_over_time("rnn", seq_len=3, input_size=2, hidden_size=2, forget_bias=1.0)


def test_gradient_norms_follow_backpropagation_through_time():
    """The last step's gradient is w; one step back it is W_hh^T diag(1 - h_T^2) w."""
    norms = recurrent.gradient_norms_over_time("rnn", seq_len=6, input_size=2, hidden_size=3, batch_size=1, seed=5)
    assert norms.shape == (6,)
    np.testing.assert_allclose(norms[-1], 1.0, rtol=1e-12)
    # Rebuild the same cell, inputs and direction to compute the step back by hand.
    generator = torch.Generator().manual_seed(5)
    torch.manual_seed(5)
    cell = recurrent.RNNCell(2, 3).double()
    inputs = torch.randn(1, 6, 2, generator=generator, dtype=torch.float64)
    direction = torch.randn(3, generator=generator, dtype=torch.float64)
    direction = direction / direction.norm()
    h = torch.zeros(1, 3, dtype=torch.float64)
    with torch.no_grad():
        for t in range(6):
            h = cell(inputs[:, t], h)
        step_back = cell.weight_hh.T @ ((1 - h[0] ** 2) * direction)
    np.testing.assert_allclose(norms[-2], step_back.norm().item(), rtol=1e-10)


def test_vanilla_rnn_gradient_vanishes_faster_than_an_lstm_with_forget_bias():
    sizes = {"seq_len": 30, "input_size": 4, "hidden_size": 16}
    rnn = recurrent.gradient_norms_over_time("rnn", **sizes)
    lstm = recurrent.gradient_norms_over_time("lstm", forget_bias=1.0, **sizes)
    assert rnn[0] < 1e-4 < lstm[0]
    assert np.all(np.diff(rnn) > 0)  # shrinks at every step back


def test_source000_rnn_example_recomputed():
    from tutorial_lib.book import errata

    example = errata.source000_rnn_example()
    # By hand: h_1 = relu(W (1, 0) + W (0, 1) + 0.5) = relu((0.3, 0.7) + 0.5).
    np.testing.assert_allclose(example.relu_states[0], [0.8, 1.2], rtol=1e-12)
    np.testing.assert_allclose(example.first_product, [0.1, 0.3], rtol=1e-12)
    np.testing.assert_allclose(example.relu_of_claimed_sum, [0.9, 1.1], rtol=1e-12)
    assert example.relu_states[2] != example.claimed_states[2]
    # The NumPy steps equal the by-hand torch cell with the same weights (b in bias_ih).
    cell = recurrent.RNNCell(2, 2).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(example.weight, dtype=torch.float64))
        cell.weight_hh.copy_(torch.tensor(example.weight, dtype=torch.float64))
        cell.bias_ih.fill_(example.bias)
        cell.bias_hh.zero_()
    h = torch.tensor([example.initial_state], dtype=torch.float64)
    for x_t, expected in zip(example.inputs, example.tanh_states):
        h = cell(torch.tensor([x_t], dtype=torch.float64), h)
        np.testing.assert_allclose(h[0].detach().numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="activation"):
        errata.rnn_steps(example.weight, example.weight, 0.5, (1.0, 0.0), example.inputs, "sigmoid")
    with pytest.raises(ValueError, match="weight_ih"):
        errata.rnn_steps(example.weight, [[1.0, 2.0, 3.0]], 0.5, (1.0, 0.0), example.inputs)
