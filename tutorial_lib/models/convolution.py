"""Convolution (卷积) and max-pooling (最大池化) written by hand, checked against PyTorch.

What deep-learning libraries call a convolution is, strictly, a **cross-correlation**
(互相关): the kernel slides over the input *without* being flipped. For a 1-D input ``x``
with ``C_in`` channels and a kernel ``w`` of width ``k``, output channel ``o`` at position
``t`` is

    y[o, t] = b[o] + sum_{c < C_in} sum_{j < k} w[o, c, j] * x_pad[c, t * stride + j * dilation]

where ``x_pad`` is ``x`` with ``padding`` zeros added at both ends. ``torch.nn.Conv1d``,
``Conv2d`` and ``F.conv1d`` / ``F.conv2d`` compute exactly this (a mathematician's
convolution would read ``w[o, c, k - 1 - j]``). The 2-D formula adds a second spatial index.

The module gives the same computation three ways, which the tests prove equal:

1. :func:`conv1d_loops`, :func:`conv2d_loops`: the formula as loops over output cells;
2. :func:`conv1d_unfold`, :func:`conv2d_unfold`: every receptive field copied into a column
   (:func:`unfold1d`, :func:`unfold2d`, "im2col"), then one matrix multiply;
3. ``torch.nn.functional.conv1d`` / ``conv2d`` (in the tests and the chapter).

Also here: :func:`conv_output_size` (the output-length arithmetic), max-pooling by loops
(:func:`max_pool1d_loops`, :func:`max_pool2d_loops`) and the backward pass of a 1-D
convolution by hand (:func:`conv1d_backward`), which the tests compare with autograd.

Shapes follow PyTorch: inputs ``(batch, in_channels, length)`` or
``(batch, in_channels, height, width)``, weights ``(out_channels, in_channels, kernel)`` or
``(out_channels, in_channels, kernel_h, kernel_w)``. Every function works in the dtype of its
inputs (the tests use float64).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tutorial_lib.validation import ArgumentTypeError, check_int

__all__ = [
    "conv_output_size",
    "conv1d_loops",
    "conv2d_loops",
    "unfold1d",
    "unfold2d",
    "conv1d_unfold",
    "conv2d_unfold",
    "max_pool1d_loops",
    "max_pool2d_loops",
    "conv1d_backward",
]


# --------------------------------------------------------------------------------------
# Output size
# --------------------------------------------------------------------------------------
def conv_output_size(input_size: int, kernel_size: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of a convolution's (or pooling's) output along one dimension.

    ``floor((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``:
    the padded input has ``input_size + 2 * padding`` cells, a dilated kernel spans
    ``dilation * (kernel_size - 1) + 1`` of them, and the kernel's first cell may sit at
    ``0, stride, 2 * stride, ...`` as long as the whole kernel fits. This is the formula of
    the ``torch.nn.Conv1d`` / ``Conv2d`` / ``MaxPool*d`` documentation.

    Parameters
    ----------
    input_size : int
        Cells of the input along the dimension, >= 1.
    kernel_size : int
        Cells of the kernel, >= 1.
    stride, padding, dilation : int
        Step between kernel positions (>= 1), zeros added at *each* end (>= 0), and the gap
        between kernel cells (>= 1; 1 means adjacent cells).

    Returns
    -------
    int
        The output length, >= 1.

    Raises
    ------
    ValueError
        If the dilated kernel is longer than the padded input (no position fits).
    """
    input_size = check_int(input_size, "input_size", min_val=1)
    kernel_size = check_int(kernel_size, "kernel_size", min_val=1)
    stride = check_int(stride, "stride", min_val=1)
    padding = check_int(padding, "padding", min_val=0)
    dilation = check_int(dilation, "dilation", min_val=1)
    padded = input_size + 2 * padding
    span = dilation * (kernel_size - 1) + 1
    if span > padded:
        raise ValueError(
            f"kernel_size={kernel_size} with dilation={dilation} spans {span} cells, more than the "
            f"{padded} cells of the padded input (input_size={input_size}, padding={padding})."
        )
    return (padded - span) // stride + 1


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _check_tensor(value, name: str, n_dims: int, shape_text: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be a torch.Tensor of shape {shape_text}, got {type(value).__name__}.")
    if value.dim() != n_dims:
        raise ValueError(f"{name} must have shape {shape_text}, got shape {tuple(value.shape)}.")
    if not value.is_floating_point():
        raise ValueError(f"{name} must hold floating-point numbers, got dtype {value.dtype}.")
    return value


def _pair(value, name: str, min_val: int) -> tuple[int, int]:
    """An int or a pair of ints, as ``(along height, along width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")
        return check_int(value[0], name, min_val=min_val), check_int(value[1], name, min_val=min_val)
    value = check_int(value, name, min_val=min_val)
    return value, value


def _check_conv_arguments(inputs, weight, bias, n_spatial: int):
    spatial = "length" if n_spatial == 1 else "height, width"
    kernel = "kernel_size" if n_spatial == 1 else "kernel_h, kernel_w"
    inputs = _check_tensor(inputs, "inputs", 2 + n_spatial, f"(batch, in_channels, {spatial})")
    weight = _check_tensor(weight, "weight", 2 + n_spatial, f"(out_channels, in_channels, {kernel})")
    if weight.shape[1] != inputs.shape[1]:
        raise ValueError(
            f"weight has {weight.shape[1]} input channels (shape[1]) but inputs has {inputs.shape[1]} (shape[1])."
        )
    if bias is not None:
        bias = _check_tensor(bias, "bias", 1, "(out_channels,)")
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},) (out_channels), got {tuple(bias.shape)}.")
    return inputs, weight, bias


# --------------------------------------------------------------------------------------
# 1. Loops: the formula, one output cell at a time
# --------------------------------------------------------------------------------------
def conv1d_loops(inputs, weight, bias=None, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """1-D convolution (cross-correlation, as PyTorch computes it) by loops over output cells.

    ``y[b, o, t] = bias[o] + sum_c sum_j weight[o, c, j] * x_pad[b, c, t * stride + j * dilation]``

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, in_channels, length)
    weight : torch.Tensor, shape (out_channels, in_channels, kernel_size)
    bias : torch.Tensor, shape (out_channels,), optional
    stride, padding, dilation : int
        As in ``torch.nn.Conv1d`` (zero padding at both ends).

    Returns
    -------
    torch.Tensor, shape (batch, out_channels, length_out)
        ``length_out = conv_output_size(length, kernel_size, ...)``.
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, n_spatial=1)
    batch, _, length = inputs.shape
    out_channels, _, kernel_size = weight.shape
    length_out = conv_output_size(length, kernel_size, stride=stride, padding=padding, dilation=dilation)
    padded = F.pad(inputs, (padding, padding))  # (batch, in_channels, length + 2 * padding)
    output = inputs.new_zeros((batch, out_channels, length_out))
    for b in range(batch):
        for o in range(out_channels):
            for t in range(length_out):
                start = t * stride
                # The receptive field: every input channel, kernel_size cells dilation apart.
                field = padded[b, :, start : start + dilation * (kernel_size - 1) + 1 : dilation]  # (C_in, k)
                output[b, o, t] = (weight[o] * field).sum()
                if bias is not None:
                    output[b, o, t] += bias[o]
    return output


