"""Convolution (卷积) and max-pooling (最大池化) by hand, checked against PyTorch.

What deep-learning libraries call a convolution is, strictly, a
**cross-correlation** (互相关): the kernel slides over the input *without*
being flipped. For a 1-D input ``x`` with ``C_in`` channels and a kernel
``w`` of width ``k``, output channel ``o`` at position ``t`` is::

    y[o, t] = b[o] + sum_c sum_j w[o, c, j] * x_pad[c, t * s + j * d]

with ``s`` the stride, ``d`` the dilation and ``x_pad`` the input with
``padding`` zeros at both ends. ``torch.nn.Conv1d`` / ``Conv2d`` compute
exactly this; a mathematician's convolution would read
``w[o, c, k - 1 - j]``.
The 2-D formula adds a second spatial index.

The module computes the same thing three ways, which the tests prove equal:

1. :func:`conv1d_loops`, :func:`conv2d_loops`: the formula, one output cell
   at a time;
2. :func:`conv1d_unfold`, :func:`conv2d_unfold`: every receptive field
   copied into a column (:func:`unfold1d`, :func:`unfold2d`, "im2col"),
   then one matrix multiply;
3. ``torch.nn.functional.conv1d`` / ``conv2d`` (in the tests and chapter 8).

Also here: :func:`conv_output_size` (the output-length arithmetic),
max-pooling by loops (:func:`max_pool1d_loops`, :func:`max_pool2d_loops`)
and the backward pass of a 1-D convolution by hand
(:func:`conv1d_backward`), which the tests compare with autograd.

Shapes follow PyTorch: inputs ``(batch, in_channels, length)`` or
``(batch, in_channels, height, width)``; weights
``(out_channels, in_channels, kernel_size)`` or
``(out_channels, in_channels, kernel_h, kernel_w)``. Every function works in
the dtype of its inputs (the tests use float64).
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


# --------------------------------------------------------------------------
# Output size
# --------------------------------------------------------------------------
def conv_output_size(
    input_size: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> int:
    """Length of a convolution's (or pooling's) output along one dimension.

    ``(n + 2 p - d (k - 1) - 1) // s + 1`` for input size ``n``, kernel
    size ``k``, stride ``s``, padding ``p`` (zeros at *each* end) and
    dilation ``d`` (the gap between kernel cells; 1 = adjacent): the padded
    input has ``n + 2 p`` cells, the kernel spans ``d (k - 1) + 1`` of
    them, and its first cell may sit at ``0, s, 2 s, ...`` as long as the
    whole kernel fits. The formula of the ``torch.nn.Conv1d`` documentation.

    Returns
    -------
    int
        The output length, >= 1.

    Raises
    ------
    ValueError
        If the kernel spans more cells than the padded input has.
    """
    n = check_int(input_size, "input_size", min_val=1)
    k = check_int(kernel_size, "kernel_size", min_val=1)
    s = check_int(stride, "stride", min_val=1)
    p = check_int(padding, "padding", min_val=0)
    d = check_int(dilation, "dilation", min_val=1)
    span = d * (k - 1) + 1  # cells the kernel covers
    if span > n + 2 * p:
        raise ValueError(
            f"kernel_size={k} with dilation={d} spans {span} cells, more "
            f"than the {n + 2 * p} cells of the padded input "
            f"(input_size={n}, padding={p})."
        )
    return (n + 2 * p - span) // s + 1


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------
def _check_tensor(value, name: str, n_dims: int, shape: str):
    if not isinstance(value, torch.Tensor):
        raise ArgumentTypeError(
            f"{name} must be a torch.Tensor of shape {shape}, "
            f"got {type(value).__name__}."
        )
    if value.dim() != n_dims:
        raise ValueError(
            f"{name} must have shape {shape}, "
            f"got shape {tuple(value.shape)}."
        )
    if not value.is_floating_point():
        raise ValueError(
            f"{name} must hold floating-point numbers, got {value.dtype}."
        )
    return value


def _pair(value, name: str, min_val: int) -> tuple[int, int]:
    """An int or a pair of ints, as ``(along height, along width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a pair of ints, got {value!r}."
            )
        return tuple(check_int(v, name, min_val=min_val) for v in value)
    value = check_int(value, name, min_val=min_val)
    return value, value


