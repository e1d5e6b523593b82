"""``shiftgen sweep GRID.yaml``: build and synthesize a grid of specs, in parallel, with a cache.

A grid file expands into PE specs (families x widths x parameters). Each
point is built (:func:`shiftgen.flows.build.build`: export, Amaranth-simulator
check, Yosys ``xilinx7`` and ``generic`` synthesis) and its family quantizer
is scored on seeded weights. Points run in a local process pool, or on a Dask
distributed cluster (``--scheduler ADDRESS``); both run the one task
function :func:`run_point`, so they give the same results.

Grid file format
----------------

.. code-block:: yaml

    name: shift_families          # output directory name (default: the file stem)
    weights: {distribution: normal, count: 4096, seed: 0}   # the SNR's weights
    skip_invalid: false           # default for every entry (see below)
    points:                       # one entry per family configuration
      - family: jlq               # any spec family
        name: jlq                 # optional prefix of the point names (default: family)
        pe: {act_bits: 8, acc_bits: 24}     # fixed fields of the spec's pe section
        params: {i: 0}                      # fixed fields of the params section
        grid:                               # each field: the list of its values
          params.style: [jumping, shifter]
          pe.weight_bits: [2, 3, 4]
          params.s: [1, 2]
        skip_invalid: false       # per entry; overrides the top-level value

- ``weights``: ``distribution`` ``normal`` (default) or ``laplace`` (unit
  variance), ``count`` 16 to 1048576 (default 4096), ``seed`` 0 to 2**32-1
  (default 0). Optional.
- An entry expands to the cartesian product of its ``grid`` lists, in the
  order written. A grid field is ``pe.<field>`` or ``params.<field>`` of the
  entry's family, set nowhere else in the entry; its list is non-empty and
  each value has the field's type, range and choices. An entry without
  ``grid`` is one point.
- Each point is a spec (``name``, ``family``, ``pe``, ``params``) checked by
  :func:`shiftgen.spec.parse_spec`. A point that fails a check which relates
  fields (``acc_bits`` too narrow for a product, ``weight_bits`` outside the
  family's range, an AUSN split that does not add up to ``weight_bits``) is an
  error naming the entry and its grid values, unless the entry has
  ``skip_invalid: true``: then the point is left out and listed under
  ``skipped`` in ``sweep.json``. A value of the wrong type, out of its
  field's own range or not among its choices is always an error.
- An ``sq`` point with ``qps: fixed`` or ``programmable`` and no
  ``params.points`` has its QPS fitted to the grid's weights by FINDBESTQPS
  (``family.fit``, seed 003 Algorithm 1) when it runs. It is checked first
  with the largest points of its universal set, so ``acc_bits`` must hold a
  product by the largest of them.
- Point name: the entry's ``name`` (default its family), then one part per
  grid field: a string value as it is (``shifter``), ``pe.weight_bits`` as
  ``w<n>``, ``pe.act_bits`` as ``a<n>``, ``pe.acc_bits`` as ``acc<n>``, any
  other number as ``<field><n>`` (``-`` becomes ``m``, ``.`` becomes ``p``),
  a list as ``<field><v1>x<v2>``, a boolean as ``<field>`` or
  ``no<field>``: ``jlq_shifter_w3_s2``. Two points with the same name or the
  same spec are an error.

Every grid error is one line naming the file, the field, the value and what
is allowed; nothing is written then.

Results
-------

Per point: Yosys ``xilinx7`` LUT, FF, CARRY4 (and LUT1..6, MUXF7/8), the
``generic`` gate count (flip-flops included) and logic depth, the product
width, the Amaranth-simulator check, and the SNR in dB of the family's
quantizer on the grid's weights at the scale
:func:`shiftgen.reports.plots.quantize_scaled` chooses for them: ``max|W|`` (uniform,
pot), PreConvert (ausn), the L2 fit of seed 003 eqs. 8-10 (apot, sq, after
the QPS fit) and the least-squares ``alpha`` on a log grid (jlq, whose
``alpha`` is otherwise a fixed 1). A point that fails (a tool error, a
mismatch) makes the sweep exit 1 after the other points finished; they stay
cached, and the outputs are not written.

Cache and outputs
-----------------

A point's key is the SHA-256 of its canonical spec (name, family, and every
``pe`` and ``params`` field with its default filled in; JSON with sorted
keys), the weights settings, the shiftgen version and the Yosys version. Its
result is kept in ``<out>/cache/<key>.json``, so a re-run computes only new
points (and a renamed entry is new). The task builds in a temporary
directory under ``<out>/.work`` (a Dask worker that cannot make that path
uses ``.shiftgen-sweep-work`` in its own current directory).
``<out>`` (default ``build/sweep/<name>``) also gets ``sweep.json``,
``sweep.csv``, ``sweep.md`` and ``pareto.png``/``pareto.svg``, each written
beside its place and renamed into it. ``sweep.json`` keeps what depends on
the run (backend, counts, wall time) under ``run`` and the per-point stage
times under ``timings``; the rest (:func:`comparable`) is the same for the
same grid whatever the backend.
"""

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as _futures_completed
from pathlib import Path