def conv2d_loops(inputs, weight, bias=None, *, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """2-D convolution (cross-correlation, as PyTorch computes it) by loops over output cells.

    ``y[b, o, r, s] = bias[o] + sum_c sum_i sum_j weight[o, c, i, j] *
    x_pad[b, c, r * stride_h + i * dilation_h, s * stride_w + j * dilation_w]``

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, in_channels, height, width)
    weight : torch.Tensor, shape (out_channels, in_channels, kernel_h, kernel_w)
    bias : torch.Tensor, shape (out_channels,), optional
    stride, padding, dilation : int or (int, int)
        As in ``torch.nn.Conv2d``: one value for both dimensions, or (height, width).

    Returns
    -------
    torch.Tensor, shape (batch, out_channels, height_out, width_out)
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, n_spatial=2)
    (stride_h, stride_w), (pad_h, pad_w) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation_h, dilation_w = _pair(dilation, "dilation", 1)
    batch, _, height, width = inputs.shape
    out_channels, _, kernel_h, kernel_w = weight.shape
    height_out = conv_output_size(height, kernel_h, stride=stride_h, padding=pad_h, dilation=dilation_h)
    width_out = conv_output_size(width, kernel_w, stride=stride_w, padding=pad_w, dilation=dilation_w)
    padded = F.pad(inputs, (pad_w, pad_w, pad_h, pad_h))  # (batch, C_in, H + 2 pad_h, W + 2 pad_w)
    output = inputs.new_zeros((batch, out_channels, height_out, width_out))
    for b in range(batch):
        for o in range(out_channels):
            for r in range(height_out):
                for s in range(width_out):
                    top, left = r * stride_h, s * stride_w
                    field = padded[
                        b,
                        :,
                        top : top + dilation_h * (kernel_h - 1) + 1 : dilation_h,
                        left : left + dilation_w * (kernel_w - 1) + 1 : dilation_w,
                    ]  # (C_in, kernel_h, kernel_w)
                    output[b, o, r, s] = (weight[o] * field).sum()
                    if bias is not None:
                        output[b, o, r, s] += bias[o]
    return output


# --------------------------------------------------------------------------------------
# 2. Unfold (im2col) and one matrix multiply
# --------------------------------------------------------------------------------------
def unfold1d(inputs, kernel_size: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """Every receptive field of a 1-D input as one column ("im2col").

    Column ``t`` holds ``x_pad[:, t * stride + j * dilation]`` for every channel ``c`` and
    kernel cell ``j``, in the order ``c * kernel_size + j`` (channel-major, as
    ``weight.reshape(out_channels, -1)`` flattens a kernel).

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, in_channels, length)
    kernel_size, stride, padding, dilation : int

    Returns
    -------
    torch.Tensor, shape (batch, in_channels * kernel_size, length_out)
    """
    inputs = _check_tensor(inputs, "inputs", 3, "(batch, in_channels, length)")
    kernel_size = check_int(kernel_size, "kernel_size", min_val=1)
    batch, in_channels, length = inputs.shape
    length_out = conv_output_size(length, kernel_size, stride=stride, padding=padding, dilation=dilation)
    padded = F.pad(inputs, (padding, padding))
    # positions[j, t]: the padded-input cell that kernel cell j reads at output position t.
    starts = torch.arange(length_out) * stride  # (length_out,)
    offsets = torch.arange(kernel_size) * dilation  # (kernel_size,)
    positions = offsets[:, None] + starts[None, :]  # (kernel_size, length_out)
    fields = padded[:, :, positions]  # (batch, in_channels, kernel_size, length_out)
    return fields.reshape(batch, in_channels * kernel_size, length_out)


def unfold2d(inputs, kernel_size, *, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """Every receptive field of a 2-D input as one column, like ``torch.nn.functional.unfold``.

    Rows are ordered ``(c * kernel_h + i) * kernel_w + j`` (channel, kernel row, kernel
    column); columns run over output cells row by row (``r * width_out + s``).

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, in_channels, height, width)
    kernel_size, stride, padding, dilation : int or (int, int)

    Returns
    -------
    torch.Tensor, shape (batch, in_channels * kernel_h * kernel_w, height_out * width_out)
    """
    inputs = _check_tensor(inputs, "inputs", 4, "(batch, in_channels, height, width)")
    (kernel_h, kernel_w), (stride_h, stride_w) = _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1)
    (pad_h, pad_w), (dilation_h, dilation_w) = _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    batch, in_channels, height, width = inputs.shape
    height_out = conv_output_size(height, kernel_h, stride=stride_h, padding=pad_h, dilation=dilation_h)
    width_out = conv_output_size(width, kernel_w, stride=stride_w, padding=pad_w, dilation=dilation_w)
    padded = F.pad(inputs, (pad_w, pad_w, pad_h, pad_h))
    rows = torch.arange(kernel_h)[:, None] * dilation_h + torch.arange(height_out)[None, :] * stride_h  # (k_h, H_out)
    cols = torch.arange(kernel_w)[:, None] * dilation_w + torch.arange(width_out)[None, :] * stride_w  # (k_w, W_out)
    # Index with broadcast (k_h, 1, H_out, 1) and (1, k_w, 1, W_out) grids.
    fields = padded[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (B, C_in, k_h, k_w, H_out, W_out)
    return fields.reshape(batch, in_channels * kernel_h * kernel_w, height_out * width_out)


def conv1d_unfold(inputs, weight, bias=None, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """1-D convolution as unfold plus one matrix multiply: ``W (C_out, C_in k) @ columns``.

    Same arguments and result as :func:`conv1d_loops`, shape (batch, out_channels, length_out).
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, n_spatial=1)
    out_channels, _, kernel_size = weight.shape
    columns = unfold1d(inputs, kernel_size, stride=stride, padding=padding, dilation=dilation)  # (B, C_in k, L_out)
    output = weight.reshape(out_channels, -1) @ columns  # (B, C_out, L_out)
    if bias is not None:
        output = output + bias[None, :, None]
    return output


