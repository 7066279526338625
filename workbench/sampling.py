"""Drawing the next token from a model's logits, with temperature and top-k.

Every draw goes through a `torch.Generator`, so a seed fixes the whole sample. A temperature at or
near zero means "always the most likely token" and is handled as an argmax rather than a division.
"""

from __future__ import annotations

import torch
from torch import Tensor

from workbench.errors import ConfigError
from workbench.sampling_settings import TEMPERATURE, TOP_K

GREEDY_BELOW = 1e-4  # temperatures under this would overflow the softmax; they mean argmax


def check_sampling(temperature: float, top_k: int) -> None:
    """Raise ConfigError for a temperature or top-k outside their declared ranges."""
    if temperature != temperature:  # NaN passes every comparison of a range check
        raise ConfigError(
            f"temperature = {temperature!r} is not allowed: give 0 (always the likeliest character) "
            "or a positive number such as 0.8."
        )
    TEMPERATURE.check(temperature)
    TOP_K.check(top_k)


def sample_next(logits: Tensor, temperature: float, top_k: int, generator: torch.Generator) -> Tensor:
    """One token id per row of `logits` (..., vocab), drawn on the generator's device.

    `top_k` > 0 keeps only the k likeliest tokens; 0 keeps all. Tokens whose logit is -inf (banned
    by the caller) are never drawn.
    """
    check_sampling(temperature, top_k)
    logits = logits.detach().float().to(generator.device)
    if temperature < GREEDY_BELOW or top_k == 1:
        return logits.argmax(dim=-1)
    if 0 < top_k < logits.shape[-1]:
        threshold = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    probabilities = torch.softmax(logits / temperature, dim=-1)
    rows = probabilities.reshape(-1, probabilities.shape[-1])
    drawn = torch.multinomial(rows, 1, generator=generator)
    return drawn.reshape(probabilities.shape[:-1])
