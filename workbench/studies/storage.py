"""Where studies live: an Optuna storage that every worker of a study shares.

The default is embedded: an SQLite file in the runs directory (one person, one machine, no server).
`--storage URL` takes any database URL Optuna accepts; a PostgreSQL server lets workers on many
machines share one study. Connections give up after a few seconds with an error that names the
URL, so an unreachable server never looks like a hang. Heartbeats are on: a trial whose worker
stops beating is failed and queued again for another worker.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.runs.directory import default_runs_dir
from workbench.studies.extras import require
from workbench.studies.spec import StudySpec

STORAGE_FILE = "studies.sqlite3"
SPEC_ATTR = "workbench_study"  # the study's StudySpec as JSON, written once its trials are queued
CONNECT_TIMEOUT = 5  # seconds to reach a database server before saying it cannot be reached
MAX_RETRIES = 3  # times a trial whose worker died is queued again
SLOT_ATTR = "slot"  # which planned trial a trial is (kept by its retries)


class StudyError(WorkbenchError):
    """A storage that cannot be reached, a study that is missing or declared differently."""


def default_storage_url(runs_dir: Path | None) -> str:
    """The embedded storage: an SQLite file in the runs directory."""
    path = (Path(runs_dir) if runs_dir is not None else default_runs_dir()).resolve() / STORAGE_FILE
    return f"sqlite:///{path}"


def open_storage(url: str, heartbeat: int | None = None) -> Any:
    """An Optuna RDBStorage for `url`; with `heartbeat` (seconds), dead workers' trials are retried."""
    optuna = _quiet_optuna()
    sqlalchemy_url = _database_url(url)
    dialect = sqlalchemy_url.get_backend_name()
    if dialect == "sqlite":
        database = sqlalchemy_url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"timeout": 60}  # wait for another worker's write, not fail
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT}
    options: dict[str, Any] = {}
    if heartbeat is not None:
        options = {
            "heartbeat_interval": heartbeat,
            "grace_period": 3 * heartbeat,
            "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(MAX_RETRIES),
        }
    shown = sqlalchemy_url.render_as_string(hide_password=True)
    try:
        storage = optuna.storages.RDBStorage(
            sqlalchemy_url.render_as_string(hide_password=False),
            engine_kwargs={"connect_args": connect_args, "pool_pre_ping": True}, **options,
        )
    except require("sqlalchemy").exc.NoSuchModuleError:
        raise StudyError(f"--storage {shown}: unknown database kind {dialect!r}; use postgresql://, "
                         "mysql:// or sqlite:///.") from None
    except ImportError:
        raise StudyError(f"The storage {shown} needs a database driver that is not installed: the studies "
                         'extra brings PostgreSQL\'s (`pip install -e ".[studies]"`).') from None
    except Exception as error:  # noqa: BLE001 - any driver's failure to connect becomes one clear error
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise StudyError(f"Cannot reach the study storage {shown}: {reason}. Check that the server is "
                         "running and the host, port, database, user and password are right.") from None
    if dialect == "sqlite":
        _serialise(storage.engine)
    return storage


def _serialise(engine: Any) -> None:
    """Make every SQLite transaction take the write lock when it begins.

    Python's sqlite3 runs a SELECT outside any transaction, so two workers can both read a queued
    trial as waiting and both claim it. Beginning each transaction with BEGIN IMMEDIATE (the
    SQLAlchemy recipe for SQLite) makes the read and the claim one step. PostgreSQL needs nothing:
    Optuna claims trials with SELECT ... FOR UPDATE, which it honours.
    """
    event = require("sqlalchemy").event

    def on_connect(connection: Any, record: Any) -> None:
        connection.isolation_level = None  # the driver stops issuing its own BEGIN

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    engine.dispose()  # connections opened while Optuna made its tables get the settings too