def conv2d_unfold(inputs, weight, bias=None, *, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """2-D convolution as unfold plus one matrix multiply.

    Same arguments and result as :func:`conv2d_loops`, shape
    (batch, out_channels, height_out, width_out).
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, n_spatial=2)
    out_channels, _, kernel_h, kernel_w = weight.shape
    (stride_h, stride_w), (pad_h, pad_w) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation_h, dilation_w = _pair(dilation, "dilation", 1)
    height_out = conv_output_size(inputs.shape[2], kernel_h, stride=stride_h, padding=pad_h, dilation=dilation_h)
    width_out = conv_output_size(inputs.shape[3], kernel_w, stride=stride_w, padding=pad_w, dilation=dilation_w)
    columns = unfold2d(inputs, (kernel_h, kernel_w), stride=stride, padding=padding, dilation=dilation)
    output = weight.reshape(out_channels, -1) @ columns  # (B, C_out, H_out * W_out)
    if bias is not None:
        output = output + bias[None, :, None]
    return output.reshape(inputs.shape[0], out_channels, height_out, width_out)


# --------------------------------------------------------------------------------------
# Max-pooling
# --------------------------------------------------------------------------------------
def max_pool1d_loops(inputs, kernel_size: int, *, stride: int | None = None, padding: int = 0) -> torch.Tensor:
    """1-D max-pooling by loops: the largest value of each window, channel by channel.

    Padding cells count as ``-inf`` (never chosen), as in ``torch.nn.MaxPool1d``;
    ``stride`` defaults to ``kernel_size`` (windows side by side), as there.

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, channels, length)
    kernel_size : int
    stride : int, optional
    padding : int, default 0
        At most ``kernel_size // 2`` (PyTorch's rule: a window must hold a real cell).

    Returns
    -------
    torch.Tensor, shape (batch, channels, length_out)
    """
    inputs = _check_tensor(inputs, "inputs", 3, "(batch, channels, length)")
    kernel_size = check_int(kernel_size, "kernel_size", min_val=1)
    stride = kernel_size if stride is None else check_int(stride, "stride", min_val=1)
    padding = check_int(padding, "padding", min_val=0, max_val=kernel_size // 2)
    batch, channels, length = inputs.shape
    length_out = conv_output_size(length, kernel_size, stride=stride, padding=padding)
    padded = F.pad(inputs, (padding, padding), value=float("-inf"))
    output = inputs.new_empty((batch, channels, length_out))
    for t in range(length_out):
        window = padded[:, :, t * stride : t * stride + kernel_size]  # (batch, channels, kernel_size)
        output[:, :, t] = window.max(dim=2).values
    return output


def max_pool2d_loops(inputs, kernel_size, *, stride=None, padding=0) -> torch.Tensor:
    """2-D max-pooling by loops, as ``torch.nn.MaxPool2d`` (padding counts as ``-inf``).

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, channels, height, width)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int), default 0

    Returns
    -------
    torch.Tensor, shape (batch, channels, height_out, width_out)
    """
    inputs = _check_tensor(inputs, "inputs", 4, "(batch, channels, height, width)")
    kernel_h, kernel_w = _pair(kernel_size, "kernel_size", 1)
    stride_h, stride_w = (kernel_h, kernel_w) if stride is None else _pair(stride, "stride", 1)
    pad_h, pad_w = _pair(padding, "padding", 0)
    if pad_h > kernel_h // 2 or pad_w > kernel_w // 2:
        raise ValueError(f"padding must be at most half the kernel_size, got padding={padding!r}, kernel_size={kernel_size!r}.")
    batch, channels, height, width = inputs.shape
    height_out = conv_output_size(height, kernel_h, stride=stride_h, padding=pad_h)
    width_out = conv_output_size(width, kernel_w, stride=stride_w, padding=pad_w)
    padded = F.pad(inputs, (pad_w, pad_w, pad_h, pad_h), value=float("-inf"))
    output = inputs.new_empty((batch, channels, height_out, width_out))
    for r in range(height_out):
        for s in range(width_out):
            top, left = r * stride_h, s * stride_w
            window = padded[:, :, top : top + kernel_h, left : left + kernel_w]  # (B, C, k_h, k_w)
            output[:, :, r, s] = window.amax(dim=(2, 3))
    return output


# --------------------------------------------------------------------------------------
# The backward pass of a 1-D convolution, by hand
# --------------------------------------------------------------------------------------
def conv1d_backward(grad_output, inputs, weight, *, stride: int = 1, padding: int = 0, dilation: int = 1):
    """Gradients of a loss through ``y = conv1d(x, w) + b``, given ``g = dL/dy``.

    Every output cell ``y[b, o, t]`` is a sum of products ``w[o, c, j] * x_pad[b, c, p]``
    with ``p = t * stride + j * dilation``, so by the chain rule each such product sends

    - ``g[b, o, t] * x_pad[b, c, p]`` to ``dL/dw[o, c, j]`` (the weight gradient is a
      cross-correlation of the input with the output gradient), and
    - ``g[b, o, t] * w[o, c, j]`` to ``dL/dx_pad[b, c, p]`` (the input gradient scatters
      the output gradient back through the kernel: a "transposed convolution");

    ``dL/db[o]`` is the sum of ``g[:, o, :]``. The input gradient is then cut back from the
    padded length to the input's.

    Parameters
    ----------
    grad_output : torch.Tensor, shape (batch, out_channels, length_out)
        ``dL/dy``.
    inputs : torch.Tensor, shape (batch, in_channels, length)
    weight : torch.Tensor, shape (out_channels, in_channels, kernel_size)
    stride, padding, dilation : int
        Those of the forward pass.

    Returns
    -------
    grad_inputs : torch.Tensor, shape (batch, in_channels, length)
    grad_weight : torch.Tensor, shape (out_channels, in_channels, kernel_size)
    grad_bias : torch.Tensor, shape (out_channels,)
    """
    inputs, weight, _ = _check_conv_arguments(inputs, weight, None, n_spatial=1)
    batch, in_channels, length = inputs.shape
    out_channels, _, kernel_size = weight.shape
    length_out = conv_output_size(length, kernel_size, stride=stride, padding=padding, dilation=dilation)
    grad_output = _check_tensor(grad_output, "grad_output", 3, "(batch, out_channels, length_out)")
    if tuple(grad_output.shape) != (batch, out_channels, length_out):
        raise ValueError(
            f"grad_output must have shape {(batch, out_channels, length_out)} (the forward output's), "
            f"got {tuple(grad_output.shape)}."
        )
    padded = F.pad(inputs, (padding, padding))  # (B, C_in, L + 2 padding)
    grad_padded = torch.zeros_like(padded)
    grad_weight = torch.zeros_like(weight)
    for t in range(length_out):
        g = grad_output[:, :, t]  # (B, C_out)
        for j in range(kernel_size):
            p = t * stride + j * dilation
            x_column = padded[:, :, p]  # (B, C_in)
            grad_weight[:, :, j] += g.T @ x_column  # (C_out, C_in): sum over the batch
            grad_padded[:, :, p] += g @ weight[:, :, j]  # (B, C_in): sum over output channels
    grad_inputs = grad_padded[:, :, padding : padding + length]
    grad_bias = grad_output.sum(dim=(0, 2))
    return grad_inputs, grad_weight, grad_bias
