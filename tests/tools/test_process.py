"""The one process runner: output, exit status, timeouts that take the children along."""

import sys
import time

import pytest

from shiftgen.errors import ToolError
from shiftgen.tools.process import parallel_map, run


def test_output_and_status():
    done = run([sys.executable, "-c", "import sys; print('out'); print('E: bad', file=sys.stderr);"
                                      " sys.exit(3)"])
    assert done.returncode == 3 and done.stdout == "out\n" and not done.timed_out
    assert done.first_line("E:") == "E: bad" and done.first_line() == "E: bad"


def test_stdin_and_missing_program():
    assert run([sys.executable, "-c", "print(input())"], stdin="hi\n").stdout == "hi\n"
    with pytest.raises(ToolError, match="cannot run"):
        run(["/nonexistent/tool"])


def test_timeout_kills_the_tool_and_its_children():
    start = time.monotonic()
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', " \
             "'import time; time.sleep(60)']); time.sleep(60)"
    done = run([sys.executable, "-c", script], timeout=1)
    assert done.timed_out and time.monotonic() - start < 20


def test_parallel_map_keeps_order():
    assert parallel_map(lambda x: x * 2, [3, 1, 2], 2) == [6, 2, 4]