import yaml

from .. import __version__
from ..errors import InputError, ShiftgenError, SpecError, ToolError

__all__ = ["Grid", "Point", "load_grid", "parse_grid", "point_key", "make_weights",
           "run_point", "run_sweep", "comparable", "to_csv", "to_markdown", "to_json",
           "run_cli", "DEFAULT_WEIGHTS"]

_GRID_FIELDS = ("name", "weights", "skip_invalid", "points")
_ENTRY_FIELDS = ("name", "family", "pe", "params", "grid", "skip_invalid")
_WEIGHT_FIELDS = ("distribution", "count", "seed")
#: The ``weights`` of a grid that has none.
DEFAULT_WEIGHTS = {"distribution": "normal", "count": 4096, "seed": 0}
#: ``weights.distribution`` -> the name :func:`shiftgen.reports.plots.gaussian_weights` takes.
_DISTRIBUTIONS = {"normal": "gaussian", "laplace": "laplace"}
_COUNT_RANGE = (16, 1 << 20)
_SEED_RANGE = (0, (1 << 32) - 1)
_SWEEP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ABBREVIATIONS = {"pe.weight_bits": "w", "pe.act_bits": "a", "pe.acc_bits": "acc"}
_XILINX_FIGURES = ("LUT", "FF", "CARRY4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6",
                   "MUXF7", "MUXF8")
#: Result fields that depend on the run, not on the point: left out by :func:`comparable`.
RUN_FIELDS = ("run", "timings")


@dataclasses.dataclass(frozen=True)
class Point:
    """One point of a grid.

    Members
    -------
    name : str
        The point's name, also its spec's name (a Verilog identifier).
    entry : int
        Index of the grid entry it comes from.
    values : dict
        Grid field -> value.
    text : str
        The spec text :func:`run_point` builds (an ``sq`` QPS to fit is left
        out; the task fits it).
    canonical : dict
        The spec with every default filled in (``params.points`` is
        ``"fit"`` when fitted): the part of the key that describes the design.
    """
    name: str
    entry: int
    values: dict
    text: str
    canonical: dict

    @property
    def family(self):
        return self.canonical["family"]

    @property
    def weight_bits(self):
        return self.canonical["pe"]["weight_bits"]


@dataclasses.dataclass(frozen=True)
class Grid:
    """An expanded grid file.

    Members
    -------
    name : str
    path : pathlib.Path
    weights : dict
        ``{"distribution", "count", "seed"}``.
    points : tuple of Point
    skipped : tuple of dict
        ``{"entry", "values", "reason"}`` of each combination left out by
        ``skip_invalid``.
    """
    name: str
    path: Path
    weights: dict
    points: tuple
    skipped: tuple


# ---------------------------------------------------------------------------
# Grid files


def load_grid(path):
    """Read and expand a grid file; raises :class:`SpecError` (exit 2) if it is bad."""
    from ..spec import read_input
    path = Path(path)
    return parse_grid(read_input(path, "grid file"), path=path)


def _show(value):
    from ..spec.schema import show
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return show(value)


def _load_yaml(text, path):
    from ..spec.config import _UniqueKeyLoader
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(path, None, f"invalid YAML{where}: {problem}") from None


