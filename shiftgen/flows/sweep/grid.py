"""Grid files: read through the spec schema and expanded into points, each a checked spec.

Every section is a frozen dataclass loaded by
:func:`shiftgen.spec.schema.load_section`, so a grid error reads (and exits)
like a spec error: one line naming the file, the field, the value and what
is allowed, status 2.
"""

import dataclasses
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ... import __version__
from ...errors import SpecError
from ...spec.config import PEConfig
from ...spec.load import load_yaml, parse_spec, read_input
from ...spec.schema import FieldError, check_value, describe, load_section, option, show
from ...weights.seeded import DISTRIBUTIONS
from ...cache import content_key

__all__ = ["DEFAULT_WEIGHTS", "GridWeights", "Point", "Grid", "load_grid", "parse_grid",
           "point_name", "point_key"]

_SWEEP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ABBREVIATIONS = {"pe.weight_bits": "w", "pe.act_bits": "a", "pe.acc_bits": "acc"}


@dataclass(frozen=True)
class GridWeights:
    """The ``weights`` section: the seeded weights the SNR is measured on."""
    distribution: str = option(str, default="normal", choices=DISTRIBUTIONS)
    count: int = option(int, default=4096, min=16, max=1 << 20)
    seed: int = option(int, default=0, min=0, max=(1 << 32) - 1)


#: The ``weights`` of a grid that has none.
DEFAULT_WEIGHTS = dataclasses.asdict(GridWeights())


@dataclass(frozen=True)
class _GridFile:
    """The top level of a grid file."""
    name: str = option(str, default=None)
    weights: dict = option(dict, default=None)
    skip_invalid: bool = option(bool, default=False)
    points: tuple = option(list, default=None, item=dict)

    def __post_init__(self):
        if self.points is None:
            raise FieldError("points", "missing; required, a non-empty list of entries "
                                       "(family, pe, params, grid)")
        if not self.points:
            raise FieldError("points", "must be a non-empty list of entries "
                                       "(family, pe, params, grid), not []")


@dataclass(frozen=True)
class _GridEntry:
    """One entry of ``points``: a family, fixed fields, and the grid of the others."""
    name: str = option(str, default=None)
    family: str = option(str, default=None)
    pe: dict = option(dict, default=None)
    params: dict = option(dict, default=None)
    grid: dict = option(dict, default=None)
    skip_invalid: bool = option(bool, default=None)

    def __post_init__(self):
        from ...families import FAMILIES
        if self.family is None:
            raise FieldError("family", f"missing; required, one of {', '.join(FAMILIES)}")
        if self.family not in FAMILIES:
            raise FieldError("family", f"unknown family {show(self.family)}; "
                                       f"allowed: {', '.join(FAMILIES)}")
        if self.name is not None and not _PREFIX.match(self.name):
            raise FieldError("name", f"must be an identifier ([A-Za-z_][A-Za-z0-9_]*), "
                                     f"not {show(self.name)}")
        if self.grid is not None and not self.grid:
            raise FieldError("grid", "must be a non-empty mapping of field -> list of values "
                                     "(pe.weight_bits: [2, 3, 4]), not {}")


