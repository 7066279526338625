"""Metrics against hand-computed examples, and sampling rules."""

from __future__ import annotations

import math

import pytest
import torch

from workbench import metrics
from workbench.errors import ConfigError
from workbench.sampling import sample_next

# Truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2:
#   confusion rows (truth) [[2,1,0],[0,1,1],[0,0,1]]
#   accuracy 4/6; recall per class 2/3, 1/2, 1/1
#   F1: class 0: 2*2/(3+2) = 0.8; class 1: 2*1/(2+2) = 0.5; class 2: 2*1/(1+2) = 2/3
ACTUAL = torch.tensor([0, 0, 0, 1, 1, 2])
PREDICTED = torch.tensor([0, 0, 1, 1, 2, 2])


def test_confusion_matrix_rows_are_true_classes():
    confusion = metrics.confusion_matrix(PREDICTED, ACTUAL, 3)
    assert confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_accuracy_per_class_and_macro_f1_by_hand():
    confusion = metrics.confusion_matrix(PREDICTED, ACTUAL, 3)
    assert metrics.accuracy(confusion) == pytest.approx(4 / 6)
    assert metrics.per_class_accuracy(confusion) == pytest.approx([2 / 3, 1 / 2, 1.0])
    assert metrics.macro_f1(confusion) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_classes_without_examples_or_predictions():
    confusion = metrics.confusion_matrix(torch.tensor([0, 0]), torch.tensor([0, 1]), 3)
    assert metrics.per_class_accuracy(confusion) == [1.0, 0.0, None]
    # class 0: 2*1/(1+2); class 1: 0; class 2 absent on both sides and left out
    assert metrics.macro_f1(confusion) == pytest.approx((2 / 3 + 0.0) / 2)
    nothing = torch.tensor([], dtype=torch.long)
    empty = metrics.confusion_matrix(nothing, nothing, 2)
    assert metrics.accuracy(empty) == 0.0 and metrics.macro_f1(empty) == 0.0


def test_bits_and_perplexity():
    assert metrics.bits_per_character(math.log(2)) == pytest.approx(1.0)
    assert metrics.bits_per_character(1.56) == pytest.approx(2.2506, abs=1e-4)
    assert metrics.perplexity(math.log(5)) == pytest.approx(5.0)
    assert metrics.perplexity(1e6) == math.inf


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


LOGITS = torch.tensor([[1.0, 3.0, 2.5, 0.0, -1.0]])


def test_sampling_is_deterministic_per_seed_and_varies_across_seeds():
    logits = LOGITS.expand(200, -1)
    first = sample_next(logits, 1.0, 0, _generator(1))
    assert torch.equal(first, sample_next(logits, 1.0, 0, _generator(1)))
    assert not torch.equal(first, sample_next(logits, 1.0, 0, _generator(2)))
    assert set(first.tolist()) > {1, 2}


def test_greedy_cases_pick_the_argmax():
    for temperature, top_k in ((0.0, 0), (1e-9, 0), (2.0, 1)):
        drawn = sample_next(LOGITS.expand(50, -1), temperature, top_k, _generator(0))
        assert drawn.tolist() == [1] * 50


def test_top_k_limits_the_choices_and_banned_tokens_never_appear():
    drawn = sample_next(LOGITS.expand(500, -1), 5.0, 2, _generator(0))
    assert set(drawn.tolist()) == {1, 2}
    banned = LOGITS.clone()
    banned[0, 1] = float("-inf")
    assert 1 not in sample_next(banned.expand(300, -1), 1.0, 0, _generator(0)).tolist()


def test_high_temperature_flattens_the_distribution():
    cold = sample_next(LOGITS.expand(2000, -1), 0.3, 0, _generator(0))
    hot = sample_next(LOGITS.expand(2000, -1), 5.0, 0, _generator(0))
    assert (cold == 1).float().mean() > (hot == 1).float().mean()


def test_bad_sampling_settings_are_config_errors():
    with pytest.raises(ConfigError, match="temperature"):
        sample_next(LOGITS, -0.5, 0, _generator(0))
    with pytest.raises(ConfigError, match="top_k"):
        sample_next(LOGITS, 1.0, -3, _generator(0))
