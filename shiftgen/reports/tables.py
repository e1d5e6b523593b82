"""One table writer for every report: Markdown, CSV, JSON and the terminal (rich).

A :class:`Table` is columns and rows of raw values; each output format
renders the same rows, so ``compare.md``, ``compare.csv`` and the terminal
table of ``shiftgen compare`` (and those of ``shiftgen sweep``) cannot
disagree. A missing value is :data:`MISSING` in Markdown and on the terminal
and an empty cell in CSV.
"""

import csv
import io
import json
from dataclasses import dataclass

__all__ = ["MISSING", "Column", "Table", "number", "to_json"]

#: How a missing value (``None``) reads in Markdown and on the terminal.
MISSING = "—"


def number(value):
    """A figure for people: thousands separated, four significant digits for small floats."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _text(value):
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`.

    Members
    -------
    key : str
        The row field it shows; also its CSV header.
    title : str, optional
        Its header in Markdown and on the terminal (default ``key``).
    align : str
        ``left``, ``right`` or ``center``.
    format : callable, optional
        Value -> text for Markdown and the terminal (default: the value as
        text, :data:`MISSING` for ``None``).
    csv : callable, optional
        Value -> CSV cell (default: the value; ``None`` empty, booleans
        ``true``/``false``, lists and mappings as compact JSON).
    """
    key: str
    title: str = None
    align: str = "left"
    format: object = None
    csv: object = None

    def __post_init__(self):
        if self.align not in ("left", "right", "center"):
            raise ValueError(f"Align must be 'left', 'right' or 'center', not {self.align!r}")

    @property
    def heading(self):
        return self.key if self.title is None else self.title

    def text(self, row):
        value = row.get(self.key)
        return (self.format or _text)(value)

    def cell(self, row):
        value = row.get(self.key)
        return self.csv(value) if self.csv is not None else _csv_cell(value)


_MD_RULE = {"left": "---", "right": "--:", "center": ":-:"}


class Table:
    """Columns and rows, rendered alike in every format.

    Parameters
    ----------
    columns : sequence of Column
    rows : sequence of dict
        Raw values by column key (a missing key reads as ``None``).
    title : str, optional
        The terminal table's title.
    """

    def __init__(self, columns, rows, title=None):
        self.columns = tuple(columns)
        self.rows = list(rows)
        self.title = title

    def markdown(self):
        """The table as Markdown lines (a ``|`` in a cell is escaped)."""
        def line(cells):
            return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ")
                                     for c in cells) + " |"
        out = [line(c.heading.replace("\n", " ") for c in self.columns),
               "|" + "|".join(_MD_RULE[c.align] for c in self.columns) + "|"]
        out += [line(c.text(r) for c in self.columns) for r in self.rows]
        return out

    def csv(self):
        """The table as CSV text: the raw values, one line per row."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        for r in self.rows:
            writer.writerow([c.cell(r) for c in self.columns])
        return buf.getvalue()

    def rich(self, **options):
        """The table as a :class:`rich.table.Table` (``options`` go to its constructor)."""
        from rich.table import Table as RichTable
        table = RichTable(title=self.title, title_justify="left", **options)
        for c in self.columns:
            table.add_column(c.heading, justify=c.align, overflow="fold")
        for r in self.rows:
            table.add_row(*(c.text(r) for c in self.columns))
        return table


def to_json(doc):
    """A report document as JSON text: indented, UTF-8 kept, ending in a newline."""
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