def _int_in(path, field, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise SpecError(path, field, f"must be an integer from {lo} to {hi}, not {_show(value)}")
    return value


def _parse_weights(path, doc):
    if doc is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(doc, dict):
        raise SpecError(path, "weights", f"must be a mapping with {', '.join(_WEIGHT_FIELDS)}, "
                                         f"not {_show(doc)}")
    for key in doc:
        if key not in _WEIGHT_FIELDS:
            raise SpecError(path, f"weights.{key}",
                            f"unknown field; allowed fields: {', '.join(_WEIGHT_FIELDS)}")
    out = {**DEFAULT_WEIGHTS, **doc}
    if out["distribution"] not in _DISTRIBUTIONS:
        raise SpecError(path, "weights.distribution",
                        f"must be one of {', '.join(map(repr, _DISTRIBUTIONS))}, "
                        f"not {_show(out['distribution'])}")
    _int_in(path, "weights.count", out["count"], *_COUNT_RANGE)
    _int_in(path, "weights.seed", out["seed"], *_SEED_RANGE)
    return out


def _bool(path, field, value):
    if not isinstance(value, bool):
        raise SpecError(path, field, f"must be true or false, not {_show(value)}")
    return value


def _section_fields(family, section):
    from ..spec import PEConfig
    cls = PEConfig if section == "pe" else family.Params
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _check_field(path, where, field, value):
    from ..spec.schema import _check_value, describe
    if not _check_value(field.metadata, value):
        raise SpecError(path, where, f"must be {describe(field.metadata)}, not {_show(value)}")


def _number(value):
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace("-", "m").replace(".", "p").replace("+", "")


def _name_part(key, value):
    field = key.split(".", 1)[1]
    abbr = _ABBREVIATIONS.get(key, field)
    if isinstance(value, bool):
        part = field if value else f"no{field}"
    elif isinstance(value, str):
        part = value
    elif isinstance(value, (list, tuple)):
        part = abbr + "x".join(_number(v) for v in value)
    else:
        part = abbr + _number(value)
    return re.sub(r"[^A-Za-z0-9_]", "_", part)


def point_name(prefix, values):
    """The name of the point with grid ``values`` (field -> value) of an entry named ``prefix``."""
    return "_".join([prefix, *(_name_part(k, v) for k, v in values.items())])


def _fits_qps(doc):
    """Whether ``doc`` (a spec mapping) is an ``sq`` point whose QPS the task fits."""
    if doc.get("family") != "sq":
        return False
    params = doc.get("params") or {}
    wb = (doc.get("pe") or {}).get("weight_bits")
    return ("points" not in params and params.get("qps", "fixed") in ("fixed", "programmable")
            and isinstance(wb, int) and not isinstance(wb, bool))


def _with_placeholder_qps(doc):
    """``doc`` with the largest points of its universal set as QPS (checks acc_bits for any fit)."""
    from ..families.sq_search import universal_set
    params = doc.get("params") or {}
    option = params.get("universal_set", 5)
    n = 1 << (doc["pe"]["weight_bits"] - 1)
    try:
        allowed = sorted(universal_set(option))
    except Exception:  # noqa: BLE001 - a bad option: parse_spec names it
        return doc
    points = [float(p) for p in allowed[-n:]] if n <= len(allowed) else [0.0] * n
    return {**doc, "params": {**params, "points": points}}


def _dump(doc):
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None)


def _canonical(spec, fitted):
    params = {f.name: getattr(spec.params, f.name)
              for f in dataclasses.fields(spec.params) if f.init}
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    if fitted:
        params["points"] = "fit"
    pe = {f.name: getattr(spec.pe, f.name) for f in dataclasses.fields(spec.pe)}
    return {"name": spec.name, "family": spec.family.name, "pe": pe, "params": params}


def _expand_entry(path, index, entry, skip_default):
    from ..families import FAMILIES
    from ..spec import parse_spec

    where = f"points[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(path, where, f"must be a mapping with {', '.join(_ENTRY_FIELDS)}, "
                                     f"not {_show(entry)}")
    for key in entry:
        if key not in _ENTRY_FIELDS:
            raise SpecError(path, f"{where}.{key}",
                            f"unknown field; allowed fields: {', '.join(_ENTRY_FIELDS)}")
    if "family" not in entry:
        raise SpecError(path, f"{where}.family", f"missing; required, one of "
                                                 f"{', '.join(FAMILIES)}")
    family_name = entry["family"]
    if not isinstance(family_name, str) or family_name not in FAMILIES:
        raise SpecError(path, f"{where}.family", f"unknown family {_show(family_name)}; "
                                                 f"allowed: {', '.join(FAMILIES)}")
    family = FAMILIES[family_name]
    prefix = entry.get("name", family_name)
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise SpecError(path, f"{where}.name", f"must be an identifier "
                                               f"([A-Za-z_][A-Za-z0-9_]*), not {_show(prefix)}")
    skip = _bool(path, f"{where}.skip_invalid", entry.get("skip_invalid", skip_default))
    fixed = {}
    for section in ("pe", "params"):
        data = entry.get(section)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise SpecError(path, f"{where}.{section}",
                            f"must be a mapping of fields, not {_show(data)}")
        fields = _section_fields(family, section)
        for key, value in data.items():
            if key not in fields:
                raise SpecError(path, f"{where}.{section}.{key}",
                                f"unknown field; allowed fields: {', '.join(fields) or 'none'}")
            _check_field(path, f"{where}.{section}.{key}", fields[key], value)
        fixed[section] = data

    grid = entry.get("grid", None)
    if "grid" in entry:
        if not isinstance(grid, dict) or not grid:
            raise SpecError(path, f"{where}.grid",
                            f"must be a non-empty mapping of field -> list of values "
                            f"(pe.weight_bits: [2, 3, 4]), not {_show(grid)}")
    else:
        grid = {}
    allowed = [f"{s}.{f}" for s in ("pe", "params") for f in _section_fields(family, s)]
    for key, values in grid.items():
        section, _, name = str(key).partition(".")
        fields = _section_fields(family, section) if section in ("pe", "params") else {}
        if name not in fields:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"unknown grid field for family {family_name!r}; allowed: "
                            f"{', '.join(allowed)}")
        if name in fixed[section]:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"also set in {where}.{section}; set it in one place")
        if not isinstance(values, list) or not values:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"must be a non-empty list of values, not {_show(values)}")
        for k, value in enumerate(values):
            _check_field(path, f"{where}.grid.{key}[{k}]", fields[name], value)
            if value in values[:k]:
                raise SpecError(path, f"{where}.grid.{key}[{k}]",
                                f"lists {_show(value)} twice; each value once")

    points, skipped = [], []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        doc = {"name": point_name(prefix, values), "family": family_name,
               "pe": dict(fixed["pe"]), "params": dict(fixed["params"])}
        for key, value in values.items():
            section, _, name = key.partition(".")
            doc[section][name] = value
        fitted = _fits_qps(doc)
        try:
            spec = parse_spec(_dump(_with_placeholder_qps(doc) if fitted else doc), path=path)
        except SpecError as e:
            reason = f"{e.field}: {e.message}" if e.field else e.message
            shown = ", ".join(f"{k}={_show(v)}" for k, v in values.items())
            if not skip:
                label = f"{where} ({shown})" if shown else where
                raise SpecError(path, label, reason + " (skip_invalid: true leaves out such "
                                                      "combinations)") from None
            skipped.append({"entry": index, "values": values, "reason": reason})
            continue
        points.append(Point(name=doc["name"], entry=index, values=values, text=_dump(doc),
                            canonical=_canonical(spec, fitted)))
    return points, skipped


