"""The conformance checks pass a sound cell and catch each broken promise, one broken cell at a time."""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from workbench.cells import COMMON_PARAMS, State, StepCell, StepCellPlugin
from workbench.cli import main
from workbench.conformance import check_cell, check_dataset, check_plugin, check_task, failures
from workbench.datasets import Dataset, Document, GenerationData
from workbench.errors import ConfigError
from workbench.params import Param
from workbench.tasks import Task
from workbench.testing import assert_cell_conforms, assert_task_conforms, registered


class ElmanStep(StepCell):
    """A sound reference: h_t = tanh(W x_t + U h_{t-1} + b)."""

    def __init__(self, input_size: int, hidden_size: int, **options: Any):
        super().__init__(input_size, hidden_size)
        self.input_weights = nn.Linear(input_size, hidden_size)
        self.state_weights = nn.Linear(hidden_size, hidden_size, bias=False)

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h = torch.tanh(self.input_weights(x_t) + self.state_weights(state[0]))
        return h, (h,)


def cell(step: type[StepCell], name: str = "elman", params: tuple = COMMON_PARAMS) -> type[StepCellPlugin]:
    return type(f"{name}_plugin", (StepCellPlugin,), {"name": name, "step": step, "params": params})


class WideOutputStep(ElmanStep):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, new_state = super().forward(x_t, state)
        return torch.cat([h, h], dim=1), new_state


class ForgetfulStep(ElmanStep):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h = torch.tanh(self.input_weights(x_t))
        return h, (h,)


class UnusedParameterStep(ElmanStep):
    def __init__(self, input_size: int, hidden_size: int, **options: Any):
        super().__init__(input_size, hidden_size)
        self.peephole = nn.Parameter(torch.zeros(hidden_size))


class NoisyStep(ElmanStep):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, _ = super().forward(x_t, state)
        h = h + random.gauss(0.0, 0.1)  # Python's RNG: not covered by torch.manual_seed
        return h, (h,)


class UnsavedScaleStep(ElmanStep):
    def __init__(self, input_size: int, hidden_size: int, **options: Any):
        super().__init__(input_size, hidden_size)
        self.scale = torch.rand(hidden_size) + 0.5  # neither a parameter nor a buffer: not saved

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, _ = super().forward(x_t, state)
        h = h * self.scale
        return h, (h,)


def verdicts(results) -> dict[str, bool]:
    return {result.name: result.passed for result in results}


def only_failure(results) -> str:
    failed = failures(results)
    assert len(failed) == 1, [str(result) for result in failed]
    return failed[0].name


def test_a_sound_cell_passes_every_check():
    results = check_cell(cell(ElmanStep))
    assert len(results) == 8
    assert all(verdicts(results).values()), [str(r) for r in failures(results)]
    assert_cell_conforms(cell(ElmanStep))


def test_a_builtin_custom_cell_passes():
    assert not failures(check_plugin("gru-custom", kind="cell"))


def test_wrong_output_shape_is_caught():
    results = check_cell(cell(WideOutputStep))
    assert not verdicts(results)["output and state shapes"]
    reason = failures(results)[0].reason
    assert "expected" in reason


def test_ignoring_the_state_is_caught():
    results = check_cell(cell(ForgetfulStep))
    assert not verdicts(results)["carries state across calls"]
    assert "not recurrent" in failures(results)[0].reason


def test_a_parameter_without_gradient_is_caught():
    results = check_cell(cell(UnusedParameterStep))
    assert only_failure(results) == "gradients reach every parameter"
    assert "peephole" in failures(results)[0].reason


def test_nondeterminism_is_caught():
    results = check_cell(cell(NoisyStep))
    assert not verdicts(results)["deterministic with a seed"]


def test_weights_that_do_not_round_trip_are_caught():
    results = check_cell(cell(UnsavedScaleStep))
    assert only_failure(results) == "weights survive save and load"
    assert "buffer" in failures(results)[0].reason


def test_a_bad_parameter_declaration_is_caught():
    bad = Param("width", int, 0, "units", min=1)  # its default breaks its own minimum
    results = check_cell(cell(ElmanStep, params=(*COMMON_PARAMS, bad)))
    assert not verdicts(results)["parameters declared"]
    assert "default" in failures(results)[0].reason


def test_missing_common_parameters_are_caught():
    results = check_cell(cell(ElmanStep, params=COMMON_PARAMS[:1]))
    assert not verdicts(results)["parameters declared"]
    assert "COMMON_PARAMS" in failures(results)[0].reason


def test_a_cell_that_does_not_build_skips_the_rest_with_a_reason():
    class Broken(StepCellPlugin):
        name = "broken"
        step = ElmanStep

        def build(self, input_size: int):
            raise RuntimeError("boom")

    results = check_cell(Broken)
    assert [r.passed for r in results] == [True] + [False] * 7
    assert "boom" in results[1].reason and "not run" in results[2].reason


def test_assert_cell_conforms_lists_the_failures():
    with pytest.raises(AssertionError, match="gradients reach every parameter"):
        assert_cell_conforms(cell(UnusedParameterStep))


class Lines(Dataset):
    name = "lines"
    forms = ("generation",)

    def generation(self, seed: int) -> GenerationData:
        return GenerationData([Document("abc")], [Document("d")], [Document("e")])


def test_dataset_checks_pass_a_sound_dataset_and_catch_missing_forms():
    assert not failures(check_dataset(Lines))
    claims_more = type("ClaimsMore", (Lines,), {"forms": ("generation", "classification")})
    no_forms = type("NoForms", (Lines,), {"forms": ()})
    assert "classification" in failures(check_dataset(claims_more))[0].reason
    assert only_failure(check_dataset(no_forms)) == "declares its forms"


def test_task_checks_catch_a_bad_form_metric_and_defaults():
    class Bare(Task):
        name = "bare"
        form = "regression"
        metric = ""
        cell_defaults = {"hidden_size": 0, "gate_bias": 1.0}

    found = verdicts(check_task(Bare))
    assert found == {
        "parameters declared": True,
        "options validate": True,
        "declares form and metric": False,
        "cell defaults are valid": False,
        "implements the task methods": False,
    }
    with pytest.raises(AssertionError, match="does not implement prepare"):
        assert_task_conforms(Bare)


def test_installed_tasks_pass():
    for name in ("classify", "generate"):
        assert not failures(check_plugin(name, kind="task")), name


def test_unknown_names_are_config_errors():
    with pytest.raises(ConfigError, match="installed ones are"):
        check_plugin("no-such-cell")


def test_cli_check_exit_codes_and_reasons(capsys):
    with registered(cell(ElmanStep, "elman-ok"), cell(UnusedParameterStep, "elman-unused")):
        assert main(["plugins", "check", "elman-ok"]) == 0
        assert "8 of 8 checks passed" in capsys.readouterr().out
        assert main(["plugins", "check", "elman-unused", "--kind", "cell"]) == 1
        out = capsys.readouterr().out
        assert "FAIL" in out and "peephole" in out and "7 of 8" in out
        assert main(["plugins", "check", "elman-nope"]) == 2
        assert "elman-nope" in capsys.readouterr().err
