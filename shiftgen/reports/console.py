"""The terminal side of long commands: progress on stderr, tables on stdout.

:class:`Progress` subscribes to the job events of
:meth:`shiftgen.flows.jobs.Runner.run` (and to the flows' own ``plan`` and
``phase`` events) and shows a rich progress bar, with a line per finished
job. :func:`print_table` prints a :class:`~shiftgen.reports.tables.Table`.
With ``quiet`` (``--json``) nothing goes to stderr.
"""

import sys
import threading

__all__ = ["Progress", "print_table", "stage_printer"]


def stage_printer(quiet):
    """A ``progress(msg)`` callable for one build's stages: ``  .. msg`` on stderr."""
    if quiet:
        return None
    lock = threading.Lock()

    def say(msg):
        # One write per line, under a lock: a build's array check and its
        # synthesis report from two threads at once.
        with lock:
            sys.stderr.write(f"  .. {msg}\n")
            sys.stderr.flush()
    return say


class Progress:
    """A progress bar on stderr fed by flow events.

    Events (dicts with ``"event"``): ``plan`` (``total`` jobs to run, an
    optional ``message`` to print), ``stage`` (``name``, ``msg``: what a
    running job does), ``done`` (``name``, ``seconds``, optional
    ``cached``), ``error`` (``name``, ``message``), ``phase`` (``msg``: a
    step of the flow after its jobs).

    Parameters
    ----------
    label : str
        What the bar counts (``builds``, ``points``).
    quiet : bool
        Show nothing.
    """

    def __init__(self, label, *, quiet=False):
        self.label = label
        self.quiet = quiet
        self._bar = None
        self._task = None
        self._running = {}

    def __enter__(self):
        if self.quiet:
            return self
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                   SpinnerColumn, TextColumn, TimeElapsedColumn)
        self._bar = RichProgress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self._bar.__enter__()
        self._task = self._bar.add_task(self.label, total=None)
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False

    def _say(self, text):
        self._bar.console.print(text, highlight=False)

    def __call__(self, event):
        if self._bar is None:
            return
        bar, task = self._bar, self._task
        kind = event["event"]
        if kind == "plan":
            if event.get("message"):
                self._say(event["message"])
            bar.update(task, total=event["total"], visible=event["total"] > 0)
        elif kind == "stage":
            self._running[event["name"]] = event["msg"]
        elif kind == "done":
            self._running.pop(event["name"], None)
            how = "reused" if event.get("cached") else f"{event['seconds']:.1f} s"
            self._say(f"  {event['name']}: {how}")
            bar.advance(task)
        elif kind == "error":
            self._running.pop(event["name"], None)
            self._say(f"  {event['name']}: [red]failed[/red]: {event['message']}")
            bar.advance(task)
        elif kind == "phase":
            self._running = {"": event["msg"]}
        now = "; ".join(f"{n}: {m}" if n else m for n, m in self._running.items())
        bar.update(task, description=f"{self.label} [dim]{now}[/dim]" if now else self.label)


def print_table(table, **options):
    """Print ``table`` on stdout with rich (160 columns when stdout is not a terminal)."""
    from rich.console import Console
    console = Console()
    if not console.is_terminal:  # a file or pipe: no 80-column limit
        console = Console(width=160)
    console.print(table.rich(**options))