def parse_grid(text, *, path):
    """Validate and expand grid text; ``path`` names it in errors and gives the default name.

    Returns
    -------
    Grid

    Raises
    ------
    SpecError
        On any error, naming the file, the field, the value and what is allowed.
    """
    path = Path(path)
    doc = _load_yaml(text, path)
    if doc is None:
        raise SpecError(path, None, "is empty; a grid needs at least 'points'")
    if not isinstance(doc, dict):
        raise SpecError(path, None, f"must be a mapping of fields "
                                    f"({', '.join(_GRID_FIELDS)}), not {_show(doc)}")
    for key in doc:
        if key not in _GRID_FIELDS:
            raise SpecError(path, str(key),
                            f"unknown field; allowed fields: {', '.join(_GRID_FIELDS)}")
    name = doc.get("name", path.stem)
    if not isinstance(name, str) or not _SWEEP_NAME.match(name) or name in (".", ".."):
        field = "name" if "name" in doc else "name (default: the file stem)"
        raise SpecError(path, field, f"must be a directory name of letters, digits, '_', '.' "
                                     f"and '-', not {_show(name)}")
    weights = _parse_weights(path, doc.get("weights"))
    skip_default = _bool(path, "skip_invalid", doc.get("skip_invalid", False))
    entries = doc.get("points")
    if entries is None:
        raise SpecError(path, "points", "missing; required, a non-empty list of entries "
                                        "(family, pe, params, grid)")
    if not isinstance(entries, list) or not entries:
        raise SpecError(path, "points", f"must be a non-empty list of entries "
                                        f"(family, pe, params, grid), not {_show(entries)}")
    points, skipped, seen, specs = [], [], {}, {}
    for index, entry in enumerate(entries):
        got, left_out = _expand_entry(path, index, entry, skip_default)
        for p in got:
            shown = ", ".join(f"{k}={_show(v)}" for k, v in p.values.items())
            if p.name in seen:
                raise SpecError(path, f"points[{index}] ({shown})",
                                f"point name {p.name!r} is also made by points[{seen[p.name]}]; "
                                f"give the entries different 'name' prefixes")
            design = json.dumps({**p.canonical, "name": None}, sort_keys=True)
            if design in specs:
                raise SpecError(path, f"points[{index}] ({shown})",
                                f"the same design as point {specs[design]!r}; "
                                f"list each design once")
            seen[p.name] = index
            specs[design] = p.name
        points += got
        skipped += left_out
    if not points:
        raise SpecError(path, "points", f"every one of the {len(skipped)} combinations is "
                                        f"invalid (first: points[{skipped[0]['entry']}]: "
                                        f"{skipped[0]['reason']})")
    return Grid(name=name, path=path, weights=weights, points=tuple(points),
                skipped=tuple(skipped))


def point_key(point, weights, yosys_version):
    """The cache key of ``point``: SHA-256 of its canonical spec, the weights and the versions."""
    doc = {"spec": point.canonical, "weights": weights, "shiftgen": __version__,
           "yosys": yosys_version}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------
# The task


def make_weights(weights_cfg):
    """The seeded weights of a grid's ``weights`` settings."""
    from ..reports.plots import gaussian_weights
    return gaussian_weights(weights_cfg["count"], weights_cfg["seed"],
                            _DISTRIBUTIONS[weights_cfg["distribution"]])


