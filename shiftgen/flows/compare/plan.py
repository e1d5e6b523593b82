"""The builds of a comparison: one job per distinct spec, named and keyed."""

from pathlib import Path

import yaml

from ... import __version__
from ...errors import InputError
from ...files import write_text
from ...cache import content_key
from .figures import DATA_FILE, dataflows_of, load_figures, select

__all__ = ["repo_root", "measures", "spec_key", "job_for", "derived_text", "spec_from", "plan",
           "write_derived"]


def repo_root():
    """The directory the spec paths of the data file are relative to.

    The repository holding the package when it has ``specs/`` (an editable
    install), else the current directory.
    """
    root = Path(__file__).resolve().parents[3]
    return root if (root / "specs").is_dir() else Path.cwd()


def measures(liberty=None, clock_mhz=None):
    """What every build's ASIC and ECP5 figures depend on besides its spec and Yosys.

    The sweep's own settings (:func:`shiftgen.flows.sweep.task.measurement_settings`)
    without its result format, which is the sweep's, not a build's.

    Parameters
    ----------
    liberty : str or os.PathLike, optional
        ``--liberty``; default the embedded OSU 0.18 um one.
    clock_mhz : float, optional
        ``--clock-mhz``; default :data:`shiftgen.synth.asic.DEFAULT_CLOCK_MHZ`.

    Returns
    -------
    dict
        ``clock_mhz``, ``liberty`` (``{"name", "sha256"}`` or ``None`` when
        there is none), ``sta`` (OpenSTA's version) and ``nextpnr`` (its
        version), each ``None`` when the tool is not installed.

    Raises
    ------
    InputError
        If ``liberty`` cannot be read or lacks a cell the flow needs.
    """
    from ...synth.asic import DEFAULT_CLOCK_MHZ
    from ..sweep.task import measurement_settings
    settings = measurement_settings(DEFAULT_CLOCK_MHZ if clock_mhz is None else clock_mhz,
                                    liberty)
    settings.pop("format")
    return settings


def spec_key(spec_text, array=None, name=None, measured=None):
    """Hash of what a build depends on: the spec text, the array override, the versions.

    The versions include the build report's
    (:data:`~shiftgen.reports.build_report.REPORT_FORMAT`).

    ``measured``: :func:`measures`; a change of the liberty, the clock, OpenSTA
    or nextpnr changes the key, so the builds are made again with it.
    """
    from ...reports.build_report import REPORT_FORMAT
    from ...tools.yosys import find_yosys
    return content_key({"spec": spec_text, "array": array, "name": name,
                        "shiftgen": __version__, "report_format": REPORT_FORMAT,
                        "yosys": find_yosys().version, "measures": measured})


def job_for(spec_rel, array, root, dataflow=None, measured=None):
    """Name, spec path, array override and key of a build; the spec is loaded to check it.

    ``dataflow``: build the array in this dataflow (default: as the spec says).
    ``measured``: :func:`measures`, part of the key.
    """
    path = root / spec_rel
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise InputError(f"{DATA_FILE}: spec {spec_rel}: cannot be read ({e.strerror})") from None
    if dataflow is not None:
        own = spec_from(text, path, array)
        if own.array is None:
            raise InputError(f"{DATA_FILE}: spec {spec_rel}: a dataflow needs an array; "
                             f"give the row an array: {{rows, cols}}")
        if own.array.dataflow != dataflow:
            array = {**(array or {}), "dataflow": dataflow}
    spec = spec_from(text, path, array)
    return {"name": spec.name, "spec_path": str(path), "spec_rel": spec_rel, "array": array,
            "key": spec_key(text, array, spec.name, measured), "kind": "array" if spec.array else "pe",
            "family": spec.family.name, "weight_bits": spec.pe.weight_bits}


def derived_text(text, path, array):
    """Spec text of ``text`` with its array section overridden by ``array``.

    ``array`` may give ``rows`` and ``cols`` (the spec's PE as an array,
    named ``<name>_<R>x<C>``) and ``dataflow`` (named ``..._<dataflow>`` when it
    is not the spec's own; a broadcast-only field is dropped for another dataflow).
    """
    from ...spec.config import DATAFLOWS
    from ...spec.load import parse_spec
    spec = parse_spec(text, path=path)
    doc = yaml.safe_load(text)
    own = dict(doc.get("array") or {})
    own_flow = own.get("dataflow", DATAFLOWS[0])
    arr = {**own, **array}
    name, what = spec.name, []
    if "rows" in array:
        name += f"_{arr['rows']}x{arr['cols']}"
        what.append(f"the PE of {Path(path).name} as a {arr['rows']} x {arr['cols']} array")
    flow = arr.get("dataflow", own_flow)
    if flow != own_flow:
        name += f"_{flow}"
        what.append(f"the {flow} dataflow")
        if flow != "broadcast":
            arr.pop("pipeline", None)
            arr.pop("chain", None)
    doc["name"] = name
    doc["array"] = arr
    return (f"# Written by 'shiftgen compare' from {Path(path).name}: {'; '.join(what)}\n"
            + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))


def spec_from(text, path, array):
    """The spec of ``text``; with ``array``, overridden as :func:`derived_text` says."""
    from ...spec.load import parse_spec
    if array is None:
        return parse_spec(text, path=path)
    return parse_spec(derived_text(text, path, array), path=path)


def plan(tables=None, extra=None, root=None, figures=None, measured=None):
    """The builds of a run: ``(figures, jobs, names)`` without running anything.

    ``measured``: :func:`measures`, part of every key.

    ``extra``: PE specs built beside the paper rows (default the data file's
    ``extra_specs`` when every table is compared, none otherwise). ``names``
    maps ``(table, design, dataflow)`` to a build name, with ``dataflow``
    ``None`` for a table that gives none (:func:`~.figures.dataflows_of`).
    """
    root = Path(root) if root else repo_root()
    figures = select(figures or load_figures(), tables)
    if extra is None:
        extra = figures["extra_specs"] if tables is None else ()
    jobs, names = {}, {}
    tables = {t["id"]: t for t in figures["tables"]}
    for r in figures["rows"]:
        for flow in dataflows_of(tables[r["table"]]):
            job = job_for(r["spec"], r["array"], root, flow, measured)
            names[(r["table"], r["design"], flow)] = job["name"]
            jobs.setdefault(job["name"], job)
    for rel in extra:
        job = job_for(rel, None, root, measured=measured)
        jobs.setdefault(job["name"], job)
    # Longest first: arrays, then PEs, each in file order.
    ordered = [j for j in jobs.values() if j["kind"] == "array"] + \
              [j for j in jobs.values() if j["kind"] == "pe"]
    return figures, ordered, names


def write_derived(job, spec_dir):
    """Write the spec file of an array made from a PE spec; returns its path."""
    path = Path(job["spec_path"])
    text = derived_text(path.read_text("utf-8"), path, job["array"])
    spec_dir.mkdir(parents=True, exist_ok=True)
    out = spec_dir / f"{job['name']}.yaml"
    if not out.is_file() or out.read_text("utf-8") != text:
        write_text(out, text)
    return out
