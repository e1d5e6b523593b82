"""The one job runner: the same outcomes in this process and in local worker processes."""

import pytest

from shiftgen.errors import InputError, ToolError
from shiftgen.flows.jobs import Job, Outcome, Runner


def square(x, *, progress):
    progress(f"squaring {x}")
    return x * x


def fail(message, *, progress):
    raise ToolError(message)


def crash(*, progress):
    raise ZeroDivisionError("division by zero")


def _jobs():
    return [Job("a", square, (3,)), Job("b", fail, ("yosys failed: boom",)), Job("c", crash),
            Job("d", square, (4,))]


@pytest.mark.parametrize("jobs", [1, 2])
def test_outcomes_and_events(jobs):
    events, kept = [], []
    out = Runner(jobs=jobs).run(_jobs(), events.append, kept.append)
    assert list(out) == ["a", "b", "c", "d"]
    assert out["a"].result == 9 and out["d"].result == 16 and out["a"].ok
    # A ShiftgenError is its message; anything else carries its type.
    assert out["b"].error == "yosys failed: boom" and out["b"].result is None
    assert out["c"].error == "ZeroDivisionError: division by zero"
    assert sorted(o.name for o in kept) == ["a", "b", "c", "d"]
    assert all(isinstance(o, Outcome) for o in kept)
    stages = [e for e in events if e["event"] == "stage"]
    assert {(e["name"], e["msg"]) for e in stages} == {("a", "squaring 3"), ("d", "squaring 4")}
    ends = {e["name"]: e["event"] for e in events if e["event"] in ("done", "error")}
    assert ends == {"a": "done", "b": "error", "c": "error", "d": "done"}


def test_backend_names_and_bad_jobs():
    assert Runner(jobs=1).backend == "local (in this process)"
    assert Runner(jobs=3).backend == "local (3 processes)"
    assert Runner(scheduler="tcp://h:1").backend == "dask tcp://h:1"
    with pytest.raises(InputError, match="--jobs must be at least 1, not 0"):
        Runner(jobs=0)
    with pytest.raises(ValueError, match="unique"):
        Runner(jobs=1).run([Job("a", square, (1,)), Job("a", square, (2,))])
    assert Runner(jobs=2).run([]) == {}


def test_dask_cluster_gives_the_same_outcomes():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = Runner(scheduler=cluster.scheduler_address).run(_jobs())
    local = Runner(jobs=1).run(_jobs())
    assert {n: (o.result, o.error) for n, o in out.items()} == \
        {n: (o.result, o.error) for n, o in local.items()}
