"""The outputs of ``shiftgen sweep``: ``sweep.json``, ``sweep.csv``, ``sweep.md``, the Pareto plots.

A figure a point lacks (no OpenSTA, a clock the PE cannot meet, no nextpnr)
reads :data:`~shiftgen.reports.tables.MISSING` with a note number in
Markdown and on the terminal, and the notes below the table give each
reason; in CSV its cell is empty and the ``missing`` column holds
``{field: reason}``. The energy plot lists the points it leaves out.
"""

from pathlib import Path

from ..files import write_text
from ..spec.schema import show
from .tables import MISSING, Column, Table, number, to_json

__all__ = ["FIGURES", "to_json", "to_csv", "to_markdown", "terminal_table", "energy_panels",
           "write_outputs"]

#: The energy and fmax figures of each point: row field -> (Markdown, terminal) heading.
FIGURES = {"energy_pj_vectorless": ("pJ/MAC vectorless", "pJ vec"),
           "energy_pj_simulated": ("pJ/MAC simulated", "pJ sim"),
           "asic_fmax_mhz": ("ASIC fmax MHz", "ASIC MHz"),
           "ecp5_fmax_mhz": ("ECP5 fmax MHz", "ECP5 MHz")}
#: The activity sources of the energy figures, their row field and front tag.
_SOURCES = (("vectorless", "energy_pj_vectorless", "v"),
            ("simulated", "energy_pj_simulated", "s"))


def _fixed(fmt):
    return lambda v: MISSING if v is None else fmt.format(v)


def _params_text(r):
    # alpha: the scale column gives the scale the SNR used.
    shown = {k: v for k, v in r["params"].items() if v not in (None, [], ()) and k != "alpha"}
    fit = r.get("fit") or {}
    for key in fit.get("fitted", ()):
        value = shown.get(key, [])
        shown[key] = "fitted: " + (", ".join(f"{p:g}" for p in value)
                                   if isinstance(value, list) else show(value))
    return ", ".join(f"{k} {show(v) if not isinstance(v, str) else v}"
                     for k, v in shown.items())


_CSV_COLUMNS = (
    Column("name"), Column("family"), Column("weight_bits"), Column("act_bits"),
    Column("acc_bits"), Column("product_bits"), Column("lut"), Column("ff"), Column("carry4"),
    Column("gates"), Column("depth"), *(Column(k) for k in FIGURES), Column("snr_db"),
    Column("scale", csv=lambda v: f"{v:.6g}"), Column("scale_rule"), Column("pareto"),
    *(Column(f"pareto_energy_{source}") for source, _, _ in _SOURCES), Column("missing"),
    Column("entry"), Column("params"), Column("key"))


def to_csv(doc):
    """The ``sweep.csv`` text: one line per point, sorted by family and weight bits."""
    return Table(_CSV_COLUMNS, doc["points"]).csv()


def _noted(doc):
    """Rows with each figure as text (a missing one with its note number), and the notes.

    Returns
    -------
    (list of dict, dict)
        The rows, with ``<field>_text`` per :data:`FIGURES` field and
        ``energy_front`` (``v``/``s``: on the vectorless/simulated energy
        front); reason -> ``(number, [point names])``, numbered in row order.
    """
    notes, rows = {}, []
    for r in doc["points"]:
        row = {**r, "scale_text": f"{r['scale']:.4g}: {r['scale_rule']}",
               "params_text": _params_text(r),
               "energy_front": " ".join(tag for source, _, tag in _SOURCES
                                        if r.get(f"pareto_energy_{source}"))}
        for field in FIGURES:
            if r.get(field) is None:
                reason = (r.get("missing") or {}).get(field) or "no figure"
                number_, names = notes.setdefault(reason, (len(notes) + 1, []))
                if r["name"] not in names:
                    names.append(r["name"])
                row[f"{field}_text"] = f"{MISSING} [{number_}]"
            else:
                row[f"{field}_text"] = number(r[field])
        rows.append(row)
    return rows, notes


def _note_lines(notes, bullet=""):
    lines = []
    for reason, (n, names) in notes.items():
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        lines.append(f"{bullet}[{n}] {shown}: {reason}")
    return lines


