"""The build stage of a constant-weight array: back ends, export, checks, synthesis.

:func:`constant_stage` is the ``array`` stage of ``shiftgen build`` for
``array.dataflow: constant`` (:data:`shiftgen.hdl.dataflows.DATAFLOWS`
``stage``). For each back end the spec asks for (``auto``: every one
installed, :data:`~shiftgen.hdl.constant.BACKENDS`) it

1. makes the adder graph of the spec's codes (checked to compute
   ``codebook.table[codes]``) and exports it as ``backends/<backend>/<name>_array.v``;
2. checks it against ``golden.matmul`` with the same codes: the Amaranth
   simulator up to :data:`~shiftgen.verify.amaranth_sim.ARRAY_AMARANTH_LIMIT`
   cells, cocotb on Icarus above, plus the simulators asked for;
3. synthesizes it for ``xilinx7`` (:mod:`shiftgen.synth.constant`), while the
   checks run; the back end kept is synthesized for ``generic`` gates too, up to
   :data:`GENERIC_CELLS` cells, and mapped to the liberty, timed and powered
   (``array.targets.asic``) up to :data:`~shiftgen.synth.array_asic.CONSTANT_ADDERS`
   adders.

The back end with the best ``xilinx7`` merit is the array's (without
synthesis: :func:`~shiftgen.hdl.constant.default_backend`); its Verilog is
copied to ``<name>_array.v`` and its figures are ``array.targets.<target>.totals``.
The report names the weights (directory, ``weights.json`` fields and the
SHA-256 of the codes) and every back end's graph, checks and figures.
"""

import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ToolError
from ..export.array import array_name
from ..export.verilog import export
from ..hdl.constant import BACKENDS, ConstantArray, adder_graph, default_backend
from ..hdl.da4ml_graph import da4ml_available, da4ml_version
from ..synth.array_asic import array_asic_target
from ..synth.asic import DEFAULT_CLOCK_MHZ
from ..tools.process import parallel_map
from ..verify.amaranth_sim import ARRAY_AMARANTH_LIMIT, ARRAY_VECTORS, check_array
from ..verify.cocotb_runner import available, run_cocotb_array
from ..verify.schedule import random_jobs
from ..verify.verdict import Verdict
from ..weights.constant import constant_weights

__all__ = ["GENERIC_CELLS", "GENERIC_SKIPPED", "backends_of", "constant_stage"]

#: Largest array (``R * C``) whose kept back end is also mapped to generic gates.
GENERIC_CELLS = 256
#: Why a larger one is not, in the report.
GENERIC_SKIPPED = (f"not synthesized above {GENERIC_CELLS} cells: ABC's generic-gate mapping "
                   "of a 64 x 64 adder graph took 122 s for PoT and over 15 minutes for APoT "
                   "(measured), against 34..139 s for xilinx7")


def backends_of(spec):
    """The back ends a build of ``spec`` makes, and why any is left out.

    Returns
    -------
    (list of str, dict)
        The back ends, and ``{backend: reason}`` for those ``auto`` skips.

    Raises
    ------
    ToolError
        If the spec asks for ``da4ml`` and it is not installed.
    """
    asked = spec.array.backend
    if asked == "da4ml" and not da4ml_available():
        raise ToolError("array.backend da4ml: da4ml is not installed (pip install da4ml)")
    if asked != "auto":
        return [asked], {}
    skipped = {} if da4ml_available() else {"da4ml": "not installed (pip install da4ml)"}
    return [b for b in BACKENDS if b not in skipped], skipped


def _graph_summary(array):
    graph = array.graph
    return {"adders": len(graph.ops), "adder_bits": graph.adder_bits(), "depth": graph.depth(),
            "negated_outputs": sum(1 for t in graph.outputs if t is not None and t.negative),
            **({"pipeline_stages": array.stages, "latency": array.latency}
               if array.pipeline.every else {})}


def _latency(array):
    """The report's latency of ``array``, its pipeline stages named."""
    if not array.pipeline.every:
        return f"{array.latency} cycles for every column (input register, output register)"
    stages = array.stages
    return (f"{array.latency} cycles for every column (input register, {stages} pipeline "
            f"stage{'s' * (stages != 1)} of {array.pipeline.every} adder level"
            f"{'s' * (array.pipeline.every != 1)}, output register)")