def _check_conv_arguments(inputs, weight, bias, n_spatial: int):
    spatial = "length" if n_spatial == 1 else "height, width"
    kernel = "kernel_size" if n_spatial == 1 else "kernel_h, kernel_w"
    inputs = _check_tensor(
        inputs, "inputs", 2 + n_spatial, f"(batch, in_channels, {spatial})"
    )
    weight = _check_tensor(
        weight, "weight", 2 + n_spatial,
        f"(out_channels, in_channels, {kernel})",
    )
    if weight.shape[1] != inputs.shape[1]:
        raise ValueError(
            f"weight has {weight.shape[1]} input channels (shape[1]) "
            f"but inputs has {inputs.shape[1]}."
        )
    if bias is not None:
        bias = _check_tensor(bias, "bias", 1, "(out_channels,)")
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(
                f"bias must have shape ({weight.shape[0]},) "
                f"(out_channels), got {tuple(bias.shape)}."
            )
    return inputs, weight, bias


# --------------------------------------------------------------------------
# 1. Loops: the formula, one output cell at a time
# --------------------------------------------------------------------------
def conv1d_loops(inputs, weight, bias=None, *, stride=1, padding=0,
                 dilation=1):
    """1-D convolution (cross-correlation, as in PyTorch) by loops.

    ``y[b, o, t] = bias[o]
    + sum_c sum_j weight[o, c, j] * x_pad[b, c, t * stride + j * dilation]``

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
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, 1)
    batch, _, length = inputs.shape
    out_channels, _, k = weight.shape
    length_out = conv_output_size(length, k, stride=stride,
                                  padding=padding, dilation=dilation)
    padded = F.pad(inputs, (padding, padding))  # (B, C_in, L + 2 pad)
    output = inputs.new_zeros((batch, out_channels, length_out))
    for b in range(batch):
        for o in range(out_channels):
            for t in range(length_out):
                start = t * stride
                # The receptive field: all input channels, k cells.
                stop = start + dilation * (k - 1) + 1
                field = padded[b, :, start:stop:dilation]  # (C_in, k)
                output[b, o, t] = (weight[o] * field).sum()
                if bias is not None:
                    output[b, o, t] += bias[o]
    return output


def conv2d_loops(inputs, weight, bias=None, *, stride=1, padding=0,
                 dilation=1):
    """2-D convolution (cross-correlation, as in PyTorch) by loops.

    ``y[b, o, r, c'] = bias[o] + sum_c sum_i sum_j weight[o, c, i, j]
    * x_pad[b, c, r * s_h + i * d_h, c' * s_w + j * d_w]``

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, in_channels, height, width)
    weight : torch.Tensor, shape (out_channels, in_channels, k_h, k_w)
    bias : torch.Tensor, shape (out_channels,), optional
    stride, padding, dilation : int or (int, int)
        As in ``torch.nn.Conv2d``: one value, or (height, width).

    Returns
    -------
    torch.Tensor, shape (batch, out_channels, height_out, width_out)
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, 2)
    s_h, s_w = _pair(stride, "stride", 1)
    p_h, p_w = _pair(padding, "padding", 0)
    d_h, d_w = _pair(dilation, "dilation", 1)
    batch, _, height, width = inputs.shape
    out_channels, _, k_h, k_w = weight.shape
    height_out = conv_output_size(height, k_h, stride=s_h, padding=p_h,
                                  dilation=d_h)
    width_out = conv_output_size(width, k_w, stride=s_w, padding=p_w,
                                 dilation=d_w)
    padded = F.pad(inputs, (p_w, p_w, p_h, p_h))  # pads width, then height
    output = inputs.new_zeros((batch, out_channels, height_out, width_out))
    for b in range(batch):
        for o in range(out_channels):
            for r in range(height_out):
                for c in range(width_out):
                    top, left = r * s_h, c * s_w
                    rows = slice(top, top + d_h * (k_h - 1) + 1, d_h)
                    cols = slice(left, left + d_w * (k_w - 1) + 1, d_w)
                    field = padded[b, :, rows, cols]  # (C_in, k_h, k_w)
                    output[b, o, r, c] = (weight[o] * field).sum()
                    if bias is not None:
                        output[b, o, r, c] += bias[o]
    return output