def _distinct(values):
    """The distinct values that are not ``None``, in order, joined by `` / ``; or ``None``."""
    seen = [str(v) for v in dict.fromkeys(v for v in values if v is not None)]
    return " / ".join(seen) if seen else None


def _asic_setting(doc):
    """(tool, liberty, clock, conditions) of the energy figures, as text."""
    rows = doc["points"]
    sta = doc["tools"].get("sta") or "OpenSTA (not installed)"
    lib = (doc.get("asic") or {}).get("liberty")
    liberty = (lib or {}).get("name") or _distinct(r["asic"].get("liberty") for r in rows) \
        or "no liberty"
    clock = (doc.get("asic") or {}).get("clock_mhz")
    conditions = _distinct(r["asic"].get("conditions") for r in rows) \
        or "pre-layout, typical corner, no wire load, ideal clock"
    return sta, liberty, clock, conditions


def _activity(doc, source):
    """How the ``source`` activity was found, from the points that have its figure."""
    field = dict((s, f) for s, f, _ in _SOURCES)[source]
    return _distinct((r["asic"].get("activity") or {}).get(source) for r in doc["points"]
                     if r.get(field) is not None) or "no figures"


def energy_panels(doc):
    """The panels of ``pareto_energy``: one per activity source, labelled with its method."""
    sta, liberty, clock, conditions = _asic_setting(doc)
    panels = []
    for source, field, _ in _SOURCES:
        points, left_out = [], []
        for r in doc["points"]:
            if r.get(field) is None:
                left_out.append((r["name"], (r.get("missing") or {}).get(field) or "no figure"))
            elif r["snr_db"] is None:
                left_out.append((r["name"], "no finite SNR (no quantization error)"))
            else:
                points.append({"label": r["name"], "family": r["family"],
                               "bits": r["weight_bits"], "energy": r[field],
                               "snr_db": r["snr_db"]})
        panels.append({
            "title": f"{source} activity: {_activity(doc, source)}",
            "xlabel": f"energy per MAC, pJ ({source}): {sta}, {liberty}, "
                      f"{clock:g} MHz\n{conditions}",
            "points": points, "left_out": left_out})
    return panels


_MD_COLUMNS = (
    Column("name", "point"), Column("family"), Column("weight_bits", "bits", "right"),
    Column("act_bits", "act", "right"), Column("acc_bits", "acc", "right"),
    Column("product_bits", "product", "right"), Column("lut", "LUT", "right"),
    Column("ff", "FF", "right"), Column("carry4", "CARRY4", "right"),
    Column("gates", "gates", "right"), Column("depth", "depth", "right"),
    *(Column(f"{k}_text", md, "right") for k, (md, _) in FIGURES.items()),
    Column("snr_db", "SNR dB", "right", format=_fixed("{:.2f}")),
    Column("pareto", "front", "center"), Column("energy_front", "E front", "center"),
    Column("scale_text", "scale"), Column("params_text", "params"))


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
             "Front: on the LUT/SNR Pareto front.", "", _energy_method(doc), ""]
    rows, notes = _noted(doc)
    lines += Table(_MD_COLUMNS, rows).markdown()
    if notes:
        lines += ["", f"{MISSING} [n]: no figure, because:", ""] + _note_lines(notes, "- ")
    if doc["skipped"]:
        lines += ["", f"{len(doc['skipped'])} invalid combinations were skipped "
                      f"(`skip_invalid`); `sweep.json` lists each with its reason, the first:", ""]
        for s in doc["skipped"][:3]:
            shown = ", ".join(f"{k}={show(v)}" for k, v in s["values"].items())
            lines.append(f"- points[{s['entry']}] ({shown}): {s['reason']}")
    return "\n".join(lines) + "\n"


