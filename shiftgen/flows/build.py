"""Build a spec: export, codebook, verification, synthesis and report.

Output goes to a hidden directory beside the target (``.<name>.partial-<pid>-*``)
and is renamed into place only when complete, so an interrupted or failed run
never leaves half-written output and never replaces a good earlier build. A
build whose checks fail is installed as ``<name>.failed`` instead, beside the
good one, as evidence. What a killed run (``SIGKILL``, power loss) leaves
behind is cleared by the next build of the same name.
"""

import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ShiftgenError
from ..files import StagedDir, recover
from ..verify.verdict import Verdict, report_failures
from ..export.verilog import export
from ..verify.formal import prove
from ..verify.cocotb_runner import SIMULATORS, available, cocotb_checks
from ..reports.build_report import dumps, make_report, report_markdown
from ..verify.amaranth_sim import ARRAY_AMARANTH_LIMIT, ARRAY_VECTORS, check_array, check_pe
from ..synth.pe import synthesize
from ..tools.process import parallel_map
from ..tools.yosys import find_yosys

__all__ = ["build", "verify_rtl"]

def _array_stage(spec, tmp, *, synth, cocotb, say, work_root, part, pe_booth=None,
                 liberty=None, clock_mhz=None):
    """Export, check and synthesize the spec's array; returns its report section.

    ``pe_booth``: the PE's winning candidates (:func:`~shiftgen.synth.flow_files.booth_choice`),
    which a broadcast column that multiplies runs alone. ``liberty`` and
    ``clock_mhz``: those of the ASIC figures (``array.targets.asic``,
    :func:`~shiftgen.synth.array_asic.array_asic_target`), as :func:`build` takes them.
    """
    from ..export.array import export_array
    from ..hdl.array import psum_bits
    from ..hdl.dataflows import dataflow
    from ..synth.asic import DEFAULT_CLOCK_MHZ
    from ..synth.array_asic import array_asic_target
    cfg = spec.array
    flow = dataflow(spec)
    clock_mhz = clock_mhz or DEFAULT_CLOCK_MHZ
    if flow.stage is not None:  # built without a unit module (dataflow: constant)
        return flow.stage(spec, tmp, synth=synth, cocotb=cocotb, say=say, work_root=work_root,
                          part=part, pe_booth=pe_booth, liberty=liberty, clock_mhz=clock_mhz)
    say(f"array {cfg.rows} x {cfg.cols}: export")
    exported = export_array(spec, tmp)
    section = {"rows": cfg.rows, "cols": cfg.cols, "dataflow": cfg.dataflow,
               "decoder": cfg.decoder, "psum_bits": psum_bits(spec),
               **({"pipeline": cfg.pipeline, "chain": cfg.chain}
                  if cfg.dataflow == "broadcast" else {}),
               "latency": flow.latency(cfg),
               "verilog": exported["verilog"].name, "top": exported["top_name"],
               "cell": exported["cell_name"], "unit": flow.unit}
    from ..verify.schedule import random_jobs
    from ..verify.cocotb_runner import run_cocotb_array
    jobs = random_jobs(spec, 2, ARRAY_VECTORS, seed=2)
    # The Amaranth simulator elaborates every cell in Python: fine up to 16 x 16,
    # minutes at 64 x 64, where Icarus on the exported Verilog takes seconds.
    use_icarus = cfg.rows * cfg.cols > ARRAY_AMARANTH_LIMIT and available("icarus")
    if use_icarus and "icarus" not in cocotb:
        cocotb = ("icarus", *cocotb)

    def verify():
        checks = {}
        if not use_icarus:
            say("array: Amaranth simulator")
            checks["amaranth_sim"] = check_array(spec)
        for simulator in cocotb:
            if not available(simulator):
                checks[f"cocotb_{simulator}"] = {"result": Verdict.SKIPPED, "reason": "not installed"}
                continue
            say(f"array: cocotb {simulator}")
            with tempfile.TemporaryDirectory(prefix=".cocotb-array-", dir=work_root) as work:
                checks[f"cocotb_{simulator}"] = run_cocotb_array(
                    spec, exported["verilog"], jobs, simulator, work_dir=Path(work))
        return checks

    def synthesize():
        from ..synth.array import synthesize_array
        say(f"array: hierarchical synthesis ({flow.unit}"
            f"{' in its edge contexts' if flow.unit == 'cell' else ' and top'})")
        # Edge contexts: the cell alone maps worse than in the array (ABC9 on
        # some APoT/AUSN cells: +19..27 % LUT), and the edges optimize. A
        # broadcast column has no edge context: every column sees the same ports.
        return synthesize_array(spec, tmp, exported=exported, edges=flow.unit == "cell",
                                pe_booth=pe_booth if flow.unit == "column" else None)

    def asic():
        say("array: ASIC area, timing and power (standard cells, "
            f"{flow.unit}{' in its edge contexts' if flow.unit == 'cell' else ''} and top)")
        return array_asic_target(spec, tmp, exported, liberty=liberty, clock_mhz=clock_mhz,
                                 pe_booth=pe_booth if flow.unit == "column" else None)

    # The simulators, Yosys and OpenSTA are separate processes: the checks run
    # while the array synthesizes, for the LUTs and for the standard cells.
    stages = [verify] + ([synthesize, asic] if synth else [])
    results = parallel_map(lambda stage: stage(), stages, len(stages))
    section["verification"] = results[0]
    if synth:
        section["targets"] = {**results[1], "asic": results[2]}
    from ..synth.flow_files import recipe_scripts, write_flow_files, write_yosys_scripts
    top = exported["top_name"]
    write_flow_files(tmp, name=top, top=top, verilog_files=[exported["verilog"].name],
                     part=part, lint_waivers=("DECLFILENAME", "PINMISSING"), prefix="array_",
                     description=f"{top}: {cfg.rows} x {cfg.cols} "
                                 f"{cfg.dataflow.replace('_', '-')} array generated by shiftgen")
    if synth:
        t = section["targets"]
        write_yosys_scripts(tmp, recipe_scripts(
            [exported["cell"].name], exported["cell_name"],
            booth={k: t[k]["candidate"] == "booth" for k in ("xilinx7", "generic")},
            partition=flow.partition(cfg)),
            prefix=f"array_{flow.unit}_", report_path="array.targets.{target}.cell")
        write_yosys_scripts(tmp, recipe_scripts(
            [exported["top"].name], top, libs=[exported["cell"].name], flatten=False,
            depth=False), prefix="array_top_", report_path="array.targets.{target}.top")
    return section