# --------------------------------------------------------------------------
# 2. Unfold (im2col) and one matrix multiply
# --------------------------------------------------------------------------
def unfold1d(inputs, kernel_size, *, stride=1, padding=0, dilation=1):
    """Every receptive field of a 1-D input as one column ("im2col").

    Column ``t`` holds ``x_pad[c, t * stride + j * dilation]`` for every
    channel ``c`` and kernel cell ``j``, in row ``c * kernel_size + j``:
    the order in which ``weight.reshape(out_channels, -1)`` flattens a
    kernel.

    Returns
    -------
    torch.Tensor, shape (batch, in_channels * kernel_size, length_out)
    """
    inputs = _check_tensor(inputs, "inputs", 3,
                           "(batch, in_channels, length)")
    k = check_int(kernel_size, "kernel_size", min_val=1)
    batch, in_channels, length = inputs.shape
    length_out = conv_output_size(length, k, stride=stride,
                                  padding=padding, dilation=dilation)
    padded = F.pad(inputs, (padding, padding))
    # positions[j, t]: the cell that kernel cell j reads for output t.
    starts = torch.arange(length_out) * stride  # (length_out,)
    offsets = torch.arange(k) * dilation  # (k,)
    positions = offsets[:, None] + starts[None, :]  # (k, length_out)
    fields = padded[:, :, positions]  # (batch, C_in, k, length_out)
    return fields.reshape(batch, in_channels * k, length_out)