def constant_stage(spec, tmp, *, synth, cocotb, say, work_root, part, pe_booth=None,
                   liberty=None, clock_mhz=DEFAULT_CLOCK_MHZ):
    """Build, check and synthesize ``spec``'s constant array in ``tmp``; its report section.

    The parameters are those of the build's array stage (``pe_booth`` is
    unused: a constant array has no multiplier). ``liberty`` and ``clock_mhz``
    are those of the kept back end's standard-cell figures (``array.targets.asic``,
    :func:`~shiftgen.synth.array_asic.array_asic_target`, mapped in the groups
    of columns its xilinx7 figures are).
    """
    from ..synth.constant import choose, parts, synthesize_backends, targets_section
    from ..synth.flow_files import recipe_scripts, write_flow_files
    cfg = spec.array
    weights = constant_weights(spec)
    backends, skipped = backends_of(spec)
    top = array_name(spec)
    arrays, verilog, graphs = {}, {}, {}
    for backend in backends:
        say(f"array {cfg.rows} x {cfg.cols}: {backend} adder graph and export")
        graph = adder_graph(spec, weights.codes, backend)
        arrays[backend] = ConstantArray(spec, backend, codes=weights.codes, graph=graph)
        graphs[backend] = _graph_summary(arrays[backend])
        out = tmp / "backends" / backend
        out.mkdir(parents=True)
        _, verilog[backend] = export(spec, arrays[backend], out, name=top, keep=True)
    jobs = random_jobs(spec, 1, ARRAY_VECTORS * 4, seed=2)
    use_icarus = cfg.rows * cfg.cols > ARRAY_AMARANTH_LIMIT and available("icarus")
    sims = tuple(dict.fromkeys((("icarus",) if use_icarus else ()) + tuple(cocotb)))

    def verify(backend):
        checks = {}
        if not use_icarus:
            say(f"array ({backend}): Amaranth simulator")
            checks["amaranth_sim"] = check_array(spec, dut=ConstantArray(
                spec, backend, codes=weights.codes, graph=arrays[backend].graph))
        for simulator in sims:
            if not available(simulator):
                checks[f"cocotb_{simulator}"] = {"result": Verdict.SKIPPED,
                                                 "reason": "not installed"}
                continue
            say(f"array ({backend}): cocotb {simulator}")
            with tempfile.TemporaryDirectory(prefix=".cocotb-array-", dir=work_root) as work:
                checks[f"cocotb_{simulator}"] = run_cocotb_array(
                    spec, verilog[backend], jobs, simulator, work_dir=Path(work))
        return checks

    def synthesize():
        # xilinx7 for every back end, side by side; the generic gates for the one kept.
        say(f"array: xilinx7 synthesis of {', '.join(backends)} (same recipe)")
        split = {b: parts(a.graph, cfg.pipeline) for b, a in arrays.items()}
        figures = synthesize_backends(verilog, top, ("xilinx7",), partitions=split)
        best = choose(figures)
        if cfg.rows * cfg.cols <= GENERIC_CELLS:
            say(f"array: generic synthesis of {best}")
            figures[best].update(synthesize_backends({best: verilog[best]}, top, ("generic",),
                                                     partitions=split)[best])
        return figures

    start = time.monotonic()
    stages = [lambda b=b: verify(b) for b in backends] + ([synthesize] if synth else [])
    results = parallel_map(lambda stage: stage(), stages, 2)
    checks = dict(zip(backends, results))
    figures = results[len(backends)] if synth else None
    chosen = choose(figures) if synth else default_backend(spec)
    if chosen not in backends:
        chosen = backends[0]
    shutil.copyfile(verilog[chosen], tmp / f"{top}.v")
    section = {"rows": cfg.rows, "cols": cfg.cols, "dataflow": cfg.dataflow,
               "decoder": cfg.decoder, "psum_bits": arrays[chosen].psum_bits,
               **({"pipeline": cfg.pipeline} if cfg.pipeline else {}),
               "latency": _latency(arrays[chosen]),
               "verilog": f"{top}.v", "top": top, "cell": top, "unit": "array",
               "weights": weights.summary(), "backend": chosen,
               "backend_choice": ("smallest xilinx7 LUT, FF, CARRY4 of the back ends "
                                  "synthesized" if synth and len(backends) > 1 else
                                  f"array.backend: {cfg.backend}" if cfg.backend != "auto"
                                  else "default (no synthesis)"),
               "backends": {b: {"graph": graphs[b], "verilog": f"backends/{b}/{top}.v",
                                "verification": checks[b],
                                **({"version": da4ml_version()} if b == "da4ml" else {}),
                                **({"targets": {t: {k: v for k, v in f.items() if k != "cells"}
                                                for t, f in figures[b].items()}}
                                   if synth else {})}
                            for b in backends},
               **({"skipped_backends": skipped} if skipped else {}),
               "verification": checks[chosen]}
    if synth:
        section["targets"] = targets_section(figures, chosen, time.monotonic() - start)
        if "generic" not in section["targets"]:
            section["targets"]["generic"] = {"skipped": GENERIC_SKIPPED}
        say(f"array: ASIC area, timing and power of {chosen} (standard cells)")
        whole = tmp / f"{top}.v"
        section["targets"]["asic"] = array_asic_target(
            spec, tmp, {"verilog": whole, "cell": whole, "top": whole, "cell_name": top,
                        "top_name": top}, liberty=liberty, clock_mhz=clock_mhz,
            partition=parts(arrays[chosen].graph, cfg.pipeline),
            adders=len(arrays[chosen].graph.ops))
    write_flow_files(tmp, name=top, top=top, verilog_files=[f"{top}.v"], part=part,
                     prefix="array_", report_path="array.targets.{target}",
                     recipes=recipe_scripts([f"{top}.v"], top,
                                            partition=parts(arrays[chosen].graph, cfg.pipeline))
                     if synth else None,
                     description=f"{top}: {cfg.rows} x {cfg.cols} constant-weight array "
                                 f"({chosen} back end) generated by shiftgen")
    return section