def _prove_netlists(spec, synthesis, build_dir):
    """Prove each target's mapped netlist (``<name>.<target>.v``) equal to the spec.

    Returns ``{"formal_<target>": prove(...) result}``.
    """
    return {f"formal_{target}": prove(spec, Path(build_dir) / res["netlist"])
            for target, res in synthesis.items() if "netlist" in res}


def build(spec, out_root="build", *, synth=True, formal=False, cocotb=(),
          random_steps=2000, progress=None, part=None, clock_mhz=None, liberty=None):
    """Build ``spec`` into ``out_root/spec.name``.

    Parameters
    ----------
    spec : Spec
    out_root : str or os.PathLike
    synth : bool
        Run Yosys synthesis and report figures.
    formal : bool
        Also prove the exported Verilog equal to the codebook reference and,
        with ``synth``, each target's mapped netlist too (``formal_<target>``).
    cocotb : iterable of str
        Simulators to run the cocotb tests on.
    random_steps : int
        Length of random sequences.
    progress : callable, optional
        Called with a short message before each stage.
    part : str, optional
        FPGA part for the Vivado script (default
        :data:`shiftgen.synth.flow_files.DEFAULT_PART`).
    clock_mhz : float, optional
        Clock of the ASIC power figures (default
        :data:`shiftgen.synth.asic.DEFAULT_CLOCK_MHZ`).
    liberty : pathlib.Path, optional
        The standard-cell library of the ASIC area, timing and power (checked
        by :func:`shiftgen.synth.liberty.read_library`); default the embedded
        OSU 0.18 um one (:func:`~shiftgen.synth.liberty.find_liberty`).

    Returns
    -------
    (dict, pathlib.Path, dict)
        The report, the build directory and stage timings in seconds. The
        directory is ``out_root/<name>``, or ``out_root/<name>.failed`` when a
        check failed (:func:`report_failures`); an earlier ``<name>`` stays.
    """
    from ..synth.flow_files import DEFAULT_PART
    say = progress or (lambda msg: None)
    part = part or DEFAULT_PART
    out_root = Path(out_root)
    if out_root.is_dir():
        recover(out_root, spec.name)
    times = {}
    with StagedDir(out_root / spec.name) as stage:
        tmp = stage.path
        t1 = time.monotonic()
        say("elaborate and export")
        # Amaranth elaborates inside the RTLIL conversion, so the two are timed together.
        _, verilog = export(spec, spec.elaborate(), tmp)
        codebook = tmp / "codebook.json"
        codebook.write_text(spec.codebook.to_json())
        t2 = time.monotonic()
        times["export"] = t2 - t1

        say("verify: Amaranth simulator")
        verification = {"amaranth_sim": check_pe(spec, random_steps)}
        if formal:
            say("verify: formal")
            verification["formal"] = prove(spec, verilog, evidence_dir=tmp)
        if cocotb:
            say("verify: cocotb")
            with tempfile.TemporaryDirectory(prefix=".cocotb-", dir=out_root) as work:
                verification.update(cocotb_checks(spec, verilog, codebook, cocotb, Path(work),
                                                  random_steps))
        t3 = time.monotonic()
        times["verify"] = t3 - t2

        synthesis = {}
        if synth:
            say("synthesize")
            synthesis = synthesize(verilog, spec.name, netlist_dir=tmp)
        t4 = time.monotonic()
        times["synth"] = t4 - t3
        if formal and synthesis:
            say("verify: formal, mapped netlists")
            verification.update(_prove_netlists(spec, synthesis, tmp))
            times["verify"] += time.monotonic() - t4

        from ..synth.flow_files import booth_choice, recipe_scripts, write_flow_files
        files = [verilog.name]
        write_flow_files(tmp, name=spec.name, top=spec.name, verilog_files=files, part=part,
                         description=f"{spec.name}: shift-based MAC PE generated by shiftgen",
                         recipes=recipe_scripts(files, spec.name,
                                                booth=booth_choice(synthesis))
                         if synthesis else None)
        if synthesis:
            say("ASIC area, timing and power (standard cells)")
            from ..synth.asic import DEFAULT_CLOCK_MHZ, asic_target
            t5 = time.monotonic()
            asic = asic_target(verilog, spec.name, tmp, spec=spec, liberty=liberty,
                               clock_mhz=clock_mhz or DEFAULT_CLOCK_MHZ)
            say("ECP5 place and route (nextpnr)")
            from ..synth.ecp5 import ecp5_target
            ecp5 = ecp5_target(verilog, spec.name)
            times["synth"] += time.monotonic() - t5
            if "gate_level" in asic:  # the cell netlist ran against the golden model
                g = asic["gate_level"]
                verification["icarus_asic_netlist"] = {
                    "result": Verdict.of_mismatches(g["mismatches"]), **g}
        report = make_report(spec, find_yosys(), {**synthesis, "asic": asic, "ecp5": ecp5}
                             if synthesis else synthesis, verification)
        variants = spec.family.variants(spec)
        for suffix, variant in variants.items():
            say(f"variant {suffix}")
            _, v_verilog = export(variant, variant.elaborate(), tmp)
            (tmp / f"codebook_{suffix}.json").write_text(variant.codebook.to_json())
            v_checks = {"amaranth_sim": check_pe(variant, random_steps)}
            if formal:
                v_checks["formal"] = prove(variant, v_verilog)
            v_synth = synthesize(v_verilog, variant.name, netlist_dir=tmp) if synth else {}
            if formal:
                v_checks.update(_prove_netlists(variant, v_synth, tmp))
            report.setdefault("variants", {})[suffix] = {
                "name": variant.name, "targets": v_synth, "verification": v_checks}
        if spec.array is not None:
            report["array"] = _array_stage(spec, tmp, synth=synth, cocotb=cocotb, say=say,
                                           work_root=out_root, part=part,
                                           pe_booth=booth_choice(synthesis) if synthesis
                                           else None, liberty=liberty, clock_mhz=clock_mhz)
        (tmp / "report.json").write_text(dumps(report))
        (tmp / "report.md").write_text(report_markdown(report))
        # A build that fails a check never replaces a good one: it is kept
        # beside it as evidence, and a later good build clears it.
        failed = out_root / f"{spec.name}.failed"
        if report_failures(report):
            stage.target = failed
    final = stage.target
    if final != failed and failed.exists():
        shutil.rmtree(failed, ignore_errors=True)
    return report, final, times


def verify_rtl(spec, rtl_path, *, formal=True, cocotb=SIMULATORS, random_steps=4000):
    """Check any Verilog file against ``spec`` (formal proof and cocotb).

    Raises
    ------
    ShiftgenError
        If ``rtl_path`` does not exist.
    """
    rtl_path = Path(rtl_path)
    if not rtl_path.is_file():
        raise ShiftgenError(f"{rtl_path}: no such Verilog file")
    results = {}
    with tempfile.TemporaryDirectory(prefix=".shiftgen-verify-", dir=Path.cwd()) as work:
        work = Path(work)
        codebook = work / "codebook.json"
        codebook.write_text(spec.codebook.to_json())
        if formal:
            results["formal"] = prove(spec, rtl_path)
        if cocotb:
            results.update(cocotb_checks(spec, rtl_path, codebook, cocotb, work, random_steps))
    return results
