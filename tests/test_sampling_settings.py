"""The sampling temperature and top-k: one declaration, one range, 0 meaning greedy everywhere."""

from __future__ import annotations

import pytest
from workbench_plugins.tasks.generate import Generate

from workbench.app.model_screen import SAMPLING_PARAMS
from workbench.cli import main
from workbench.errors import ConfigError
from workbench.sampling import check_sampling
from workbench.sampling_settings import TEMPERATURE, TOP_K


def test_the_generate_task_and_the_model_screen_share_one_declaration() -> None:
    assert TEMPERATURE in Generate.params and TOP_K in Generate.params
    assert TEMPERATURE in SAMPLING_PARAMS and TOP_K in SAMPLING_PARAMS
    assert TEMPERATURE.parse("0") == 0.0


def test_the_sampler_accepts_exactly_the_declared_range() -> None:
    check_sampling(0.0, 0)
    check_sampling(TEMPERATURE.max, 0)
    for temperature in (-0.1, TEMPERATURE.max + 0.5, float("nan")):
        with pytest.raises(ConfigError, match="temperature"):
            check_sampling(temperature, 0)
    with pytest.raises(ConfigError, match="top_k"):
        check_sampling(0.8, -1)


def test_sample_help_shows_the_declared_range(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert f"{TEMPERATURE.describe_range()}; default {TEMPERATURE.default}" in shown