@dataclass(frozen=True)
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
        The spec text :func:`~shiftgen.flows.sweep.task.run_point` builds
        (parameters fitted when it runs are left out).
    canonical : dict
        The spec with every default filled in (a fitted parameter is
        ``"fit"``): the part of the key that describes the design.
    fitted : tuple of str
        The ``params`` fields the task fits to the grid's weights.
    """
    name: str
    entry: int
    values: dict
    text: str
    canonical: dict
    fitted: tuple = ()

    @property
    def family(self):
        return self.canonical["family"]

    @property
    def weight_bits(self):
        return self.canonical["pe"]["weight_bits"]


@dataclass(frozen=True)
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


def load_grid(path):
    """Read and expand a grid file; raises :class:`SpecError` (exit 2) if it is bad."""
    path = Path(path)
    return parse_grid(read_input(path, "grid file"), path=path)


def _section_fields(family, section):
    cls = PEConfig if section == "pe" else family.Params
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _check_field(path, where, field, value):
    if not check_value(field.metadata, value):
        raise SpecError(path, where, f"must be {describe(field.metadata)}, not {show(value)}")


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


def dump(doc):
    """A spec mapping as YAML text."""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None)


def _canonical(spec, fitted):
    params = {f.name: getattr(spec.params, f.name)
              for f in dataclasses.fields(spec.params) if f.init}
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    for key in fitted:
        params[key] = "fit"
    pe = {f.name: getattr(spec.pe, f.name) for f in dataclasses.fields(spec.pe)}
    return {"name": spec.name, "family": spec.family.name, "pe": pe, "params": params}


def _expand_entry(path, index, data, skip_default):
    from ...families import FAMILIES

    where = f"points[{index}]"
    entry = load_section(_GridEntry, data, file=path, path=where)
    family = FAMILIES[entry.family]
    prefix = entry.name or entry.family
    skip = skip_default if entry.skip_invalid is None else entry.skip_invalid
    fixed = {}
    for section in ("pe", "params"):
        values = getattr(entry, section) or {}
        fields = _section_fields(family, section)
        for key, value in values.items():
            if key not in fields:
                raise SpecError(path, f"{where}.{section}.{key}",
                                f"unknown field; allowed fields: {', '.join(fields) or 'none'}")
            _check_field(path, f"{where}.{section}.{key}", fields[key], value)
        fixed[section] = values

    grid = entry.grid or {}
    allowed = [f"{s}.{f}" for s in ("pe", "params") for f in _section_fields(family, s)]
    for key, values in grid.items():
        section, _, name = str(key).partition(".")
        fields = _section_fields(family, section) if section in ("pe", "params") else {}
        if name not in fields:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"unknown grid field for family {entry.family!r}; allowed: "
                            f"{', '.join(allowed)}")
        if name in fixed[section]:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"also set in {where}.{section}; set it in one place")
        if not isinstance(values, list) or not values:
            raise SpecError(path, f"{where}.grid.{key}",
                            f"must be a non-empty list of values, not {show(values)}")
        for k, value in enumerate(values):
            _check_field(path, f"{where}.grid.{key}[{k}]", fields[name], value)
            if value in values[:k]:
                raise SpecError(path, f"{where}.grid.{key}[{k}]",
                                f"lists {show(value)} twice; each value once")

    points, skipped = [], []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        doc = {"name": point_name(prefix, values), "family": entry.family,
               "pe": dict(fixed["pe"]), "params": dict(fixed["params"])}
        for key, value in values.items():
            section, _, name = key.partition(".")
            doc[section][name] = value
        fitted, stand_in = family.sweep_fitted(doc["params"], doc["pe"])
        try:
            spec = parse_spec(dump({**doc, "params": stand_in}), path=path)
        except SpecError as e:
            reason = f"{e.field}: {e.message}" if e.field else e.message
            shown = ", ".join(f"{k}={show(v)}" for k, v in values.items())
            if not skip:
                label = f"{where} ({shown})" if shown else where
                raise SpecError(path, label, reason + " (skip_invalid: true leaves out such "
                                                      "combinations)") from None
            skipped.append({"entry": index, "values": values, "reason": reason})
            continue
        points.append(Point(name=doc["name"], entry=index, values=values, text=dump(doc),
                            canonical=_canonical(spec, fitted), fitted=tuple(fitted)))
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
    doc = load_yaml(text, path)
    if doc is None:
        raise SpecError(path, None, "is empty; a grid needs at least 'points'")
    top = load_section(_GridFile, doc, file=path, path="")
    name = top.name if top.name is not None else path.stem
    if not _SWEEP_NAME.match(name) or name in (".", ".."):
        field = "name" if top.name is not None else "name (default: the file stem)"
        raise SpecError(path, field, f"must be a directory name of letters, digits, '_', '.' "
                                     f"and '-', not {show(name)}")
    weights = dataclasses.asdict(load_section(GridWeights, top.weights, file=path,
                                              path="weights"))
    points, skipped, seen, specs = [], [], {}, {}
    for index, entry in enumerate(top.points):
        got, left_out = _expand_entry(path, index, entry, top.skip_invalid)
        for p in got:
            shown = ", ".join(f"{k}={show(v)}" for k, v in p.values.items())
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


def point_key(point, weights, yosys_version, measures):
    """The cache key of ``point``: SHA-256 of its canonical spec, the weights and the versions.

    ``measures``: :func:`~shiftgen.flows.sweep.task.measurement_settings`, what
    the ASIC and ECP5 figures depend on (the result format, clock, liberty,
    OpenSTA and nextpnr), so an entry from before a change of any of them is
    not read back.
    """
    return content_key({"spec": point.canonical, "weights": weights, "shiftgen": __version__,
                        "yosys": yosys_version, "measures": measures})