def _energy_method(doc):
    """The paragraph of ``sweep.md`` saying how the energy and fmax figures were made."""
    sta, liberty, clock, conditions = _asic_setting(doc)
    rows = doc["points"]
    device = _distinct(r["ecp5"].get("device") for r in rows) or "ECP5"
    wrapper = _distinct(r["ecp5"].get("wrapper") for r in rows) or "inputs registered"
    seeds = _distinct(len(r["ecp5"]["seeds"]) for r in rows if r["ecp5"].get("seeds"))
    return (f"pJ/MAC: energy per MAC of the whole PE, {sta} on the `{liberty}` cell netlist "
            f"the area comes from (Yosys `abc -liberty`), power at {clock:g} MHz divided by "
            f"the clock; {conditions}. Vectorless: {_activity(doc, 'vectorless')}. "
            f"Simulated: {_activity(doc, 'simulated')}. ASIC fmax: the same OpenSTA run "
            f"(inputs driven by a library flip-flop). ECP5 fmax: nextpnr "
            f"({doc['tools'].get('nextpnr') or 'not installed'}) post-route on {device}, "
            f"{wrapper}, median of {seeds or 1} placement seed(s). E front: on the energy/SNR "
            f"Pareto front (`pareto_energy.png`), v with vectorless and s with simulated "
            f"activity.")


class _NotedTable(Table):
    """A :class:`Table` whose terminal form carries the missing-figure notes as its caption."""

    def __init__(self, columns, rows, title, notes):
        super().__init__(columns, rows, title=title)
        self.notes = notes

    def rich(self, **options):
        from rich.text import Text
        table = super().rich(**options)
        if self.notes:
            # Text, not markup: "[n]" and a reason's brackets are shown as written.
            table.caption = Text("\n".join([f"{MISSING} [n]: no figure, because:",
                                             *_note_lines(self.notes)]))
            table.caption_justify = "left"
        return table


def terminal_table(doc):
    """The sweep as a :class:`~shiftgen.reports.tables.Table` for the terminal.

    Its ``notes`` (reason -> ``(number, names)``) say why a figure shown as
    :data:`~shiftgen.reports.tables.MISSING` is missing; the rich table
    prints them as its caption.
    """
    columns = (Column("name", "point"), Column("weight_bits", "bits", "right"),
               Column("lut", "LUT", "right"), Column("ff", "FF", "right"),
               Column("carry4", "CARRY4", "right"), Column("gates", "gates", "right"),
               Column("depth", "depth", "right"),
               *(Column(f"{k}_text", term, "right") for k, (_, term) in FIGURES.items()),
               Column("snr_db", "SNR", "right", format=_fixed("{:.2f}")),
               Column("pareto", "*", "right", format=lambda v: "*" if v else ""),
               Column("energy_front", "E*", "right"))
    rows, notes = _noted(doc)
    sta, liberty, clock, _ = _asic_setting(doc)
    return _NotedTable(columns, rows, notes=notes,
                       title=f"sweep {doc['sweep']}: {doc['count']} points (SNR in dB; * on the "
                             f"LUT/SNR Pareto front; pJ per MAC and ASIC fmax: {sta}, {liberty}, "
                             f"{clock:g} MHz, vec: vectorless, sim: simulated activity; E* on "
                             f"the energy/SNR front, v/s; ECP5 fmax: nextpnr post-route)")


def write_outputs(out, doc):
    """Write ``sweep.json``, ``sweep.csv``, ``sweep.md``, ``pareto.png``/``.svg`` (LUT against
    SNR) and ``pareto_energy.png``/``.svg`` (energy per MAC against SNR) into ``out``."""
    from .plots import energy_pareto_plot, pareto_plot
    out = Path(out)
    write_text(out / "sweep.json", to_json(doc))
    write_text(out / "sweep.csv", to_csv(doc))
    write_text(out / "sweep.md", to_markdown(doc))
    points = [{"label": r["name"], "family": r["family"], "bits": r["weight_bits"],
               "lut": r["lut"], "snr_db": r["snr_db"]} for r in doc["points"]]
    pareto_plot(points, out / "pareto", title=f"sweep {doc['sweep']}: {doc['count']} points")
    energy_pareto_plot(energy_panels(doc), out / "pareto_energy",
                       title=f"sweep {doc['sweep']}: {doc['count']} points, energy per MAC "
                             f"against SNR (ringed: on the front)")

