"""The outputs of ``shiftgen sweep``: ``sweep.json``, ``sweep.csv``, ``sweep.md``, the Pareto plot."""

from pathlib import Path

from ..files import write_text
from ..spec.schema import show
from .tables import MISSING, Column, Table, to_json

__all__ = ["to_json", "to_csv", "to_markdown", "terminal_table", "write_outputs"]


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
    Column("gates"), Column("depth"), Column("snr_db"),
    Column("scale", csv=lambda v: f"{v:.6g}"), Column("scale_rule"), Column("pareto"),
    Column("entry"), Column("params"), Column("key"))


def to_csv(doc):
    """The ``sweep.csv`` text: one line per point, sorted by family and weight bits."""
    return Table(_CSV_COLUMNS, doc["points"]).csv()


def _md_rows(doc):
    return [{**r, "scale_text": f"{r['scale']:.4g}: {r['scale_rule']}",
             "params_text": _params_text(r)} for r in doc["points"]]


_MD_COLUMNS = (
    Column("name", "point"), Column("family"), Column("weight_bits", "bits", "right"),
    Column("act_bits", "act", "right"), Column("acc_bits", "acc", "right"),
    Column("product_bits", "product", "right"), Column("lut", "LUT", "right"),
    Column("ff", "FF", "right"), Column("carry4", "CARRY4", "right"),
    Column("gates", "gates", "right"), Column("depth", "depth", "right"),
    Column("snr_db", "SNR dB", "right", format=_fixed("{:.2f}")),
    Column("pareto", "front", "center"), Column("scale_text", "scale"),
    Column("params_text", "params"))


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
             "Front: on the LUT/SNR Pareto front.", ""]
    lines += Table(_MD_COLUMNS, _md_rows(doc)).markdown()
    if doc["skipped"]:
        lines += ["", f"{len(doc['skipped'])} invalid combinations were skipped "
                      f"(`skip_invalid`); `sweep.json` lists each with its reason, the first:", ""]
        for s in doc["skipped"][:3]:
            shown = ", ".join(f"{k}={show(v)}" for k, v in s["values"].items())
            lines.append(f"- points[{s['entry']}] ({shown}): {s['reason']}")
    return "\n".join(lines) + "\n"


def terminal_table(doc):
    """The sweep as a :class:`~shiftgen.reports.tables.Table` for the terminal."""
    columns = (Column("name", "point"), Column("weight_bits", "bits", "right"),
               Column("lut", "LUT", "right"), Column("ff", "FF", "right"),
               Column("carry4", "CARRY4", "right"), Column("gates", "gates", "right"),
               Column("depth", "depth", "right"),
               Column("snr_db", "SNR", "right", format=_fixed("{:.2f}")),
               Column("pareto", "*", "right", format=lambda v: "*" if v else ""))
    return Table(columns, doc["points"],
                 title=f"sweep {doc['sweep']}: {doc['count']} points (SNR in dB; * on the "
                       f"LUT/SNR Pareto front)")


def write_outputs(out, doc):
    """Write ``sweep.json``, ``sweep.csv``, ``sweep.md`` and ``pareto.png``/``.svg`` into ``out``."""
    from .plots import pareto_plot
    out = Path(out)
    write_text(out / "sweep.json", to_json(doc))
    write_text(out / "sweep.csv", to_csv(doc))
    write_text(out / "sweep.md", to_markdown(doc))
    points = [{"label": r["name"], "family": r["family"], "bits": r["weight_bits"],
               "lut": r["lut"], "snr_db": r["snr_db"]} for r in doc["points"]]
    pareto_plot(points, out / "pareto", title=f"sweep {doc['sweep']}: {doc['count']} points")

