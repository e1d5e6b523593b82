"""``shiftgen compare``: every paper configuration and its baselines, built in one run.

The paper figures live in ``shiftgen/data/paper_figures.yaml`` (one row per
design of seed 002 Table 10 and Fig. 4, seed 004 Table VIII and seed 001 Table 4, each
with its seed file, table and row). :func:`run_compare` builds each row's
spec once (:func:`shiftgen.flows.build.build`, Yosys ``xilinx7`` and ``generic``),
plus a few more PE specs for the Pareto plot, in a pool of processes, and
writes to ``out_dir``:

- ``compare.json``: every row, the Pareto points, tool versions and
  recipes; the same builds give the same file except for ``timings``;
- ``compare.csv``: one line per design (figures, ratios to its baseline);
- ``compare.md``: one table per paper table;
- ``plots/``: levels per family, LUT and FF per design, LUT against SNR
  (:mod:`shiftgen.reports.plots`);
- ``builds/<name>/``: the build directories. A build is reused when the
  cache (``cache/<sha256>.json``, :class:`shiftgen.cache.Cache`) holds
  the hash of its spec text, the shiftgen and Yosys versions and what its
  ASIC and ECP5 figures depend on (:func:`~shiftgen.flows.compare.plan.measures`:
  the liberty's SHA-256, the clock, the OpenSTA and nextpnr versions), unless
  ``force``; the cache entry also holds the PE's area and its ECP5 fmax over
  the placement seeds (seed 002 Fig. 4's datapath comes from each build's
  ``targets.asic.datapath``);
- ``specs/``: the spec files of arrays made from a PE spec (a data-file row
  with ``array: {rows, cols}``, where no array spec is shipped).

The fair comparison is of ratios, not of absolute figures: the paper's
tools (Vivado, HLS, a 28 nm library) differ from ours, so each design's
ratio to its baseline in the paper is set beside the same ratio of our
figures from the same run. Ratios are design / baseline.

The package: :mod:`~shiftgen.flows.compare.figures` (the data file),
:mod:`~shiftgen.flows.compare.plan` (the builds), :mod:`~shiftgen.flows.compare.task`
(one build, on a worker), :mod:`~shiftgen.flows.compare.rows` (our figures
and the ratios), :mod:`~shiftgen.flows.compare.pareto` (the SNR axis) and
:mod:`~shiftgen.flows.compare.run`; :mod:`shiftgen.reports.compare` writes
the tables and plots.
"""

from .figures import DATA_FILE, load_figures
from .pareto import pareto_points
from .plan import plan, repo_root, spec_key
from .rows import compute_rows, summarize_report
from .run import run_compare

__all__ = ["DATA_FILE", "load_figures", "plan", "repo_root", "spec_key", "summarize_report",
           "compute_rows", "pareto_points", "run_compare"]