def unfold2d(inputs, kernel_size, *, stride=1, padding=0, dilation=1):
    """Every receptive field of a 2-D input as one column (``F.unfold``).

    Rows are ordered ``(c * k_h + i) * k_w + j`` (channel, kernel row,
    kernel column); columns run over the output cells row by row.

    Returns
    -------
    torch.Tensor, shape (batch, C_in * k_h * k_w, height_out * width_out)
    """
    inputs = _check_tensor(inputs, "inputs", 4,
                           "(batch, in_channels, height, width)")
    k_h, k_w = _pair(kernel_size, "kernel_size", 1)
    s_h, s_w = _pair(stride, "stride", 1)
    p_h, p_w = _pair(padding, "padding", 0)
    d_h, d_w = _pair(dilation, "dilation", 1)
    batch, in_channels, height, width = inputs.shape
    height_out = conv_output_size(height, k_h, stride=s_h, padding=p_h,
                                  dilation=d_h)
    width_out = conv_output_size(width, k_w, stride=s_w, padding=p_w,
                                 dilation=d_w)
    padded = F.pad(inputs, (p_w, p_w, p_h, p_h))
    rows = (torch.arange(k_h)[:, None] * d_h
            + torch.arange(height_out)[None, :] * s_h)  # (k_h, H_out)
    cols = (torch.arange(k_w)[:, None] * d_w
            + torch.arange(width_out)[None, :] * s_w)  # (k_w, W_out)
    # Broadcast (k_h, 1, H_out, 1) against (1, k_w, 1, W_out).
    fields = padded[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    # fields: (batch, C_in, k_h, k_w, H_out, W_out)
    return fields.reshape(batch, in_channels * k_h * k_w,
                          height_out * width_out)


def conv1d_unfold(inputs, weight, bias=None, *, stride=1, padding=0,
                  dilation=1):
    """1-D convolution as unfold plus one matrix multiply.

    ``y = W @ columns`` with ``W`` the kernels flattened to
    ``(out_channels, in_channels * kernel_size)``; same arguments and
    result as :func:`conv1d_loops`.
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, 1)
    out_channels, _, k = weight.shape
    columns = unfold1d(inputs, k, stride=stride, padding=padding,
                       dilation=dilation)  # (B, C_in * k, L_out)
    output = weight.reshape(out_channels, -1) @ columns  # (B, C_out, L_out)
    if bias is not None:
        output = output + bias[None, :, None]
    return output


def conv2d_unfold(inputs, weight, bias=None, *, stride=1, padding=0,
                  dilation=1):
    """2-D convolution as unfold plus one matrix multiply.

    Same arguments and result as :func:`conv2d_loops`.
    """
    inputs, weight, bias = _check_conv_arguments(inputs, weight, bias, 2)
    out_channels, _, k_h, k_w = weight.shape
    s_h, s_w = _pair(stride, "stride", 1)
    p_h, p_w = _pair(padding, "padding", 0)
    d_h, d_w = _pair(dilation, "dilation", 1)
    height_out = conv_output_size(inputs.shape[2], k_h, stride=s_h,
                                  padding=p_h, dilation=d_h)
    width_out = conv_output_size(inputs.shape[3], k_w, stride=s_w,
                                 padding=p_w, dilation=d_w)
    columns = unfold2d(inputs, (k_h, k_w), stride=stride, padding=padding,
                       dilation=dilation)  # (B, C_in k_h k_w, H_out W_out)
    output = weight.reshape(out_channels, -1) @ columns
    if bias is not None:
        output = output + bias[None, :, None]
    return output.reshape(inputs.shape[0], out_channels, height_out,
                          width_out)


# --------------------------------------------------------------------------
# Max-pooling
# --------------------------------------------------------------------------
def max_pool1d_loops(inputs, kernel_size, *, stride=None, padding=0):
    """1-D max-pooling by loops: the largest value of each window.

    Channel by channel, as ``torch.nn.MaxPool1d``: padding cells count as
    ``-inf`` (never chosen), ``stride`` defaults to ``kernel_size``
    (windows side by side), and ``padding`` may be at most
    ``kernel_size // 2``.

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, channels, length)
    kernel_size, stride, padding : int

    Returns
    -------
    torch.Tensor, shape (batch, channels, length_out)
    """
    inputs = _check_tensor(inputs, "inputs", 3,
                           "(batch, channels, length)")
    k = check_int(kernel_size, "kernel_size", min_val=1)
    s = k if stride is None else check_int(stride, "stride", min_val=1)
    p = check_int(padding, "padding", min_val=0, max_val=k // 2)
    batch, channels, length = inputs.shape
    length_out = conv_output_size(length, k, stride=s, padding=p)
    padded = F.pad(inputs, (p, p), value=float("-inf"))
    output = inputs.new_empty((batch, channels, length_out))
    for t in range(length_out):
        window = padded[:, :, t * s : t * s + k]  # (batch, channels, k)
        output[:, :, t] = window.max(dim=2).values
    return output


def max_pool2d_loops(inputs, kernel_size, *, stride=None, padding=0):
    """2-D max-pooling by loops, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    inputs : torch.Tensor, shape (batch, channels, height, width)
    kernel_size, stride, padding : int or (int, int)
        ``stride`` defaults to ``kernel_size``; padding counts as ``-inf``.

    Returns
    -------
    torch.Tensor, shape (batch, channels, height_out, width_out)
    """
    inputs = _check_tensor(inputs, "inputs", 4,
                           "(batch, channels, height, width)")
    k_h, k_w = _pair(kernel_size, "kernel_size", 1)
    s_h, s_w = (k_h, k_w) if stride is None else _pair(stride, "stride", 1)
    p_h, p_w = _pair(padding, "padding", 0)
    if p_h > k_h // 2 or p_w > k_w // 2:
        raise ValueError(
            f"padding must be at most half the kernel_size, got "
            f"padding={padding!r}, kernel_size={kernel_size!r}."
        )
    batch, channels, height, width = inputs.shape
    height_out = conv_output_size(height, k_h, stride=s_h, padding=p_h)
    width_out = conv_output_size(width, k_w, stride=s_w, padding=p_w)
    padded = F.pad(inputs, (p_w, p_w, p_h, p_h), value=float("-inf"))
    output = inputs.new_empty((batch, channels, height_out, width_out))
    for r in range(height_out):
        for c in range(width_out):
            top, left = r * s_h, c * s_w
            window = padded[:, :, top : top + k_h, left : left + k_w]
            output[:, :, r, c] = window.amax(dim=(2, 3))
    return output


# --------------------------------------------------------------------------
# The backward pass of a 1-D convolution, by hand
# --------------------------------------------------------------------------
def conv1d_backward(grad_output, inputs, weight, *, stride=1, padding=0,
                    dilation=1):
    """Gradients through ``y = conv1d(x, w) + b``, given ``g = dL/dy``.

    Output cell ``y[b, o, t]`` sums the products
    ``w[o, c, j] * x_pad[b, c, p]`` with ``p = t * stride + j * dilation``,
    so by the chain rule each product sends

    - ``g[b, o, t] * x_pad[b, c, p]`` to ``dL/dw[o, c, j]``: the weight
      gradient correlates the input with the output gradient;
    - ``g[b, o, t] * w[o, c, j]`` to ``dL/dx_pad[b, c, p]``: the input
      gradient scatters ``g`` back through the kernel (a transposed
      convolution), then loses the padding cells;

    and ``dL/db[o]`` is the sum of ``g[:, o, :]``.

    Parameters
    ----------
    grad_output : torch.Tensor, shape (batch, out_channels, length_out)
    inputs : torch.Tensor, shape (batch, in_channels, length)
    weight : torch.Tensor, shape (out_channels, in_channels, kernel_size)
    stride, padding, dilation : int
        Those of the forward pass.

    Returns
    -------
    grad_inputs : torch.Tensor, shape (batch, in_channels, length)
    grad_weight : torch.Tensor, shape like ``weight``
    grad_bias : torch.Tensor, shape (out_channels,)
    """
    inputs, weight, _ = _check_conv_arguments(inputs, weight, None, 1)
    batch, _, length = inputs.shape
    out_channels, _, k = weight.shape
    length_out = conv_output_size(length, k, stride=stride,
                                  padding=padding, dilation=dilation)
    expected = (batch, out_channels, length_out)
    grad_output = _check_tensor(grad_output, "grad_output", 3,
                                str(expected))
    if tuple(grad_output.shape) != expected:
        raise ValueError(
            f"grad_output must have shape {expected} (the forward "
            f"output's), got {tuple(grad_output.shape)}."
        )
    padded = F.pad(inputs, (padding, padding))  # (B, C_in, L + 2 pad)
    grad_padded = torch.zeros_like(padded)
    grad_weight = torch.zeros_like(weight)
    for t in range(length_out):
        g = grad_output[:, :, t]  # (B, C_out)
        for j in range(k):
            p = t * stride + j * dilation
            # Sum over the batch, and over the output channels:
            grad_weight[:, :, j] += g.T @ padded[:, :, p]  # (C_out, C_in)
            grad_padded[:, :, p] += g @ weight[:, :, j]  # (B, C_in)
    grad_inputs = grad_padded[:, :, padding : padding + length]
    grad_bias = grad_output.sum(dim=(0, 2))
    return grad_inputs, grad_weight, grad_bias