def _work_dir(work_root):
    """``work_root``, or a directory under the current one when it cannot be made here."""
    try:
        root = Path(work_root)
        root.mkdir(parents=True, exist_ok=True)
        return root
    except OSError:  # a worker on another file system
        root = Path.cwd() / ".shiftgen-sweep-work"
        root.mkdir(parents=True, exist_ok=True)
        return root


def _task(spec_text, weights_cfg, work_root):
    from ..verify.verdict import report_failures
    from .build import build
    from ..reports.plots import quantize_scaled, snr_db
    from ..spec import parse_spec

    start = time.monotonic()
    timing = {}
    doc = yaml.safe_load(spec_text)
    name = doc["name"]
    weights = make_weights(weights_cfg)
    fit = None
    if _fits_qps(doc):
        t = time.monotonic()
        rough = parse_spec(_dump(_with_placeholder_qps(doc)), path=f"{name}.yaml")
        updates, summary = rough.family.fit(rough, weights)
        doc["params"] = {**doc.get("params", {}), "points": updates["points"]}
        fit = {"points": updates["points"], "alpha": summary["alpha"],
               "loss": summary["loss"]}
        timing["fit"] = time.monotonic() - t
    spec = parse_spec(_dump(doc), path=f"{name}.yaml")
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=_work_dir(work_root)) as tmp:
        report, _, times = build(spec, tmp, synth=True)
    timing.update(times)
    failed = report_failures(report)
    if failed:
        return {"error": f"verification failed: {', '.join(failed)}"}
    t = time.monotonic()
    quantized, rule = quantize_scaled(spec, weights)
    snr = snr_db(weights, quantized.dequantize())
    timing["snr"] = time.monotonic() - t
    timing["total"] = time.monotonic() - start
    x, g = report["targets"]["xilinx7"], report["targets"]["generic"]
    params = _canonical(spec, False)["params"]
    result = {
        "family": spec.family.name,
        "weight_bits": spec.pe.weight_bits,
        "act_bits": spec.pe.act_bits,
        "acc_bits": spec.pe.acc_bits,
        "product_bits": report["codebook"]["product_bits"],
        "F": report["codebook"]["F"],
        "params": params,
        "lut": x["LUT"], "ff": x["FF"], "carry4": x["CARRY4"],
        "gates": g["total"], "depth": g["depth"],
        "snr_db": round(snr, 6) if math.isfinite(snr) else None,
        "scale": float(quantized.alpha),
        "scale_rule": rule,
        "xilinx7": {**{k: x.get(k, 0) for k in _XILINX_FIGURES}, "recipe": x["recipe"]},
        "generic": {"total": g["total"], "depth": g["depth"], "cells": g["cells"],
                    "recipe": g["recipe"]},
        "check": report["verification"]["amaranth_sim"],
        "fit": fit,
        "yosys": report["tools"]["yosys"],
    }
    return {"result": result, "timing": {k: round(v, 3) for k, v in timing.items()}}


def run_point(spec_text, weights_cfg, work_root):
    """Build, synthesize and score one point; the task of the process pool and of Dask.

    Parameters
    ----------
    spec_text : str
        The point's spec (:attr:`Point.text`).
    weights_cfg : dict
        The grid's ``weights`` settings.
    work_root : str
        Directory for the temporary build (inside the current directory, as
        YoWASP Yosys wants); when a worker cannot make it, ``.shiftgen-sweep-work``
        in the worker's current directory is used.

    Returns
    -------
    dict
        ``{"result": {...}, "timing": {...}}``, JSON-ready: ``result`` depends
        only on the arguments and the tool versions, ``timing`` holds the
        stage times in seconds. On failure ``{"error": "one line"}`` (errors
        are returned, not raised, so that every backend carries them alike).
    """
    try:
        return _task(spec_text, weights_cfg, work_root)
    except ShiftgenError as e:
        return {"error": str(e)}
    except Exception as e:  # noqa: BLE001 - reported as one line by the caller
        return {"error": f"{type(e).__name__}: {e}"}


# ---------------------------------------------------------------------------
# Backends


