"""The by-hand convolutions and pooling equal PyTorch's, in float64, for random shapes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.models import convolution as conv

torch.set_num_threads(1)
TOLERANCE = 1e-6


def random_case(rng, n_spatial):
    """Random shapes and hyper-parameters for which the output is non-empty."""
    batch, in_channels, out_channels = (int(v) for v in rng.integers(1, 4, size=3))
    kernel = tuple(int(v) for v in rng.integers(1, 4, size=n_spatial))
    stride = tuple(int(v) for v in rng.integers(1, 3, size=n_spatial))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=n_spatial))
    dilation = tuple(int(v) for v in rng.integers(1, 3, size=n_spatial))
    sizes = tuple(
        int(rng.integers(max(1, d * (k - 1) + 1 - 2 * p), 9)) for k, p, d in zip(kernel, padding, dilation)
    )
    generator = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    inputs = torch.randn((batch, in_channels, *sizes), generator=generator, dtype=torch.float64)
    weight = torch.randn((out_channels, in_channels, *kernel), generator=generator, dtype=torch.float64)
    bias = torch.randn(out_channels, generator=generator, dtype=torch.float64)
    return inputs, weight, bias, stride, padding, dilation


@pytest.mark.parametrize("seed", range(12))
def test_conv1d_loops_and_unfold_equal_torch(seed):
    rng = np.random.default_rng(seed)
    inputs, weight, bias, (stride,), (padding,), (dilation,) = random_case(rng, 1)
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    expected = F.conv1d(inputs, weight, bias, **settings)
    for by_hand in (conv.conv1d_loops, conv.conv1d_unfold):
        assert torch.allclose(by_hand(inputs, weight, bias, **settings), expected, atol=TOLERANCE, rtol=0)
    module = torch.nn.Conv1d(weight.shape[1], weight.shape[0], weight.shape[2], **settings).double()
    with torch.no_grad():
        module.weight.copy_(weight)
        module.bias.copy_(bias)
        assert torch.allclose(module(inputs), conv.conv1d_loops(inputs, weight, bias, **settings), atol=TOLERANCE)
    assert expected.shape[2] == conv.conv_output_size(inputs.shape[2], weight.shape[2], **settings)
    no_bias = F.conv1d(inputs, weight, None, **settings)
    assert torch.allclose(conv.conv1d_loops(inputs, weight, None, **settings), no_bias, atol=TOLERANCE)


@pytest.mark.parametrize("seed", range(10))
def test_conv2d_loops_and_unfold_equal_torch(seed):
    rng = np.random.default_rng(100 + seed)
    inputs, weight, bias, stride, padding, dilation = random_case(rng, 2)
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    expected = F.conv2d(inputs, weight, bias, **settings)
    for by_hand in (conv.conv2d_loops, conv.conv2d_unfold):
        assert torch.allclose(by_hand(inputs, weight, bias, **settings), expected, atol=TOLERANCE, rtol=0)
    module = torch.nn.Conv2d(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), **settings).double()
    with torch.no_grad():
        module.weight.copy_(weight)
        module.bias.copy_(bias)
        assert torch.allclose(module(inputs), expected, atol=TOLERANCE)
    columns = conv.unfold2d(inputs, tuple(weight.shape[2:]), **settings)
    assert torch.equal(columns, F.unfold(inputs, tuple(weight.shape[2:]), **settings))


def test_unfold1d_orders_rows_channel_major():
    inputs = torch.arange(2 * 5, dtype=torch.float64).reshape(1, 2, 5)
    columns = conv.unfold1d(inputs, 2, stride=2)  # fields start at 0 and 2
    expected = torch.tensor([[[0.0, 2.0], [1.0, 3.0], [5.0, 7.0], [6.0, 8.0]]], dtype=torch.float64)
    assert torch.equal(columns, expected)


def test_a_small_example_by_hand():
    # 1 channel, 3x3 input, 2x2 kernel: each output cell is four products.
    inputs = torch.tensor([[[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]]]], dtype=torch.float64)
    weight = torch.tensor([[[[1.0, -1.0], [2.0, 0.5]]]], dtype=torch.float64)
    top_left = 1 * 1 + 2 * (-1) + 0 * 2 + 1 * 0.5
    bottom_right = 1 * 1 + 3 * (-1) + 1 * 2 + 1 * 0.5
    output = conv.conv2d_loops(inputs, weight)
    assert output.shape == (1, 1, 2, 2)
    assert output[0, 0, 0, 0].item() == top_left and output[0, 0, 1, 1].item() == bottom_right
    # A real convolution would flip the kernel; cross-correlation does not.
    flipped = F.conv2d(inputs, torch.flip(weight, dims=(2, 3)))
    assert not torch.allclose(flipped, output)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "expected"),
    [(32, 3, 2, 0, 1, 15), (32, 3, 2, 1, 1, 16), (16, 2, 2, 0, 1, 8), (10, 3, 1, 0, 2, 6), (5, 5, 1, 0, 1, 1),
     (7, 3, 3, 1, 1, 3)],
)
def test_conv_output_size(size, kernel, stride, padding, dilation, expected):
    assert conv.conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation) == expected
    inputs = torch.zeros(1, 1, size, dtype=torch.float64)
    weight = torch.zeros(1, 1, kernel, dtype=torch.float64)
    assert F.conv1d(inputs, weight, stride=stride, padding=padding, dilation=dilation).shape[2] == expected


def test_conv_output_size_rejects_bad_input():
    with pytest.raises(ValueError, match="spans 5 cells"):
        conv.conv_output_size(3, 3, dilation=2)
    with pytest.raises(ValueError, match="stride"):
        conv.conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="padding"):
        conv.conv_output_size(8, 3, padding=-1)
    with pytest.raises(TypeError, match="input_size"):
        conv.conv_output_size(8.5, 3)


@pytest.mark.parametrize("seed", range(8))
def test_max_pooling_equals_torch(seed):
    rng = np.random.default_rng(200 + seed)
    kernel = int(rng.integers(1, 4))
    stride = int(rng.integers(1, 4))
    padding = int(rng.integers(0, kernel // 2 + 1))
    length = int(rng.integers(kernel, 10))
    inputs = torch.randn(2, 3, length, dtype=torch.float64)
    expected = F.max_pool1d(inputs, kernel, stride=stride, padding=padding)
    assert torch.equal(conv.max_pool1d_loops(inputs, kernel, stride=stride, padding=padding), expected)
    images = torch.randn(2, 3, length, length + 1, dtype=torch.float64)
    expected_2d = F.max_pool2d(images, kernel, stride=stride, padding=padding)
    assert torch.equal(conv.max_pool2d_loops(images, kernel, stride=stride, padding=padding), expected_2d)
    assert torch.equal(conv.max_pool2d_loops(images, kernel), torch.nn.MaxPool2d(kernel)(images))


def test_max_pooling_rejects_too_much_padding():
    with pytest.raises(ValueError, match="padding"):
        conv.max_pool1d_loops(torch.zeros(1, 1, 6, dtype=torch.float64), 2, padding=2)


@pytest.mark.parametrize("seed", range(10))
def test_conv1d_backward_equals_autograd(seed):
    rng = np.random.default_rng(300 + seed)
    inputs, weight, bias, (stride,), (padding,), (dilation,) = random_case(rng, 1)
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    inputs.requires_grad_(True)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    output = F.conv1d(inputs, weight, bias, **settings)
    grad_output = torch.randn_like(output)
    output.backward(grad_output)
    grad_inputs, grad_weight, grad_bias = conv.conv1d_backward(
        grad_output, inputs.detach(), weight.detach(), **settings
    )
    assert torch.allclose(grad_inputs, inputs.grad, atol=TOLERANCE, rtol=0)
    assert torch.allclose(grad_weight, weight.grad, atol=TOLERANCE, rtol=0)
    assert torch.allclose(grad_bias, bias.grad, atol=TOLERANCE, rtol=0)


def test_bad_arguments_name_themselves():
    inputs = torch.zeros(1, 2, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="input channels"):
        conv.conv1d_loops(inputs, torch.zeros(1, 3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="inputs must have shape"):
        conv.conv1d_unfold(torch.zeros(2, 5, dtype=torch.float64), torch.zeros(1, 2, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="bias"):
        conv.conv2d_loops(
            torch.zeros(1, 1, 3, 3, dtype=torch.float64),
            torch.zeros(2, 1, 2, 2, dtype=torch.float64),
            torch.zeros(3, dtype=torch.float64),
        )
    with pytest.raises(TypeError, match="inputs must be a torch.Tensor"):
        conv.conv1d_loops(np.zeros((1, 2, 5)), torch.zeros(1, 2, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="floating-point"):
        conv.unfold1d(torch.zeros(1, 2, 5, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="grad_output"):
        conv.conv1d_backward(torch.zeros(1, 1, 9, dtype=torch.float64), inputs, torch.zeros(1, 2, 2, dtype=torch.float64))


def test_max_pool2d_with_pairs_of_kernels_and_strides():
    images = torch.randn(2, 3, 7, 9, dtype=torch.float64)
    for kernel, stride, padding in (((2, 3), (1, 2), (1, 1)), ((3, 2), (2, 1), (0, 1)), ((1, 3), (3, 3), 0)):
        expected = F.max_pool2d(images, kernel, stride=stride, padding=padding)
        assert torch.equal(conv.max_pool2d_loops(images, kernel, stride=stride, padding=padding), expected)
