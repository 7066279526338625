"""The `tensorboard` logger: TensorBoard event files in the run directory.

`tensorboard --logdir runs` then shows every run by its id: scalars `train/loss`,
`train/learning_rate`, `train/tokens_per_second` per step and `validation/<metric>` (and
`test/<metric>`) per evaluation; the samples as text; the run's settings (`cell.hidden_size`,
`train.learning_rate`, …) in the HParams tab, where runs are compared on them. The settings are
written as a session of their own; TensorBoard builds the table's columns from every run it finds.

TensorBoard is an optional extra (`pip install -e ".[tensorboard]"`); the writer is torch's
`torch.utils.tensorboard.SummaryWriter`, which needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.events import Evaluated, Event, RunFailed, RunFinished, RunStarted, Sampled, StepDone
from workbench.extras import require
from workbench.hookspecs import hookimpl
from workbench.loggers import Logger
from workbench.params import Param


class TensorBoardLogger(Logger):
    name = "tensorboard"
    description = "TensorBoard event files in the run directory: scalars, samples, settings as hparams."
    params = (
        Param("flush_seconds", float, 10.0, "longest wait before events reach the file, in seconds",
              min=0.1),
    )

    @classmethod
    def check_available(cls) -> None:
        require("tensorboard", "tensorboard", f"The {cls.name} logger")

    def __init__(self, run_dir: Path, options: dict[str, Any] | None = None):
        super().__init__(run_dir, options)
        self.check_available()
        self._writer: Any = None  # opened by RunStarted, which says from which step a resumed run goes on

    def log(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._start(event)
        writer = self._writer
        if writer is None:
            return
        if isinstance(event, StepDone):
            writer.add_scalar("train/loss", event.loss, event.step, walltime=event.time)
            writer.add_scalar("train/learning_rate", event.learning_rate, event.step, walltime=event.time)
            writer.add_scalar("train/tokens_per_second", event.tokens_per_second, event.step,
                              walltime=event.time)
        elif isinstance(event, Evaluated):
            for name, value in event.scalars().items():
                writer.add_scalar(f"{event.split}/{name}", value, event.step, walltime=event.time)
        elif isinstance(event, Sampled):
            writer.add_text("samples", _markdown(event.texts), event.step, walltime=event.time)
        elif isinstance(event, (RunFinished, RunFailed)):
            writer.file_writer.add_summary(_session_end(event), walltime=event.time)
            writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _start(self, event: RunStarted) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # A resumed run repeats the steps after its checkpoint: TensorBoard hides the first attempt's.
        purge = event.resumed_from_step + 1 if event.resumed_from_step else None
        self._writer = SummaryWriter(log_dir=str(self.run_dir), purge_step=purge,
                                     flush_secs=self.options["flush_seconds"])
        settings = {**settings_of(event.config), "parameters": event.parameters, "device": event.device}
        self._writer.file_writer.add_summary(_session_start(settings, event.time), walltime=event.time)


def settings_of(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config (the TOML layout) as flat `kind.option` names, so runs of different cells
    share columns: `cell.hidden_size`, not `gru.hidden_size`."""
    kinds = {config.get(kind): kind for kind in ("dataset", "cell", "task")}
    settings: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            prefix = kinds.get(key, key)
            settings.update({f"{prefix}.{name}": item for name, item in value.items()})
        else:
            settings[key] = value
    return {name: ", ".join(map(str, value)) if isinstance(value, list) else value
            for name, value in settings.items()}


def _markdown(texts: list[str]) -> str:
    """Each sample as a code block, so TensorBoard's markdown keeps its spaces and line breaks."""
    return "\n\n".join("\n".join("    " + line for line in text.splitlines() or [""]) for text in texts)


def _session_start(settings: dict[str, Any], start_time: float) -> Any:
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    info = plugin_data_pb2.SessionStartInfo(start_time_secs=start_time)
    for name, value in settings.items():
        if isinstance(value, bool):
            info.hparams[name].bool_value = value
        elif isinstance(value, (int, float)):
            info.hparams[name].number_value = value
        elif value is not None:
            info.hparams[name].string_value = str(value)
    return _hparams_summary(metadata.SESSION_START_INFO_TAG,
                            plugin_data_pb2.HParamsPluginData(session_start_info=info))


def _session_end(event: RunFinished | RunFailed) -> Any:
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    status = api_pb2.STATUS_SUCCESS if isinstance(event, RunFinished) else api_pb2.STATUS_FAILURE
    info = plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=event.time)
    return _hparams_summary(metadata.SESSION_END_INFO_TAG,
                            plugin_data_pb2.HParamsPluginData(session_end_info=info))


def _hparams_summary(tag: str, data: Any) -> Any:
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.plugins.hparams import metadata

    return Summary(value=[Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(data))])


@hookimpl
def register_loggers(register):
    register(TensorBoardLogger)