def _run_local(todo, weights, work_root, jobs, on_done):
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), mp_context=ctx)
    try:
        futures = {pool.submit(run_point, p.text, weights, str(work_root)): p for p in todo}
        for future in _futures_completed(futures):
            try:
                outcome = future.result()
            except Exception as e:  # noqa: BLE001 - a worker died: that point failed
                outcome = {"error": f"{type(e).__name__}: {e}"}
            on_done(futures[future], outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(todo, weights, work_root, address, on_done):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ToolError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") \
            from None
    try:
        client = Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ToolError(f"cannot reach the Dask scheduler at {address}: "
                        f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    with client:
        points = {}
        futures = []
        for p in todo:
            future = client.submit(run_point, p.text, weights, str(work_root), pure=False)
            points[future.key] = p
            futures.append(future)
        try:
            for future in as_completed(futures, loop=client.loop):
                try:
                    outcome = future.result()
                except Exception as e:  # noqa: BLE001 - a worker died: that point failed
                    outcome = {"error": f"{type(e).__name__}: {e}"}
                on_done(points[future.key], outcome)
        except BaseException:
            client.cancel(futures)
            raise


# ---------------------------------------------------------------------------
# Running a sweep


def _write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a result is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cache(path, key):
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key or "result" not in doc:
        return None
    return doc


def _sort_key(p):
    from ..families import FAMILIES
    order = list(FAMILIES)
    fam = p["family"]
    return (order.index(fam) if fam in order else len(order), fam, p["weight_bits"], p["name"])


def _assemble(grid, points, entries, run):
    from ..reports.plots import pareto_front
    rows = []
    timings = {}
    for p in points:
        entry = entries[p.name]
        rows.append({"name": p.name, "entry": p.entry, "values": p.values, "key": entry["key"],
                     **entry["result"]})
        timings[p.name] = {**entry["timing"], "cached": entry.get("cached", False)}
    rows.sort(key=_sort_key)
    valid = [r for r in rows if r["lut"] is not None and r["snr_db"] is not None]
    front = {valid[i]["name"] for i in pareto_front(valid)}
    for r in rows:
        r["pareto"] = r["name"] in front
    yosys = rows[0]["yosys"] if rows else None
    for r in rows:
        r.pop("yosys", None)
    return {
        "sweep": grid.name,
        "grid": str(grid.path),
        "weights": grid.weights,
        "tools": {"shiftgen": __version__, "yosys": yosys},
        "count": len(rows),
        "points": rows,
        "skipped": list(grid.skipped),
        "run": run,
        "timings": {r["name"]: timings[r["name"]] for r in rows},
    }


def comparable(doc):
    """``doc`` (a ``sweep.json``) without what depends on the run: backend, counts, times."""
    return {k: v for k, v in doc.items() if k not in RUN_FIELDS}


def to_json(doc):
    """The ``sweep.json`` text."""
    return json.dumps(doc, indent=1) + "\n"


_CSV_COLUMNS = ("name", "family", "weight_bits", "act_bits", "acc_bits", "product_bits", "lut",
                "ff", "carry4", "gates", "depth", "snr_db", "scale", "scale_rule", "pareto",
                "entry", "params", "key")


def to_csv(doc):
    """The ``sweep.csv`` text: one line per point, sorted by family and weight bits."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for r in doc["points"]:
        row = []
        for c in _CSV_COLUMNS:
            v = r.get(c)
            if c == "params":
                v = json.dumps(v, sort_keys=True, separators=(",", ":"))
            elif c == "scale":
                v = f"{v:.6g}"
            elif v is None:
                v = ""
            elif isinstance(v, bool):
                v = "true" if v else "false"
            row.append(v)
        writer.writerow(row)
    return buf.getvalue()


def _n(v, fmt="{}"):
    return "n/a" if v is None else fmt.format(v)


def _cell(text):
    return str(text).replace("|", "\\|")


def _params_text(r):
    # alpha: the scale column gives the scale the SNR used.
    shown = {k: v for k, v in r["params"].items() if v not in (None, [], ()) and k != "alpha"}
    if r.get("fit"):
        shown["points"] = "fitted: " + ", ".join(f"{p:g}" for p in shown.get("points", []))
    return ", ".join(f"{k} {_show(v) if not isinstance(v, str) else v}"
                     for k, v in shown.items())


def to_markdown(doc):
    """The ``sweep.md`` text: the table, sorted by family and weight bits."""
    w = doc["weights"]
    lines = [f"# Sweep `{doc['sweep']}`", "",
             f"Grid `{doc['grid']}`: {doc['count']} points"
             + (f", {len(doc['skipped'])} invalid combinations skipped" if doc["skipped"] else "")
             + f". Tools: shiftgen {doc['tools']['shiftgen']}, {doc['tools']['yosys']}.", "",
             "LUT, FF, CARRY4: Yosys `synth_xilinx -flatten -nodsp -noiopad -noclkbuf` "
             "(best of plain and `booth`). Gates (flip-flops included) and depth: "
             "`synth -flatten; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX`, depth by `ltp -noff`. "
             f"SNR: the family's quantizer on {w['count']} seeded {w['distribution']} weights "
             f"(seed {w['seed']}), at the scale given (and how it was chosen). "
             "Front: on the LUT/SNR Pareto front.", "",
             "| point | family | bits | act | acc | product | LUT | FF | CARRY4 | gates | depth "
             "| SNR dB | front | scale | params |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|---|---|"]
    for r in doc["points"]:
        lines.append(
            f"| {r['name']} | {r['family']} | {r['weight_bits']} | {r['act_bits']} | "
            f"{r['acc_bits']} | {r['product_bits']} | {r['lut']} | {r['ff']} | {r['carry4']} | "
            f"{r['gates']} | {_n(r['depth'])} | {_n(r['snr_db'], '{:.2f}')} | "
            f"{'yes' if r['pareto'] else ''} | {r['scale']:.4g}: {_cell(r['scale_rule'])} | "
            f"{_cell(_params_text(r))} |")
    if doc["skipped"]:
        lines += ["", f"{len(doc['skipped'])} invalid combinations were skipped "
                      f"(`skip_invalid`); `sweep.json` lists each with its reason, the first:", ""]
        for s in doc["skipped"][:3]:
            shown = ", ".join(f"{k}={_show(v)}" for k, v in s["values"].items())
            lines.append(f"- points[{s['entry']}] ({shown}): {s['reason']}")
    return "\n".join(lines) + "\n"


def _write_outputs(out, doc, points_for_plot):
    from ..reports.plots import pareto_plot
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".sweep-partial-", dir=out))
    try:
        (stage / "sweep.json").write_text(to_json(doc))
        (stage / "sweep.csv").write_text(to_csv(doc))
        (stage / "sweep.md").write_text(to_markdown(doc))
        pareto_plot(points_for_plot, stage / "pareto",
                    title=f"sweep {doc['sweep']}: {doc['count']} points")
        for name in ("sweep.json", "sweep.csv", "sweep.md", "pareto.png", "pareto.svg"):
            os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def run_sweep(grid, out=None, *, jobs=2, scheduler=None, progress=None):
    """Run every point of ``grid`` not in the cache; write the outputs; return ``sweep.json``.

    Parameters
    ----------
    grid : Grid
        From :func:`load_grid`.
    out : str or os.PathLike, optional
        Output directory (default ``build/sweep/<grid name>``).
    jobs : int
        Worker processes of the local pool (unused with ``scheduler``); 1 runs
        the points in this process, one after the other.
    scheduler : str, optional
        Address of a Dask distributed scheduler to run the points on instead.
    progress : callable, optional
        Called with an event dict: ``{"event": "plan", "total", "cached", "todo",
        "skipped", "backend"}``, then ``{"event": "done", "name", "seconds"}`` or
        ``{"event": "error", "name", "message"}`` per point computed.

    Raises
    ------
    ToolError
        If a point fails (the others stay cached) or the scheduler is unreachable.
    """
    from ..tools.yosys import find_yosys
    say = progress or (lambda event: None)
    start = time.monotonic()
    out = Path(out) if out is not None else Path("build") / "sweep" / grid.name
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    yosys_version = find_yosys().version
    cache = out / "cache"
    keys = {p.name: point_key(p, grid.weights, yosys_version) for p in grid.points}
    entries = {}
    for p in grid.points:
        entry = _read_cache(cache / f"{keys[p.name]}.json", keys[p.name])
        if entry is not None:
            entries[p.name] = {**entry, "cached": True}
    todo = [p for p in grid.points if p.name not in entries]
    backend = (f"dask {scheduler}" if scheduler else
               "local (in this process)" if jobs == 1 else f"local ({jobs} processes)")
    say({"event": "plan", "total": len(grid.points), "cached": len(entries), "todo": len(todo),
         "skipped": len(grid.skipped), "backend": backend})
    errors = []

    def on_done(point, outcome):
        if "error" not in outcome and outcome["result"]["yosys"] != yosys_version:
            outcome = {"error": f"the worker ran {outcome['result']['yosys']}, this machine "
                                f"has {yosys_version}; cache keys would not match"}
        if "error" in outcome:
            errors.append((point, outcome["error"]))
            say({"event": "error", "name": point.name, "message": outcome["error"]})
            return
        key = keys[point.name]
        entry = {"key": key, "spec": point.canonical, "weights": grid.weights,
                 "versions": {"shiftgen": __version__, "yosys": yosys_version},
                 "result": outcome["result"], "timing": outcome["timing"]}
        _write_atomic(cache / f"{key}.json", json.dumps(entry, indent=1) + "\n")
        entries[point.name] = entry
        say({"event": "done", "name": point.name, "seconds": outcome["timing"]["total"]})

    made_out = not out.exists()
    if todo:
        work_root = (out / ".work").resolve()
        work_root.mkdir(parents=True, exist_ok=True)
        finished = False
        try:
            if scheduler:
                _run_dask(todo, grid.weights, work_root, scheduler, on_done)
            elif jobs == 1:  # in this process, one point after the other
                for point in todo:
                    on_done(point, run_point(point.text, grid.weights, str(work_root)))
            else:
                _run_local(todo, grid.weights, work_root, jobs, on_done)
            finished = True
        finally:
            try:
                work_root.rmdir()
            except OSError:
                pass
            if not finished:
                _tidy(out, made_out)
    if errors:
        _tidy(out, made_out)
        point, message = errors[0]
        raise ToolError(f"{len(errors)} of {len(todo)} points failed (the other points are "
                        f"cached in {cache}); first: {point.name}: {message}")
    run = {"backend": backend, "computed": len(todo), "cached": len(grid.points) - len(todo),
           "seconds": round(time.monotonic() - start, 3)}
    doc = _assemble(grid, grid.points, entries, run)
    plot_points = [{"label": r["name"], "family": r["family"], "bits": r["weight_bits"],
                    "lut": r["lut"], "snr_db": r["snr_db"]} for r in doc["points"]]
    _write_outputs(out, doc, plot_points)
    return doc


def _tidy(out, made_out):
    """Remove ``out`` if this run made it and left nothing in it."""
    if not made_out:
        return
    for d in (out / "cache", out):
        try:
            d.rmdir()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Command line


def _rich():
    try:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)
        from rich.table import Table
    except ImportError:
        return None
    return Console, Progress, Table, (SpinnerColumn, TextColumn, BarColumn, MofNCompleteColumn,
                                      TimeElapsedColumn)


def rich_table(console, doc):
    """Print the sweep table with rich (the family is in each point's name or its marker)."""
    from rich import box
    from rich.table import Table
    table = Table(title=f"sweep {doc['sweep']}: {doc['count']} points (SNR in dB; * on the "
                        f"LUT/SNR Pareto front)", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    width = max([len("point")] + [len(r["name"]) for r in doc["points"]])
    table.add_column("point", no_wrap=True, min_width=width)
    for col in ("bits", "LUT", "FF", "CARRY4", "gates", "depth", "SNR", "*"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in doc["points"]:
        table.add_row(r["name"], str(r["weight_bits"]), str(r["lut"]), str(r["ff"]),
                      str(r["carry4"]), str(r["gates"]), _n(r["depth"]),
                      _n(r["snr_db"], "{:.2f}"), "*" if r["pareto"] else "",
                      style="bold" if r["pareto"] else None)
    console.print(table)


def run_cli(grid_path, *, out=None, jobs=2, scheduler=None, as_json=False):
    """``shiftgen sweep``: a rich progress bar on stderr, a rich table (or JSON) on stdout."""
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    grid = load_grid(grid_path)
    out = Path(out) if out is not None else Path("build") / "sweep" / grid.name
    rich = _rich()
    if as_json or rich is None:
        def plain(ev):
            if as_json:
                return
            if ev["event"] == "plan":
                print(f"  .. {ev['total']} points: {ev['cached']} cached, {ev['todo']} to run "
                      f"on {ev['backend']}", file=sys.stderr, flush=True)
            elif ev["event"] == "done":
                print(f"  .. {ev['name']}: {ev['seconds']:.1f} s", file=sys.stderr, flush=True)
            elif ev["event"] == "error":
                print(f"  .. {ev['name']}: failed: {ev['message']}", file=sys.stderr, flush=True)
        doc = run_sweep(grid, out, jobs=jobs, scheduler=scheduler, progress=plain)
    else:
        Console, Progress, _, (Spinner, Text, Bar, MofN, Elapsed) = rich
        err = Console(stderr=True)
        with Progress(Spinner(), Text("{task.description}"), Bar(), MofN(), Elapsed(),
                      console=err, transient=False) as bar:
            task = bar.add_task("sweep", total=None)

            def show(ev):
                if ev["event"] == "plan":
                    bar.console.print(f"{grid.name}: {ev['total']} points, {ev['cached']} "
                                      f"cached, {ev['todo']} to run on {ev['backend']}"
                                      + (f" ({ev['skipped']} invalid combinations skipped)"
                                         if ev["skipped"] else ""), highlight=False)
                    bar.update(task, total=ev["todo"], description="points",
                               visible=ev["todo"] > 0)
                elif ev["event"] == "done":
                    bar.console.print(f"  {ev['name']}: {ev['seconds']:.1f} s", highlight=False)
                    bar.advance(task)
                elif ev["event"] == "error":
                    bar.console.print(f"  {ev['name']}: [red]failed[/red]: {ev['message']}",
                                      highlight=False)
                    bar.advance(task)
            doc = run_sweep(grid, out, jobs=jobs, scheduler=scheduler, progress=show)
    if as_json:
        print(to_json(doc), end="")
        return 0
    run = doc["run"]
    if rich is None:
        print(to_markdown(doc))
    else:
        console = rich[0]()
        if not console.is_terminal:  # a file or pipe: no 80-column limit
            console = rich[0](width=160)
        rich_table(console, doc)
    print(f"sweep {doc['sweep']}: {doc['count']} points ({run['computed']} computed, "
          f"{run['cached']} cached, {len(doc['skipped'])} skipped) on {run['backend']} in "
          f"{run['seconds']:.1f} s -> {out}/sweep.md, sweep.csv, sweep.json, pareto.png")
    return 0