def _database_url(url: str) -> Any:
    """The URL as SQLAlchemy reads it; plain `postgresql://` uses psycopg (version 3), the driver
    the studies extra installs, whatever SQLAlchemy's default for that scheme is."""
    sqlalchemy = require("sqlalchemy")
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise StudyError(f"--storage {url!r} is not a database URL: give e.g. postgresql://user:password"
                         "@host:5432/studies or sqlite:///path/studies.sqlite3.") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _quiet_optuna() -> Any:
    """Optuna, with its per-trial log lines (a failed trial's traceback among them) and
    experimental-feature warnings turned off: the workbench reports trials itself."""
    optuna = require("optuna")
    optuna.logging.set_verbosity(logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def create_study(url: str, spec: StudySpec) -> None:
    """Create the study with every planned trial queued, or check that the existing one under the
    same name was declared the same way (refused, naming the difference, when it was not)."""
    optuna = _quiet_optuna()
    storage = open_storage(url)
    try:
        study = optuna.create_study(study_name=spec.name, storage=storage, direction=spec.direction)
    except optuna.exceptions.DuplicatedStudyError:
        differences = spec.differences(read_spec(storage, spec.name, wait=30.0))
        if differences:
            raise StudyError(f"A study named {spec.name!r} already exists and was declared differently: "
                             f"{'; '.join(differences)}. Give this study another name, or declare it "
                             "as it was to continue it.") from None
        return
    for slot, params in enumerate(spec.planned_params()):
        study.enqueue_trial(params, user_attrs={SLOT_ATTR: slot})
    study.set_user_attr(SPEC_ATTR, spec.to_json())  # last: workers start only on a complete queue


def connect(url: str, name: str, wait: float = 30.0) -> tuple[Any, StudySpec]:
    """Study `name` with its declared sampler and pruner, on a storage with the study's heartbeat."""
    optuna = _quiet_optuna()
    spec = read_spec(open_storage(url), name, wait)
    samplers = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}
    pruners = {"none": optuna.pruners.NopPruner(),
               "median": optuna.pruners.MedianPruner(n_startup_trials=spec.pruner_startup)}
    study = optuna.load_study(study_name=name, storage=open_storage(url, spec.heartbeat),
                              sampler=samplers[spec.sampler](), pruner=pruners[spec.pruner])
    return study, spec


def read_spec(storage: Any, name: str, wait: float = 0.0) -> StudySpec:
    """The declaration stored with study `name`; waits up to `wait` seconds for a study whose
    trials are still being queued by the process that created it."""
    optuna = _quiet_optuna()
    deadline = time.monotonic() + wait
    while True:
        try:
            attrs = optuna.load_study(study_name=name, storage=storage).user_attrs
        except KeyError:
            names = ", ".join(sorted(s.study_name for s in optuna.get_all_study_summaries(storage))) or "none"
            raise StudyError(f"There is no study named {name!r} in this storage (studies there: {names}); "
                             "check the name and --storage.") from None
        if SPEC_ATTR in attrs:
            return _spec(name, attrs[SPEC_ATTR])
        if time.monotonic() >= deadline:
            raise StudyError(f"Study {name!r} was not made by the workbench (or its creation did not "
                             "finish): it has no declaration. Create it with `workbench study create`.")
        time.sleep(0.5)


def list_specs(url: str) -> list[tuple[Any, StudySpec]]:
    """Every workbench study in the storage (summary, declaration), oldest first."""
    optuna = _quiet_optuna()
    studies = []
    for summary in optuna.get_all_study_summaries(open_storage(url)):
        spec = summary.user_attrs.get(SPEC_ATTR)
        if spec:
            studies.append((summary, _spec(summary.study_name, spec)))
    return studies


def _spec(name: str, stored: Any) -> StudySpec:
    try:
        return StudySpec.from_json(stored)
    except (KeyError, TypeError, ValueError):
        raise StudyError(f"Study {name!r} was declared by another version of the workbench and cannot "
                         "be read by this one; use that version, or run the study again under a new "
                         "name.") from None
