"""Tests for tutorial_lib.models.transformer: blocks equal nn.TransformerEncoderLayer in float64."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tutorial_lib.models.transformer import (
    CausalDecoderBlock,
    EncoderBlock,
    LearnedPositionalEncoding,
    PositionwiseFeedForward,
    SinusoidalPositionalEncoding,
    copy_encoder_block_from_torch,
    copy_encoder_block_to_torch,
    sinusoidal_positional_encoding,
)

TOLERANCE = 1e-6


def test_sinusoidal_table_matches_the_formula():
    table = sinusoidal_positional_encoding(50, 8)
    assert table.shape == (50, 8)
    for position in (0, 1, 17, 49):
        for i in range(4):
            angle = position / 10000 ** (2 * i / 8)
            assert table[position, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[position, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    encoding = SinusoidalPositionalEncoding(50, 8)
    assert torch.equal(encoding(torch.arange(5)), table[:5])
    assert encoding(torch.zeros(2, 3, dtype=torch.long)).shape == (2, 3, 8)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positional_encoding(4, 5)
    with pytest.raises(ValueError, match="positions must lie"):
        encoding(torch.tensor([50]))


def test_learned_positional_encoding_is_a_table():
    encoding = LearnedPositionalEncoding(10, 4)
    assert torch.equal(encoding(torch.tensor([3])), encoding.embedding.weight[3:4])
    with pytest.raises(TypeError, match="positions"):
        encoding(torch.tensor([0.5]))


def test_feed_forward_names_and_gelu_is_exact():
    feed_forward = PositionwiseFeedForward(4, 16, activation="gelu").double()
    assert feed_forward.input.weight.shape == (16, 4) and feed_forward.output.weight.shape == (4, 16)
    x = torch.randn(3, 4, dtype=torch.float64)
    hidden = feed_forward.input(x)
    exact_gelu = hidden * 0.5 * (1 + torch.erf(hidden / math.sqrt(2)))
    torch.testing.assert_close(feed_forward(x), feed_forward.output(exact_gelu), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="activation"):
        PositionwiseFeedForward(4, 16, activation="tanh")


def _random_padding(generator, batch, seq_len):
    """(batch, seq_len) bool, True = real token; right padding, each row at least one token."""
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=generator)
    return torch.arange(seq_len)[None, :] < lengths[:, None]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masked", [False, True])
def test_encoder_block_equals_torch(seed, norm_first, activation, masked):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(50 + seed)
    n_heads = int(torch.randint(1, 4, (1,), generator=generator))
    d_model = n_heads * int(torch.randint(2, 5, (1,), generator=generator))
    d_ff = int(torch.randint(3, 20, (1,), generator=generator))
    batch, seq_len = (int(size) for size in torch.randint(1, 7, (2,), generator=generator))
    eps = 1e-12 if activation == "gelu" else 1e-5
    ours = EncoderBlock(d_model, n_heads, d_ff, activation=activation, norm_first=norm_first, layer_norm_eps=eps).double()
    # give the layer norms non-trivial weights so that copying them is checked
    with torch.no_grad():
        for norm in (ours.attention_norm, ours.feed_forward_norm):
            norm.weight.normal_()
            norm.bias.normal_()
    theirs = nn.TransformerEncoderLayer(
        d_model, n_heads, d_ff, dropout=0.0, activation=activation, norm_first=norm_first, layer_norm_eps=eps, batch_first=True
    ).double()
    copy_encoder_block_to_torch(ours, theirs)
    ours.eval()
    theirs.eval()
    x = torch.randn(batch, seq_len, d_model, generator=generator, dtype=torch.float64)
    real = _random_padding(generator, batch, seq_len) if masked else None
    our_output = ours(x, real)
    their_output = theirs(x, src_key_padding_mask=None if real is None else ~real)
    if real is None:
        torch.testing.assert_close(our_output, their_output, atol=TOLERANCE, rtol=0)
    else:  # outputs at padding positions are not defined by either layer
        torch.testing.assert_close(our_output[real], their_output[real], atol=TOLERANCE, rtol=0)
    reloaded = copy_encoder_block_from_torch(
        theirs, EncoderBlock(d_model, n_heads, d_ff, activation=activation, norm_first=norm_first, layer_norm_eps=eps).double()
    )
    assert torch.equal(reloaded.eval()(x, real), our_output)


def test_padding_changes_nothing_at_real_positions():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 16).double().eval()
    x = torch.randn(1, 4, 8, dtype=torch.float64)
    real = torch.tensor([[True, True, True, False]])
    changed = x.clone()
    changed[0, 3] = torch.randn(8, dtype=torch.float64) * 10
    torch.testing.assert_close(block(x, real)[real], block(changed, real)[real], atol=1e-12, rtol=0)
    weights = block.attention_weights(x, real)
    assert weights.shape == (1, 2, 4, 4) and (weights[..., 3] == 0).all()


@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_block_at_t_ignores_later_positions(norm_first):
    torch.manual_seed(1)
    block = CausalDecoderBlock(8, 2, 16, norm_first=norm_first).double().eval()
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    output = block(x)
    for t in range(6):
        changed = x.clone()
        changed[:, t + 1 :] = torch.randn(2, 6 - t - 1, 8, dtype=torch.float64) * 5
        changed_output = block(changed)
        torch.testing.assert_close(changed_output[:, : t + 1], output[:, : t + 1], atol=1e-12, rtol=0)
        if t < 5:
            assert not torch.allclose(changed_output[:, t + 1 :], output[:, t + 1 :])
    weights = block.attention_weights(x)
    assert (weights.triu(diagonal=1) == 0).all()


def test_causal_block_equals_torch_with_a_causal_mask():
    torch.manual_seed(2)
    ours = CausalDecoderBlock(8, 2, 12, activation="gelu").double().eval()
    theirs = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation="gelu", batch_first=True).double().eval()
    copy_encoder_block_to_torch(ours, theirs)
    x = torch.randn(3, 5, 8, dtype=torch.float64)
    causal_not_allowed = torch.ones(5, 5, dtype=torch.bool).triu(diagonal=1)
    torch.testing.assert_close(ours(x), theirs(x, src_mask=causal_not_allowed), atol=TOLERANCE, rtol=0)


def test_left_padded_causal_block_has_no_nan():
    # The first positions of a left-padded sequence see only padding: their rows are all zero.
    block = CausalDecoderBlock(4, 1, 8).eval()
    x = torch.randn(1, 4, 4)
    real = torch.tensor([[False, False, True, True]])
    assert torch.isfinite(block(x, real)).all()
    weights = block.attention_weights(x, real)
    assert (weights[0, 0, :2] == 0).all() and (weights[0, 0, 2:, :2] == 0).all()


def test_copy_checks_the_settings_and_bad_masks():
    with pytest.raises(ValueError, match="norm_first"):
        copy_encoder_block_to_torch(EncoderBlock(8, 2, 16), nn.TransformerEncoderLayer(8, 2, 16, norm_first=True))
    with pytest.raises(ValueError, match="activation"):
        copy_encoder_block_to_torch(EncoderBlock(8, 2, 16), nn.TransformerEncoderLayer(8, 2, 16, activation="gelu"))
    with pytest.raises(ValueError, match="layer_norm_eps"):
        copy_encoder_block_to_torch(EncoderBlock(8, 2, 16), nn.TransformerEncoderLayer(8, 2, 16, layer_norm_eps=1e-12))
    with pytest.raises(ValueError, match="padding_mask"):
        EncoderBlock(8, 2, 16)(torch.zeros(1, 3, 8), torch.ones(1, 3))


def test_attention_pooling_classifier_shapes_and_masks():
    from tutorial_lib.models.transformer import AttentionPoolingClassifier, ReviewAttentionConfig

    torch.manual_seed(0)
    model = AttentionPoolingClassifier(vocab_size=20, max_len=6, d_model=8, n_heads=2, d_ff=16).eval()
    codes = torch.tensor([[3, 4, 5, 0, 0, 0], [7, 8, 9, 10, 11, 12]])
    logits = model(codes)
    assert logits.shape == (2,)
    torch.testing.assert_close(model(codes.float()), logits)  # make_loader's float32 ids
    block_weights, pooling = model.attention_maps(codes)
    assert block_weights.shape == (2, 2, 6, 6) and pooling.shape == (2, 6)
    assert (pooling[0, 3:] == 0).all() and (block_weights[0, :, :, 3:] == 0).all()
    torch.testing.assert_close(pooling.sum(-1), torch.ones(2))
    # the first review's logit does not depend on what the other row of the batch holds
    torch.testing.assert_close(model(codes[:1]), logits[:1])
    quick, full = ReviewAttentionConfig.for_profile("quick"), ReviewAttentionConfig.for_profile("full")
    assert quick.cost() < full.cost()
    with pytest.raises(ValueError, match="codes must be"):
        model(torch.zeros(1, 5, dtype=torch.long))
