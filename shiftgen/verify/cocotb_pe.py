"""cocotb tests of an exported PE, generic over its codebook.

The same checks as the Amaranth simulator run on the exported Verilog, in
Icarus or Verilator: every (activation, weight code) pair as one step, and
random sequences with ``en`` toggling, resets and wrap-around, all compared
with the golden model (:mod:`shiftgen.golden`) fed from ``codebook.json``.

Environment (set by :func:`shiftgen.verify.cocotb_runner.run_cocotb`):
``SHIFTGEN_SPEC`` (spec file), ``SHIFTGEN_CODEBOOK`` (``codebook.json``),
``SHIFTGEN_SUMMARY`` (where to write the counts as JSON),
``SHIFTGEN_RANDOM_STEPS`` and ``SHIFTGEN_EXHAUSTIVE`` (``0`` to skip).
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from ..codebook import Codebook
from ..golden import mac_run
from .stimulus import Stimulus, exhaustive_stimulus, random_stimulus
from ..spec import load_spec

__all__ = ["pe_exhaustive", "pe_random", "pe_reload"]


def _load():
    spec = load_spec(os.environ["SHIFTGEN_SPEC"])
    codebook = Codebook.from_json(Path(os.environ["SHIFTGEN_CODEBOOK"]).read_text())
    # codebook.json is the source of truth; the spec must agree with it.
    assert codebook == spec.codebook, "codebook.json does not match the spec"
    return spec, codebook


async def _write(dut, writes):
    """Apply decoder writes (:attr:`Codebook.setup`), one edge each, ``en`` low."""
    for write in writes:
        dut.en.value = 0
        for port, value in write.items():
            getattr(dut, port).value = value
        await FallingEdge(dut.clk)
        for port in write:
            getattr(dut, port).value = 0


async def _drive(dut, spec, stimulus, codebook, start_clock=True):
    """Apply ``stimulus``, one clock edge per step; return acc after each edge.

    The codebook's setup writes come first when the clock starts. A port is
    written only when its value changes, and one trigger object serves every
    edge: the simulator, not Python, should take the time.
    """
    cfg = spec.pe
    a_mask = (1 << cfg.act_bits) - 1
    got = np.empty(len(stimulus), dtype=np.int64)
    if start_clock:
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        # Inputs change on the falling edge; acc is read on the next falling edge,
        # half a period after the rising edge that updated it.
        await FallingEdge(dut.clk)
        await _write(dut, codebook.setup)
    ports = (dut.a, dut.w, dut.en, dut.rst)
    acc = dut.acc
    falling = FallingEdge(dut.clk)
    last = [None] * 4
    rows = zip((stimulus.a & a_mask).tolist(), stimulus.w.tolist(),
               stimulus.en.astype(int).tolist(), stimulus.rst.astype(int).tolist())
    for t, row in enumerate(rows):
        for k, value in enumerate(row):
            if value != last[k]:
                ports[k].value = value
                last[k] = value
        await falling
        got[t] = acc.value.to_signed()
    return got


def _record(name, stimulus, got, expected):
    mismatches = int(np.count_nonzero(got != expected))
    path = os.environ.get("SHIFTGEN_SUMMARY")
    if path:
        summary = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        summary[name] = {"cases": len(stimulus), "mismatches": mismatches}
        Path(path).write_text(json.dumps(summary))
    if mismatches:
        t = int(np.flatnonzero(got != expected)[0])
        raise AssertionError(
            f"{mismatches} mismatches; first at step {t}: a={stimulus.a[t]} w={stimulus.w[t]} "
            f"en={int(stimulus.en[t])} rst={int(stimulus.rst[t])} "
            f"acc={got[t]} expected {expected[t]}")


@cocotb.test(skip=os.environ.get("SHIFTGEN_EXHAUSTIVE", "1") == "0")
async def pe_exhaustive(dut):
    """Every (activation, weight code) pair, each as one accumulation step."""
    spec, codebook = _load()
    stimulus = exhaustive_stimulus(spec)
    got = await _drive(dut, spec, stimulus, codebook)
    _record("exhaustive", stimulus, got, stimulus.expected(spec))


@cocotb.test()
async def pe_random(dut):
    """Random sequences with en toggling, resets and wrap-around."""
    spec, codebook = _load()
    steps = int(os.environ.get("SHIFTGEN_RANDOM_STEPS", "4000"))
    stimulus = random_stimulus(spec, steps, seed=int(os.environ.get("SHIFTGEN_SEED", "1")))
    got = await _drive(dut, spec, stimulus, codebook)
    _record("random", stimulus, got, stimulus.expected(spec))


@cocotb.test(skip=not os.environ.get("SHIFTGEN_HAS_SETUP"))
async def pe_reload(dut):
    """A programmable decoder reloaded between two accumulations, without a reset."""
    spec, codebook = _load()
    first = random_stimulus(spec, 500, seed=11, p_rst=0)
    second = random_stimulus(spec, 500, seed=12, p_rst=0)
    second.rst[0] = False  # the accumulation carries on across the reload
    got1 = await _drive(dut, spec, first, codebook)
    setup, reloaded = codebook.reloaded()
    await _write(dut, setup)
    got2 = await _drive(dut, spec, second, reloaded, start_clock=False)
    exp1 = mac_run(codebook, spec.pe, first.a, first.w, first.en, first.rst)
    exp2 = mac_run(reloaded, spec.pe, second.a, second.w, second.en, second.rst,
                   acc0=int(exp1[-1]))
    both = Stimulus(np.concatenate([first.a, second.a]), np.concatenate([first.w, second.w]),
                    np.concatenate([first.en, second.en]),
                    np.concatenate([first.rst, second.rst]))
    _record("reload", both, np.concatenate([got1, got2]), np.concatenate([exp1, exp2]))
