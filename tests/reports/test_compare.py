"""The compare writers' pieces: ratio text, the technology of the ASIC figures, the ECP5 table."""

from shiftgen.flows.compare.run import library_label
from shiftgen.reports import compare


def test_ratio_text_says_why_a_ratio_is_missing_and_marks_approximate_ones():
    assert compare._ratio_text({"LUT": 0.5, "energy_w": None},
                               missing={"energy_w": "n/a: sta not installed"}) == \
        "LUT 0.5, energy n/a: sta not installed"
    assert compare._ratio_text({"area_um2": 0.5, "energy_pj_per_mac": None}, approx=True) == \
        "area ~0.5, energy —"
    assert compare._ratio_text({}) == "—"


def test_library_and_clock_of_a_document():
    assert compare._library({}) == ("OSU 0.18 um", 100.0)  # a document from before --liberty
    doc = {"measures": {"liberty": {"name": "osu018_stdcells.lib", "sha256": "0"},
                        "clock_mhz": 250.0}}
    assert compare._library(doc) == ("OSU 0.18 um", 250.0)
    assert library_label({"name": "foundry.lib", "sha256": "1"}) == "foundry.lib"
    assert library_label(None) == "no liberty"


def test_ecp5_section_lists_every_pe_and_says_why_one_has_none():
    doc = {"measures": {"ecp5_seeds": 2}, "ecp5": {
        "a": {"device": "LFE5U-25F-CABGA256", "seeds": {"1": 110.0, "2": 100.0},
              "fmax_min_mhz": 100.0, "fmax_median_mhz": 105.0, "cells": {"TRELLIS_FF": 9}},
        "b": {"fmax_min_mhz": None, "fmax_median_mhz": None,
              "reason": "nextpnr-ecp5 not installed"}}}
    lines = compare._ecp5_section(doc)
    assert lines[0] == "## ECP5 post-route fmax (PEs, LFE5U-25F-CABGA256)"
    assert "placement seeds 1..2" in lines[2]
    assert "| `a` | 100 | 105 | 1: 110, 2: 100 | TRELLIS_FF 9 |" in lines
    assert "| `b` | — | — | nextpnr-ecp5 not installed | — |" in lines
    assert compare._ecp5_section({}) == []
