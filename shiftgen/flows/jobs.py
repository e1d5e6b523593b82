"""Run independent jobs: in this process, in a pool of local processes, or on Dask.

``shiftgen compare`` and ``shiftgen sweep`` only plan jobs and render their
results; this module runs them, the same way on every backend:

- a job is a module-level function and its arguments (:class:`Job`), so it
  can be pickled to a worker process or a Dask worker;
- the function is called with a ``progress`` keyword, a callable that takes
  a short message about the stage it is in;
- whatever the job raises is caught where it ran and comes back as one line
  (:attr:`Outcome.error`), so a failing job never stops the others, and a
  local pool and a Dask cluster report failures alike;
- the caller subscribes to progress :func:`events <Runner.run>` (a rich
  display, :class:`shiftgen.reports.console.Progress`, or plain lines).

Dask workers report no stages (only when a job ends).
"""

import multiprocessing
import queue as queue_mod
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

from ..errors import InputError, ShiftgenError, ToolError

__all__ = ["Job", "Outcome", "Runner"]


def _one_line(e):
    text = str(e) if isinstance(e, ShiftgenError) else f"{type(e).__name__}: {e}"
    return " ".join(text.split())


@dataclass(frozen=True)
class Job:
    """One independent piece of work.

    Members
    -------
    name : str
        Unique among the jobs of a run; names the job in events and results.
    fn : callable
        A module-level function, called as ``fn(*args, progress=...)``.
    args : tuple
        Picklable arguments.
    """
    name: str
    fn: object
    args: tuple = ()


@dataclass(frozen=True)
class Outcome:
    """What a job gave: its return value, or the one-line error it raised.

    Members
    -------
    name : str
    result : object
        The function's return value (``None`` on error).
    error : str or None
        ``"<message>"`` for a :class:`~shiftgen.errors.ShiftgenError`, else
        ``"<Type>: <message>"``.
    seconds : float
        Wall time of the call where it ran.
    """
    name: str
    result: object = None
    error: object = None
    seconds: float = 0.0

    @property
    def ok(self):
        return self.error is None


def _call(job, sink=None):
    """Run ``job`` where it landed; never raises (but on an interrupt)."""
    def progress(msg):
        if sink is not None:
            sink.put((job.name, msg))
    start = time.monotonic()
    try:
        result = job.fn(*job.args, progress=progress)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - one line, carried back like a result
        return Outcome(job.name, error=_one_line(e), seconds=time.monotonic() - start)
    return Outcome(job.name, result=result, seconds=time.monotonic() - start)


def _outcome(future, job):
    """The :class:`Outcome` a finished future holds (an error when the worker died)."""
    try:
        return future.result()
    except Exception as e:  # noqa: BLE001 - the worker died: that job failed
        return Outcome(job.name, error=_one_line(e))


class _Direct:
    """A queue-like sink for jobs run in this process: forwards at once."""
    def __init__(self, emit):
        self.emit = emit

    def put(self, item):
        name, msg = item
        self.emit({"event": "stage", "name": name, "msg": msg})


@dataclass
class Runner:
    """Where jobs run.

    Parameters
    ----------
    jobs : int
        Worker processes of the local pool; 1 runs the jobs in this process,
        one after the other.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``) to run
        the jobs on instead.

    Raises
    ------
    InputError
        If ``jobs`` is below 1.
    """
    jobs: int = 2
    scheduler: object = None

    def __post_init__(self):
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise InputError(f"--jobs must be at least 1, not {self.jobs}")

    @property
    def backend(self):
        """The backend in words (``local (2 processes)``, ``dask tcp://...``)."""
        if self.scheduler:
            return f"dask {self.scheduler}"
        return "local (in this process)" if self.jobs == 1 else f"local ({self.jobs} processes)"

    def run(self, jobs, on_event=None, on_outcome=None):
        """Run every job; returns ``{name: Outcome}`` in the order of ``jobs``.

        ``on_event`` is called, in this process, with ``{"event": "stage",
        "name", "msg"}`` as a job reports a stage and ``{"event": "done",
        "name", "seconds"}`` or ``{"event": "error", "name", "message"}`` as
        it ends; ``on_outcome`` with its :class:`Outcome` just before, so a
        caller can keep each result as it comes (an interrupted run keeps
        what finished).

        Raises
        ------
        ToolError
            If the Dask scheduler cannot be reached.
        """
        jobs = list(jobs)
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"Job names must be unique, not {names!r}")
        emit = on_event or (lambda event: None)
        outcomes = {}

        def finished(outcome):
            outcomes[outcome.name] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
            if outcome.ok:
                emit({"event": "done", "name": outcome.name, "seconds": outcome.seconds})
            else:
                emit({"event": "error", "name": outcome.name, "message": outcome.error})

        if not jobs:
            return {}
        if self.scheduler:
            self._run_dask(jobs, finished)
        elif self.jobs == 1 or len(jobs) == 1:
            for job in jobs:
                finished(_call(job, _Direct(emit)))
        else:
            self._run_local(jobs, emit, finished)
        return {name: outcomes[name] for name in names}

    def _run_local(self, jobs, emit, finished):
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager:
            sink = manager.Queue()

            def drain():
                while True:
                    try:
                        name, msg = sink.get_nowait()
                    except queue_mod.Empty:
                        return
                    emit({"event": "stage", "name": name, "msg": msg})

            workers = min(self.jobs, len(jobs))
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                pending = {pool.submit(_call, job, sink): job for job in jobs}
                try:
                    while pending:
                        done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                        drain()
                        for future in done:
                            finished(_outcome(future, pending.pop(future)))
                except BaseException:
                    for future in pending:
                        future.cancel()
                    raise
                drain()

    def _run_dask(self, jobs, finished):
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise ToolError("--scheduler needs Dask distributed: pip install "
                            "'dask[distributed]'") from None
        try:
            client = Client(self.scheduler, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ToolError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                            f"{first}") from None
        with client:
            by_key = {}
            futures = []
            for job in jobs:
                future = client.submit(_call, job, pure=False)
                by_key[future.key] = job
                futures.append(future)
            try:
                for future in as_completed(futures, loop=client.loop):
                    finished(_outcome(future, by_key[future.key]))
            except BaseException:
                client.cancel(futures)
                raise
