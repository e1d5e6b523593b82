# amaranth: UnusedElaboratable=no
"""The combinational datapath (product and accumulator adder, no register) against the golden model."""

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from shiftgen.golden import mac_step
from shiftgen.hdl.datapath import MacDatapath
from shiftgen.spec import load_spec

from ..support import ROOT

# Every family whose PE has no programmable decoder (SQ's table is registers).
STEMS = ["pot_4bit", "apot_4bit", "uniform_4x8", "jlq_3bit", "ausn_8x4", "ausn_8x4_decoder"]


def rtl_datapath(spec, acc, a, w):
    dut = MacDatapath(spec)
    got = []

    async def bench(ctx):
        for x, y, z in zip(acc.tolist(), a.tolist(), w.tolist()):
            ctx.set(dut.acc_in, x)
            ctx.set(Value.cast(dut.a), y)  # the raw code of a layout port
            ctx.set(Value.cast(dut.w), z)
            got.append(ctx.get(dut.acc_out))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return np.array(got, dtype=np.int64)


@pytest.mark.parametrize("stem", STEMS)
def test_every_pair_adds_what_one_pe_step_adds(stem):
    spec = load_spec(ROOT / "specs" / f"{stem}.yaml")
    inputs, _ = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    a, w = (v.ravel() for v in np.meshgrid(inputs, np.arange(1 << spec.pe.weight_bits),
                                           indexing="ij"))
    rng = np.random.default_rng(7)
    half = 1 << (spec.pe.acc_bits - 1)
    # Any accumulator value, the extremes among them (wrap-around or saturation).
    acc = rng.integers(-half, half, size=len(a))
    acc[:4] = [-half, half - 1, 0, -1]
    assert (rtl_datapath(spec, acc, a, w) == mac_step(spec.codebook, spec.pe, acc, a, w)).all()


def test_a_programmable_decoder_has_no_datapath_figure(tmp_path):
    from shiftgen.synth.asic import datapath_figures
    spec = load_spec(ROOT / "specs" / "sq_4bit.yaml")
    res = datapath_figures(spec, tmp_path, clock_mhz=100.0, liberty=None)
    assert res["area_um2"] is None and "registers" in res["reason"]
