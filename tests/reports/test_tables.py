"""One table writer: Markdown, CSV and the terminal render the same rows."""

import csv
import io

from shiftgen.reports.tables import MISSING, Column, Table, number, to_json

ROWS = [{"name": "a|b", "lut": 1234, "snr": 12.345678, "front": True, "params": {"x": [1, 2]}},
        {"name": "c", "lut": None, "snr": None, "front": False, "params": {}}]
COLUMNS = (Column("name", "point"), Column("lut", "LUT", "right", format=number),
           Column("snr", "SNR", "right", format=lambda v: MISSING if v is None else f"{v:.2f}"),
           Column("front", "front", "center"), Column("params"))


def test_markdown():
    lines = Table(COLUMNS, ROWS).markdown()
    assert lines[0] == "| point | LUT | SNR | front | params |"
    assert lines[1] == "|---|--:|--:|:-:|---|"
    assert lines[2] == "| a\\|b | 1,234 | 12.35 | yes | {'x': [1, 2]} |"
    assert lines[3] == f"| c | {MISSING} | {MISSING} |  | {{}} |"


def test_csv_holds_the_raw_values():
    rows = list(csv.reader(io.StringIO(Table(COLUMNS, ROWS).csv())))
    assert rows[0] == ["name", "lut", "snr", "front", "params"]
    assert rows[1] == ["a|b", "1234", "12.345678", "true", '{"x":[1,2]}']
    assert rows[2] == ["c", "", "", "false", "{}"]


def test_rich_and_json():
    table = Table(COLUMNS, ROWS, title="t").rich()
    assert table.title == "t" and [c.header for c in table.columns][:2] == ["point", "LUT"]
    assert table.row_count == 2
    assert to_json({"a": "—"}) == '{\n "a": "—"\n}\n'


def test_number():
    assert [number(v) for v in (None, 3, 12345, 0.5, 1234.5, True)] == \
        [MISSING, "3", "12,345", "0.5", "1,234.5", "yes"]
