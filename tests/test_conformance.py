"""The conformance checks pass a sound cell and catch each broken promise, one broken cell at a time."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
import torch
from tiny_corpora import write_tiny_corpora
from torch import Tensor, nn

from workbench.cells import COMMON_PARAMS, State, StepCell, StepCellPlugin
from workbench.cli import main
from workbench.conformance import check_cell, check_dataset, check_plugin, check_task, failures
from workbench.corpora.search import locate
from workbench.datasets import ClassificationData, Dataset, Document, Example, GenerationData
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


class ProbedStep(ElmanStep):
    """Declares its pre-activation as a probe and records it at every step."""

    probes = {"preactivation": "W x + U h + b, before tanh"}

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        preactivation = self.input_weights(x_t) + self.state_weights(state[0])
        self.record(preactivation=preactivation)
        h = torch.tanh(preactivation)
        return h, (h,)


class UndeclaredProbeStep(ElmanStep):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, new_state = super().forward(x_t, state)
        self.record(secret=h)
        return h, new_state


class SilentProbeStep(ElmanStep):
    probes = {"gate": "declared, never recorded"}


class FlatProbeStep(ProbedStep):
    def record(self, **values: Tensor) -> None:
        super().record(**{name: value.flatten() for name, value in values.items()})


def verdicts(results) -> dict[str, bool]:
    return {result.name: result.passed for result in results}


def only_failure(results) -> str:
    failed = failures(results)
    assert len(failed) == 1, [str(result) for result in failed]
    return failed[0].name


def test_a_sound_cell_passes_every_check():
    results = check_cell(cell(ElmanStep))
    assert len(results) == 9
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


def test_declared_probes_recorded_at_every_step_pass():
    assert not failures(check_cell(cell(ProbedStep)))


@pytest.mark.parametrize(("step", "reason"), [
    (UndeclaredProbeStep, "'secret', which `probes` does not declare"),
    (SilentProbeStep, "declares the probe 'gate' but does not record it"),
    (FlatProbeStep, "shaped (15,), not (batch, hidden_size) = (3, 5)"),
], ids=["undeclared", "never-recorded", "wrong-shape"])
def test_probes_that_break_their_declaration_are_caught(step, reason):
    results = check_cell(cell(step))
    assert only_failure(results) == "probes recorded as declared"
    assert reason in failures(results)[0].reason


def test_an_inspectable_twin_with_other_weights_is_caught():
    class Impostor(StepCellPlugin):
        name = "impostor"
        step = ElmanStep

        def inspectable(self, recurrent):
            return self.build(recurrent.cells["l0"].input_size)  # fresh weights, not the stack's

    results = check_cell(Impostor)
    assert only_failure(results) == "probes recorded as declared"
    assert "same weights" in failures(results)[0].reason


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
    assert [r.passed for r in results] == [True] + [False] * 8
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


def labelled(*rows: tuple[str, int]) -> list[Example]:
    return [Example(text, label) for text, label in rows]


SOUND_CLASSES = ClassificationData(
    ["English", "Italian"],
    labelled(("Smith", 0), ("Rossi", 1), ("Jones", 0), ("Russo", 1)),
    labelled(("Brown", 0), ("Ricci", 1)),
    labelled(("Evans", 0), ("Greco", 1)),
)


def serving(data: ClassificationData | GenerationData) -> type[Dataset]:
    """A dataset class that serves `data` (a classification or generation dataset, by its type)."""
    form = "classification" if isinstance(data, ClassificationData) else "generation"
    return type(f"Serving{form.title()}", (Dataset,), {
        "name": "serving", "forms": (form,), form: lambda self, seed: data,
    })


def data_failure(dataset: type[Dataset]) -> str:
    """The reason of the one data check that fails."""
    failed = failures(check_dataset(dataset))
    assert [result.name.split(" (")[0] for result in failed] in (["serves classification"],
                                                                 ["serves generation"]), failed
    return failed[0].reason


def test_a_dataset_is_asked_for_the_data_of_each_form_it_declares():
    results = check_dataset(serving(SOUND_CLASSES))
    assert verdicts(results) == {
        "parameters declared": True, "options validate": True, "declares its forms": True,
        "serves classification (on the corpus it finds)": True,
    }
    assert verdicts(check_dataset(Lines))["serves generation (on the corpus it finds)"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (replace(SOUND_CLASSES, classes=["English"], train=labelled(("Smith", 0)),
                 validation=labelled(("Brown", 0)), test=labelled(("Evans", 0))),
         "only 'English' has training examples: classification needs two classes or more"),
        (replace(SOUND_CLASSES, train=labelled(("Smith", 0), ("Jones", 0))),
         "only 'English' has training examples"),
        (replace(SOUND_CLASSES, test=[]), "the test split is empty"),
        (replace(SOUND_CLASSES, test=labelled(("Rossi", 1))),
         "'Rossi' is in both the train and the test split: a string belongs to one split only"),
        (replace(SOUND_CLASSES, validation=[Example("Brown", "English")]),
         "label 'English' is not an index into the 2 classes (0 to 1)"),
        (replace(SOUND_CLASSES, validation=[("Brown", 0)]),
         "the validation split holds ('Brown', 0): give Examples with non-empty text"),
        (replace(SOUND_CLASSES, classes="English,Italian"), "classes is 'English,Italian'"),
        (GenerationData([Document("abc", "it")], [Document("d")], [Document("e")]),
         "a train document has condition 'it', not listed in conditions"),
        (GenerationData([Document("abc")], [Document("abc")], [Document("e")]),
         "'abc' is in both the train and the validation split"),
    ],
)
def test_each_broken_promise_of_the_data_is_named(data, reason):
    assert reason in data_failure(serving(data))


def test_a_form_must_return_its_data_class():
    wrong = type("Wrong", (Lines,), {"generation": lambda self, seed: SOUND_CLASSES})
    assert data_failure(wrong) == "generation(0) returned a ClassificationData, not " \
                                  "workbench.datasets.GenerationData"


def test_splits_must_repeat_for_a_seed():
    draws = iter(range(100))
    shifting = type("Shifting", (Lines,), {"generation": lambda self, seed: GenerationData(
        [Document(f"train {next(draws)}")], [Document("d")], [Document("e")])})
    assert "gave other splits the second time" in data_failure(shifting)


class CorpusNames(Dataset):
    """Reads the names corpus wherever the corpora are, like a third-party dataset could."""

    name = "corpus-names"
    forms = ("classification",)

    def classification(self, seed: int) -> ClassificationData:
        files = sorted(locate("names", self.corpus_root).glob("*.txt"))
        rows = [(line, index) for index, path in enumerate(files)
                for line in path.read_text(encoding="utf-8").split()]
        rows = list(dict(rows).items())  # one label per name
        return ClassificationData([path.stem for path in files], labelled(*rows[2:]),
                                  labelled(*rows[:1]), labelled(*rows[1:2]))


def test_without_a_check_corpus_the_checks_load_the_corpus_it_finds(tiny_corpora):
    results = check_dataset(CorpusNames)
    assert verdicts(results)["serves classification (on the corpus it finds)"]


def test_a_missing_corpus_fails_with_the_way_to_declare_a_check_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CORPORA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    reason = data_failure(CorpusNames)
    assert "Corpus 'names'" in reason and "was not found" in reason and "declare a check_corpus" in reason


def test_a_check_corpus_is_what_the_checks_load(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CORPORA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    shipped = type("Shipped", (CorpusNames,), {"check_corpus": write_tiny_corpora(tmp_path / "check")})
    assert verdicts(check_dataset(shipped))["serves classification (on its check corpus)"]
    one_language = tmp_path / "one" / "names"
    one_language.mkdir(parents=True)
    (one_language / "Italian.txt").write_text("Rossi\nRusso\nRicci\nGreco\n", encoding="utf-8")
    single = type("Single", (CorpusNames,), {"check_corpus": one_language.parent})
    assert "only 'Italian' has training examples" in data_failure(single)
    missing = type("Missing", (CorpusNames,), {"check_corpus": tmp_path / "nowhere"})
    assert "check_corpus" in data_failure(missing) and "package data" in data_failure(missing)


@pytest.mark.parametrize("name", ["names", "divina"])
def test_the_built_in_datasets_pass_on_the_real_corpus(name, real_corpora, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CORPORA", str(real_corpora))  # found through the search path
    results = check_plugin(name, kind="dataset")
    assert not failures(results), [str(result) for result in failures(results)]
    assert "serves classification (on the corpus it finds)" in verdicts(results)


def test_cli_check_names_a_dataset_with_one_class(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    single = replace(SOUND_CLASSES, classes=["English"], train=labelled(("Smith", 0)),
                     validation=labelled(("Brown", 0)), test=labelled(("Evans", 0)))
    with registered(serving(single)):
        assert main(["plugins", "check", "serving"]) == 1
    out = capsys.readouterr().out
    assert "serves classification" in out and "only 'English' has training examples" in out
    assert "3 of 4 checks passed" in out


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


def test_a_task_must_name_its_metrics_as_a_tuple_of_names():
    from workbench_plugins.tasks.classify import Classify

    class OneString(Classify):
        name = "one-string"
        metric_names = "accuracy"  # a string, not a tuple of names

    assert verdicts(check_task(OneString))["declares form and metric"] is False
    assert verdicts(check_task(Classify))["declares form and metric"] is True


def test_a_task_whose_evaluate_takes_no_share_is_caught():
    from workbench_plugins.tasks.generate import Generate

    class WholeSplitsOnly(Generate):
        name = "whole-splits-only"

        def evaluate(self, model, split, batch_size):  # noqa: ANN001, ANN201 - the old signature
            return super().evaluate(model, split, batch_size)

    (failure,) = failures(check_task(WholeSplitsOnly))
    assert failure.name == "implements the task methods" and "share: float = 1.0" in failure.reason


def test_installed_tasks_pass():
    for name in ("classify", "generate"):
        assert not failures(check_plugin(name, kind="task")), name


def test_unknown_names_are_config_errors():
    with pytest.raises(ConfigError, match="installed ones are"):
        check_plugin("no-such-cell")


def test_a_name_used_by_two_kinds_needs_its_kind():
    with registered(cell(ElmanStep, "classify")):
        with pytest.raises(ConfigError, match="'classify' is both a cell and a task: give the kind too"):
            check_plugin("classify")
        assert not failures(check_plugin("classify", kind="cell"))
        with pytest.raises(ConfigError, match="no task named 'elman'"):
            check_plugin("elman", kind="task")
        with pytest.raises(ConfigError, match="no plugin kind 'model'"):
            check_plugin("classify", kind="model")


def test_cli_check_exit_codes_and_reasons(capsys):
    with registered(cell(ElmanStep, "elman-ok"), cell(UnusedParameterStep, "elman-unused")):
        assert main(["plugins", "check", "elman-ok"]) == 0
        assert "9 of 9 checks passed" in capsys.readouterr().out
        assert main(["plugins", "check", "elman-unused", "--kind", "cell"]) == 1
        out = capsys.readouterr().out
        assert "FAIL" in out and "peephole" in out and "8 of 9" in out
        assert main(["plugins", "check", "elman-nope"]) == 2
        assert "elman-nope" in capsys.readouterr().err


def test_assert_conforms_checks_any_kind_features_included():
    from workbench_plugins.features import InWord, LinePosition

    from workbench.inspection.features import Feature, Passage
    from workbench.testing import assert_conforms

    class Short(Feature):
        name = "short"
        description = "one number too few"

        def values(self, passage: Passage) -> list[float]:
            return [0.0] * (len(passage.text) - 1)

    assert_conforms(LinePosition)
    assert_conforms(InWord)
    assert_conforms(cell(ElmanStep))
    with pytest.raises(AssertionError, match=r"breaks 1 of 2 checks:\n  - one number per character: short"):
        assert_conforms(Short)
