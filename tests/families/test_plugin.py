"""A seventh family defined here, in one module, goes through every command.

``Ternary`` is a ternary-weight family (levels -1, 0, +1; the threshold rule
of ternary weight networks): codebook, quantizer and scale rule, PE, plot
style and a command of its own. Registered with
:func:`shiftgen.families.register`, it is built, proved, quantized, swept
and plotted with no change anywhere else.
"""

import json
from dataclasses import dataclass

import numpy as np
import pytest
from amaranth.hdl import Mux
from amaranth.lib import data

from shiftgen import families
from shiftgen.cli import main
from shiftgen.codebook import Codebook, sign_magnitude
from shiftgen.families.base import Family, Quantized
from shiftgen.hdl.pe import MacPE
from shiftgen.hdl.sign import negate_if
from shiftgen.spec import load_spec
from shiftgen.spec.schema import option


@dataclass(frozen=True)
class TernaryParams:
    """``threshold``: weights below ``threshold * mean|W|`` become 0."""
    threshold: float = option(float, default=0.7, above=0, max=1)


class TernaryPE(MacPE):
    """``acc <- acc + (-1)**sign * (a if mag else 0)``: a gate, an inversion and a carry."""

    def __init__(self, spec, *, assertions=False):
        self.weight_shape = data.StructLayout({"mag": 1, "sign": 1})
        super().__init__(spec, assertions=assertions)

    def product(self, m):
        a = self.act_as_signed()
        live = self.w.sign & self.w.mag
        return negate_if(Mux(self.w.mag, a, 0).as_signed(), live)


def _threshold_command(args):
    print(json.dumps({"threshold": args.value * 2}) if args.json else f"{args.value * 2}")
    return 0


class Ternary(Family):
    name = "ternary"
    Params = TernaryParams
    PE = TernaryPE
    weight_bits = (2, 2)
    scale_rule = "mean |w| over the weights kept (ternary weight networks)"
    plot_style = ("*", "#332288")

    def codebook(self, params, weight_bits):
        return Codebook(family=self.name, weight_bits=weight_bits, F=0,
                        multipliers=sign_magnitude(weight_bits, [0, 1]),
                        params={"threshold": params.threshold},
                        fields={"mag": 1, "sign": 1})

    def quantize(self, spec, weights, alpha=None):
        w = np.asarray(weights, dtype=np.float64)
        mag = np.abs(w)
        keep = mag > spec.params.threshold * (mag.mean() if mag.size else 0)
        if alpha is None:
            alpha = float(mag[keep].mean()) if keep.any() else 1.0
        codes = keep.astype(np.int64) | ((keep & (w < 0)).astype(np.int64) << 1)
        return Quantized(codes, alpha, spec.codebook)

    def add_commands(self, subparsers, parents):
        p = subparsers.add_parser("ternary-double", parents=[parents["json"]],
                                  help="twice a number (a family's own command)")
        p.add_argument("value", type=float)
        p.set_defaults(func=_threshold_command)


SPEC = """\
name: ternary_pe
family: ternary
pe: {act_bits: 6, weight_bits: 2, acc_bits: 12}
params: {threshold: 0.5}
"""


@pytest.fixture
def ternary(tmp_path, monkeypatch):
    """The family registered for one test (and the spec file of a PE of it)."""
    monkeypatch.setattr(families, "FAMILIES", dict(families.FAMILIES))
    families.register(Ternary())
    # The modules that read FAMILIES at call time see the same dict.
    path = tmp_path / "ternary_pe.yaml"
    path.write_text(SPEC)
    return path


def test_register_refuses_a_taken_name_and_a_bad_one(ternary):
    with pytest.raises(ValueError, match="is taken"):
        families.register(type("Other", (Ternary,), {})())
    with pytest.raises(ValueError, match="lowercase identifier"):
        families.register(type("Bad", (Ternary,), {"name": "Bad-1"})())
    with pytest.raises(TypeError):
        families.register("ternary")


def test_build_and_formal_proof(ternary, tmp_path, capsys):
    out = tmp_path / "build"
    assert main(["build", str(ternary), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["family"] == "ternary"
    assert report["verification"]["amaranth_sim"]["mismatches"] == 0
    assert report["verification"]["amaranth_sim"]["exhaustive"]
    assert report["targets"]["xilinx7"]["LUT"] > 0
    assert main(["verify", str(ternary), "--formal", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verification"]["formal"]["result"] == "proved"
    assert report["verification"]["formal_xilinx7"]["result"] == "proved"


def test_quantize(ternary, tmp_path, capsys):
    w = np.random.default_rng(5).normal(size=(8, 4))
    np.save(tmp_path / "w.npy", w)
    out = tmp_path / "q"
    assert main(["quantize", str(ternary), "--weights", str(tmp_path / "w.npy"),
                 "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["family"] == "ternary" and doc["shape"] == [8, 4]
    codes = np.load(out / "codes.npy")
    spec = load_spec(ternary)
    assert np.array_equal(codes, spec.family.quantize(spec, w).codes)
    assert set(spec.codebook.table[codes].ravel()) <= {-1, 0, 1}


def test_its_own_command(ternary, capsys):
    assert main(["ternary-double", "2.5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"threshold": 5.0}


def test_a_sweep_point_and_the_plots(ternary, tmp_path):
    from shiftgen.flows.sweep import parse_grid, run_sweep
    grid = parse_grid("name: tern\nweights: {count: 256}\npoints:\n"
                      "  - family: ternary\n    pe: {act_bits: 4, weight_bits: 2, acc_bits: 8}\n"
                      "    grid: {params.threshold: [0.5, 0.9]}\n", path=tmp_path / "g.yaml")
    doc = run_sweep(grid, tmp_path / "sweep", jobs=1)
    assert [p["name"] for p in doc["points"]] == ["ternary_threshold0p5", "ternary_threshold0p9"]
    for p in doc["points"]:
        assert p["scale_rule"] == Ternary.scale_rule and p["snr_db"] > 0 and p["lut"] > 0
    assert (tmp_path / "sweep" / "pareto.png").stat().st_size > 0

    from shiftgen.reports.plots import family_style, levels_plot
    from shiftgen.weights.seeded import seeded_weights
    assert family_style("ternary") == Ternary.plot_style
    png, svg = levels_plot(load_spec(ternary), seeded_weights(1024, 1), tmp_path / "levels")
    assert png.stat().st_size > 0 and svg.stat().st_size > 0
