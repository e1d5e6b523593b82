"""The papers' figures: ``shiftgen/data/paper_figures.yaml``, read and checked."""

from importlib import resources
from pathlib import Path

import yaml

from ...errors import InputError

__all__ = ["DATA_FILE", "load_figures", "select", "dataflows_of"]

#: The paper figures, inside the package.
DATA_FILE = "paper_figures.yaml"


def _fail(msg):
    raise InputError(f"{DATA_FILE}: {msg}")


def load_figures(path=None):
    """The paper figures: ``{"tables": [...], "rows": [...], "extra_specs": [...]}``, checked.

    In a ``relative`` table the paper gives each design's figures as "N
    times less" than its reference design's (seed 002 Fig. 4): a row's
    ``paper_reduction`` ``{metric: N}`` becomes ``paper`` ``{metric: 1 / N}``,
    the reference's ``paper`` is 1 for each of the table's ``metrics``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Default: the file shipped in the package.

    Raises
    ------
    InputError
        If a row lacks a field, names an unknown table or baseline, or repeats
        a design.
    """
    if path is None:
        text = (resources.files("shiftgen") / "data" / DATA_FILE).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), list) \
            or not isinstance(doc.get("rows"), list):
        _fail("needs 'tables' and 'rows' lists")
    tables = {}
    for t in doc["tables"]:
        for key in ("id", "title", "seed", "table", "kind"):
            if not t.get(key):
                _fail(f"table {t.get('id')!r}: missing {key!r}")
        if t["kind"] not in ("pe", "array"):
            _fail(f"table {t['id']}: kind must be pe or array, not {t['kind']!r}")
        if t["id"] in tables:
            _fail(f"table {t['id']} listed twice")
        _check_dataflows(t)
        _check_relative(t)
        tables[t["id"]] = t
    seen = set()
    for r in doc["rows"]:
        for key in ("table", "design", "spec", "source"):
            if key not in r:
                _fail(f"row {r.get('design')!r}: missing {key!r}")
        if r["table"] not in tables:
            _fail(f"row {r['design']!r}: unknown table {r['table']!r}")
        if tables[r["table"]]["relative"]:
            _relative_paper(r, tables[r["table"]])
        elif "paper" not in r:
            _fail(f"row {r['design']!r}: missing 'paper'")
        if (r["table"], r["design"]) in seen:
            _fail(f"row {r['design']!r} listed twice in {r['table']}")
        seen.add((r["table"], r["design"]))
        t = tables[r["table"]]
        if not isinstance(r["paper"], dict) or not (
                "LUT" in r["paper"] or t["relative"] or (t["new_designs"] and not r["paper"])):
            _fail(f"row {r['design']!r}: paper figures need at least LUT"
                  + (" (or none: paper: {})" if t["new_designs"] else ""))
        for k, v in r["paper"].items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
                _fail(f"row {r['design']!r}: paper {k} must be a positive number, not {v!r}")
        for key in ("seed", "table", "row"):
            if not r["source"].get(key):
                _fail(f"row {r['design']!r}: source needs {key!r}")
        arr = r.get("array")
        if arr is not None and (not isinstance(arr, dict) or set(arr) != {"rows", "cols"}):
            _fail(f"row {r['design']!r}: array must be {{rows, cols}}, not {arr!r}")
        r.setdefault("baseline", None)
        r.setdefault("also_vs", [])
        r.setdefault("note", None)
        r.setdefault("array", None)
    for r in doc["rows"]:
        for label in ([r["baseline"]] if r["baseline"] else []) + list(r["also_vs"]):
            if (r["table"], label) not in seen or label == r["design"]:
                _fail(f"row {r['design']!r}: baseline {label!r} is not another design of "
                      f"{r['table']}")
    extra = doc.get("extra_specs", [])
    if not isinstance(extra, list) or not all(isinstance(p, str) for p in extra):
        _fail(f"extra_specs must be a list of spec paths, not {extra!r}")
    return {"tables": doc["tables"], "rows": doc["rows"], "extra_specs": extra}


def _check_dataflows(table):
    """An array table's ``dataflows``: the array dataflows each row is built in."""
    from ...hdl.dataflows import DATAFLOWS
    flows = table.setdefault("dataflows", None)
    if flows is None:
        return
    if table["kind"] != "array":
        _fail(f"table {table['id']}: dataflows apply to kind: array only, not to "
              f"kind: {table['kind']}")
    if not isinstance(flows, list) or not flows or len(set(flows)) != len(flows) \
            or not all(f in DATAFLOWS for f in flows):
        _fail(f"table {table['id']}: dataflows must be a list of distinct names of "
              f"{', '.join(DATAFLOWS)}, not {flows!r}")


def _check_relative(table):
    """A table's ``part``, ``relative``, ``metrics`` and ``approximate`` fields."""
    from .rows import DATAPATH, METRICS
    part = table.setdefault("part", None)
    if part not in (None, "datapath") or (part and table["kind"] != "pe"):
        _fail(f"table {table['id']}: part must be datapath (the combinational part of a "
              f"PE, kind: pe), not {part!r}")
    table.setdefault("approximate", False)
    # Designs the paper does not have (a constant-weight array): paper: {} allowed.
    if not isinstance(table.setdefault("new_designs", False), bool):
        _fail(f"table {table['id']}: new_designs must be true or false, not "
              f"{table['new_designs']!r}")
    relative = table.setdefault("relative", False)
    if not isinstance(relative, bool) or not isinstance(table["approximate"], bool):
        _fail(f"table {table['id']}: relative and approximate must be true or false, not "
              f"{relative!r}, {table['approximate']!r}")
    metrics = table.setdefault("metrics", None)
    if relative != (metrics is not None):
        _fail(f"table {table['id']}: metrics go with relative: true, and only with it")
    allowed = DATAPATH if part else METRICS
    if relative and (not isinstance(metrics, list) or not metrics
                     or not all(m in allowed for m in metrics)):
        _fail(f"table {table['id']}: metrics must be a list of {', '.join(allowed)}, "
              f"not {metrics!r}")


def _relative_paper(row, table):
    """``paper`` of a row of a ``relative`` table, from its ``paper_reduction``."""
    if "paper" in row:
        _fail(f"row {row['design']!r}: a relative table's rows give paper_reduction "
              f"(N times less than the reference), not paper")
    red = row.get("paper_reduction")
    if row.get("baseline") is None:
        if red is not None:
            _fail(f"row {row['design']!r}: the reference design has no paper_reduction")
        row["paper"] = {m: 1.0 for m in table["metrics"]}
        return
    if not isinstance(red, dict) or set(red) != set(table["metrics"]):
        _fail(f"row {row['design']!r}: paper_reduction must give "
              f"{', '.join(table['metrics'])}, not {red!r}")
    for k, v in red.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            _fail(f"row {row['design']!r}: paper_reduction {k} must be a positive number, "
                  f"not {v!r}")
    row["paper"] = {m: 1 / red[m] for m in table["metrics"]}


def dataflows_of(table):
    """The dataflows a table's rows are built in; ``[None]``: as their specs say."""
    return table.get("dataflows") or [None]


def select(figures, tables):
    if tables is None:
        return figures
    known = [t["id"] for t in figures["tables"]]
    bad = [t for t in tables if t not in known]
    if bad:
        raise InputError(f"unknown table {', '.join(bad)}; one of {', '.join(known)}")
    return {"tables": [t for t in figures["tables"] if t["id"] in tables],
            "rows": [r for r in figures["rows"] if r["table"] in tables],
            "extra_specs": figures.get("extra_specs", [])}
