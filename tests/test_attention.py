"""Tests for tutorial_lib.models.attention: by-hand attention equals PyTorch's, in float64."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.models.attention import (
    MultiHeadAttention,
    causal_mask,
    copy_multihead_attention_from_torch,
    copy_multihead_attention_to_torch,
    padding_mask,
    scaled_dot_product_attention,
)

TOLERANCE = 1e-6


def _random_key_mask(generator, batch, k_len):
    """(batch, k_len) bool, True = real; every row keeps at least its first key."""
    mask = torch.rand(batch, k_len, generator=generator) < 0.6
    mask[:, 0] = True
    return mask


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_attention_equals_torch(seed, masked):
    generator = torch.Generator().manual_seed(seed)
    batch, heads = (int(size) for size in torch.randint(1, 4, (2,), generator=generator))
    q_len, k_len = (int(size) for size in torch.randint(1, 9, (2,), generator=generator))
    d_k, d_v = (int(size) for size in torch.randint(1, 12, (2,), generator=generator))
    query = torch.randn(batch, heads, q_len, d_k, generator=generator, dtype=torch.float64)
    key = torch.randn(batch, heads, k_len, d_k, generator=generator, dtype=torch.float64)
    value = torch.randn(batch, heads, k_len, d_v, generator=generator, dtype=torch.float64)
    mask = _random_key_mask(generator, batch, k_len)[:, None, None, :] if masked else None
    ours, weights = scaled_dot_product_attention(query, key, value, mask)
    theirs = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    assert ours.shape == (batch, heads, q_len, d_v)
    torch.testing.assert_close(ours, theirs, atol=TOLERANCE, rtol=0)
    assert weights.shape == (batch, heads, q_len, k_len)
    torch.testing.assert_close(weights.sum(-1), torch.ones(batch, heads, q_len, dtype=torch.float64), atol=1e-12, rtol=0)
    assert (weights >= 0).all()
    if masked:
        assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


def test_causal_attention_equals_torch_is_causal():
    generator = torch.Generator().manual_seed(7)
    query, key, value = (torch.randn(2, 3, 6, 4, generator=generator, dtype=torch.float64) for _ in range(3))
    ours, weights = scaled_dot_product_attention(query, key, value, causal_mask(6))
    theirs = F.scaled_dot_product_attention(query, key, value, is_causal=True)
    torch.testing.assert_close(ours, theirs, atol=TOLERANCE, rtol=0)
    assert (weights.triu(diagonal=1) == 0).all()
    assert (weights[..., 0, 0] == 1).all()  # the first position sees only itself


def test_fully_masked_row_gives_zero_weights_and_zero_output():
    generator = torch.Generator().manual_seed(1)
    query, key, value = (torch.randn(1, 1, 3, 4, generator=generator, dtype=torch.float64) for _ in range(3))
    mask = torch.tensor([[True, False, False], [False, False, False], [True, True, True]])
    output, weights = scaled_dot_product_attention(query, key, value, mask)
    assert not torch.isnan(output).any() and not torch.isnan(weights).any()
    assert (weights[0, 0, 1] == 0).all() and (output[0, 0, 1] == 0).all()
    torch.testing.assert_close(weights[0, 0, 0], torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    # gradients stay finite too
    query.requires_grad_(True)
    scaled_dot_product_attention(query, key, value, mask)[0].sum().backward()
    assert torch.isfinite(query.grad).all()


def test_scaling_keeps_the_score_variance_near_one():
    generator = torch.Generator().manual_seed(0)
    d_k = 256
    query = torch.randn(20000, d_k, generator=generator, dtype=torch.float64)
    key = torch.randn(20000, d_k, generator=generator, dtype=torch.float64)
    raw = (query * key).sum(-1)
    assert abs(raw.var().item() / d_k - 1) < 0.05
    assert abs((raw / d_k**0.5).var().item() - 1) < 0.05


def test_masks():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert padding_mask(lengths=torch.tensor([2, 0]), max_len=3).tolist() == [[True, True, False], [False, False, False]]
    assert padding_mask(codes=torch.tensor([[0, 4, 5], [1, 0, 2]])).tolist() == [[False, True, True], [True, False, True]]
    with pytest.raises(ValueError, match="exactly one"):
        padding_mask()
    with pytest.raises(ValueError, match="max_len"):
        padding_mask(lengths=torch.tensor([4]), max_len=3)
    with pytest.raises(ValueError, match="codes"):
        padding_mask(codes=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="n must be"):
        causal_mask(0)


def test_bad_inputs_name_the_argument():
    x = torch.zeros(1, 2, 4)
    with pytest.raises(ValueError, match="d_k"):
        scaled_dot_product_attention(x, torch.zeros(1, 2, 3), torch.zeros(1, 2, 3))
    with pytest.raises(TypeError, match="mask must be a bool"):
        scaled_dot_product_attention(x, x, x, torch.ones(2, 2))
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(x, x, x, torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="query must have shape"):
        MultiHeadAttention(4, 2)(torch.zeros(1, 2, 5), x, x)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_equals_torch(seed, bias, masked):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(100 + seed)
    n_heads = int(torch.randint(1, 5, (1,), generator=generator))
    d_model = n_heads * int(torch.randint(1, 6, (1,), generator=generator))
    batch, q_len, k_len = (int(size) for size in torch.randint(1, 8, (3,), generator=generator))
    ours = MultiHeadAttention(d_model, n_heads, bias=bias).double().eval()
    theirs = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True).double().eval()
    copy_multihead_attention_to_torch(ours, theirs)
    query = torch.randn(batch, q_len, d_model, generator=generator, dtype=torch.float64)
    key = torch.randn(batch, k_len, d_model, generator=generator, dtype=torch.float64)
    value = torch.randn(batch, k_len, d_model, generator=generator, dtype=torch.float64)
    keys_real = _random_key_mask(generator, batch, k_len) if masked else None
    our_output, our_weights = ours(query, key, value, None if keys_real is None else keys_real[:, None, None, :])
    their_output, their_weights = theirs(
        query, key, value, key_padding_mask=None if keys_real is None else ~keys_real, average_attn_weights=False
    )
    torch.testing.assert_close(our_output, their_output, atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(our_weights, their_weights, atol=TOLERANCE, rtol=0)
    # and back: a fresh layer loaded from torch's gives the same outputs
    reloaded = copy_multihead_attention_from_torch(theirs, MultiHeadAttention(d_model, n_heads, bias=bias).double())
    torch.testing.assert_close(reloaded(query, key, value)[0], ours(query, key, value)[0], atol=0, rtol=0)


def test_multi_head_attention_with_a_causal_mask_equals_torch():
    torch.manual_seed(3)
    ours = MultiHeadAttention(8, 2).double()
    theirs = copy_multihead_attention_to_torch(ours, nn.MultiheadAttention(8, 2, batch_first=True).double())
    x = torch.randn(3, 5, 8, dtype=torch.float64)
    our_output, _ = ours(x, x, x, causal_mask(5))
    their_output, _ = theirs(x, x, x, attn_mask=~causal_mask(5))  # torch's bool attn_mask: True = not allowed
    torch.testing.assert_close(our_output, their_output, atol=TOLERANCE, rtol=0)


def test_copy_checks_the_sizes():
    with pytest.raises(ValueError, match="sizes differ"):
        copy_multihead_attention_to_torch(MultiHeadAttention(8, 2), nn.MultiheadAttention(8, 4))
    with pytest.raises(ValueError, match="bias"):
        copy_multihead_attention_to_torch(MultiHeadAttention(8, 2, bias=False), nn.MultiheadAttention(8, 2))
