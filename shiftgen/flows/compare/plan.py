"""The builds of a comparison: one job per distinct spec, named and keyed."""

from pathlib import Path

import yaml

from ... import __version__
from ...errors import InputError
from ...files import write_text
from ...cache import content_key
from .figures import DATA_FILE, load_figures, select

__all__ = ["repo_root", "spec_key", "job_for", "derived_text", "spec_from", "plan",
           "write_derived"]


def repo_root():
    """The directory the spec paths of the data file are relative to.

    The repository holding the package when it has ``specs/`` (an editable
    install), else the current directory.
    """
    root = Path(__file__).resolve().parents[3]
    return root if (root / "specs").is_dir() else Path.cwd()


def spec_key(spec_text, array=None, name=None):
    """Hash of what a build depends on: the spec text, the array override, the versions."""
    from ...tools.yosys import find_yosys
    return content_key({"spec": spec_text, "array": array, "name": name,
                        "shiftgen": __version__, "yosys": find_yosys().version})


def job_for(spec_rel, array, root):
    """Name, spec path, array override and key of a build; the spec is loaded to check it."""
    path = root / spec_rel
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise InputError(f"{DATA_FILE}: spec {spec_rel}: cannot be read ({e.strerror})") from None
    spec = spec_from(text, path, array)
    return {"name": spec.name, "spec_path": str(path), "spec_rel": spec_rel, "array": array,
            "key": spec_key(text, array, spec.name), "kind": "array" if spec.array else "pe",
            "family": spec.family.name, "weight_bits": spec.pe.weight_bits}


def derived_text(text, path, array):
    """Spec text of the PE of ``text`` as an ``array`` (``{rows, cols}``), named
    ``<name>_<R>x<C>``."""
    from ...spec.load import parse_spec
    spec = parse_spec(text, path=path)
    doc = yaml.safe_load(text)
    doc["name"] = f"{spec.name}_{array['rows']}x{array['cols']}"
    doc["array"] = {"rows": array["rows"], "cols": array["cols"]}
    return (f"# Written by 'shiftgen compare': the PE of {Path(path).name} as a "
            f"{array['rows']} x {array['cols']} array\n"
            + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))


def spec_from(text, path, array):
    """The spec of ``text``; with ``array``, its PE as an array, named ``<name>_<R>x<C>``."""
    from ...spec.load import parse_spec
    if array is None:
        return parse_spec(text, path=path)
    return parse_spec(derived_text(text, path, array), path=path)


def plan(tables=None, extra=None, root=None, figures=None):
    """The builds of a run: ``(figures, jobs, names)`` without running anything.

    ``extra``: PE specs built beside the paper rows (default the data file's
    ``extra_specs`` when every table is compared, none otherwise).
    """
    root = Path(root) if root else repo_root()
    figures = select(figures or load_figures(), tables)
    if extra is None:
        extra = figures["extra_specs"] if tables is None else ()
    jobs, names = {}, {}
    for r in figures["rows"]:
        job = job_for(r["spec"], r["array"], root)
        names[(r["table"], r["design"])] = job["name"]
        jobs.setdefault(job["name"], job)
    for rel in extra:
        job = job_for(rel, None, root)
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
