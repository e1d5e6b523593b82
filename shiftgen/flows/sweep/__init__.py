"""``shiftgen sweep GRID.yaml``: build and synthesize a grid of specs, in parallel, with a cache.

A grid file expands into PE specs (families x widths x parameters). Each
point is built (:func:`shiftgen.flows.build.build`: export,
Amaranth-simulator check, Yosys ``xilinx7`` and ``generic`` synthesis, ASIC
timing and power, ECP5 place and route) and its family quantizer is scored on
seeded weights. Points run in a local process pool, or on a Dask distributed
cluster (``--scheduler ADDRESS``); both run the one task function
:func:`run_point`, so they give the same results.

Grid file format
----------------

.. code-block:: yaml

    name: shift_families          # output directory name (default: the file stem)
    weights: {distribution: normal, count: 4096, seed: 0}   # the SNR's weights
    skip_invalid: false           # default for every entry (see below)
    points:                       # one entry per family configuration
      - family: <family>          # any spec family
        name: prefix              # optional prefix of the point names (default: family)
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
- A family may leave parameters of a point to be fitted to the grid's
  weights when it runs (:meth:`Family.sweep_fitted
  <shiftgen.families.base.Family.sweep_fitted>`, then ``family.fit``): an
  SQ point with no ``params.points`` gets its QPS from FINDBESTQPS (seed 003
  Algorithm 1). Such a point is checked first with stand-ins that bound any
  fit.
- Point name: the entry's ``name`` (default its family), then one part per
  grid field: a string value as it is (``shifter``), ``pe.weight_bits`` as
  ``w<n>``, ``pe.act_bits`` as ``a<n>``, ``pe.acc_bits`` as ``acc<n>``, any
  other number as ``<field><n>`` (``-`` becomes ``m``, ``.`` becomes ``p``),
  a list as ``<field><v1>x<v2>``, a boolean as ``<field>`` or
  ``no<field>``: ``prefix_shifter_w3_s2``. Two points with the same name or the
  same spec are an error.

Every grid error is one line naming the file, the field, the value and what
is allowed; nothing is written then.

Results
-------

Per point: Yosys ``xilinx7`` LUT, FF, CARRY4 (and LUT1..6, MUXF7/8), the
``generic`` gate count (flip-flops included) and logic depth, the product
width, the Amaranth-simulator check, and the SNR in dB of the family's
quantizer on the grid's weights at the scale
:meth:`Family.quantize_for_snr <shiftgen.families.base.Family.quantize_for_snr>`
chooses for them (each family's rule, which the table names). From the
build's ``targets.asic`` (:func:`shiftgen.synth.asic.asic_target`): the
energy per MAC in pJ at vectorless and at simulated activity
(``energy_pj_vectorless``, ``energy_pj_simulated``) and the OpenSTA fmax
(``asic_fmax_mhz``); from ``targets.ecp5``: the post-route fmax
(``ecp5_fmax_mhz``); ``asic`` and ``ecp5`` keep the rest (power, clock,
liberty, activity, conditions). A figure the build could not make (no
``sta``, a clock the PE cannot meet, no nextpnr) is ``None`` and
``missing`` gives its reason, which every table shows. A point that fails (a tool error, a
mismatch) makes the sweep exit 1 after the other points finished; they stay
cached, and the outputs are not written.

Cache and outputs
-----------------

A point's key is the SHA-256 of its canonical spec (name, family, and every
``pe`` and ``params`` field with its default filled in; JSON with sorted
keys), the weights settings, the shiftgen version, the Yosys version and what
the ASIC and ECP5 figures depend on
(:func:`~shiftgen.flows.sweep.task.measurement_settings`: the result format
:data:`~shiftgen.flows.sweep.task.RESULT_FORMAT`, the clock, the liberty's
SHA-256, the OpenSTA and nextpnr versions or their absence). Its result is
kept in ``<out>/cache/<key>.json``, so a re-run computes only new points (and
a renamed entry is new); an entry lacking a field of the current result is
computed again. A worker whose tools differ from this machine's is refused,
since its result would sit under the wrong key. The task builds in a
temporary directory under ``<out>/.work`` (a Dask worker that cannot make
that path uses ``.shiftgen-sweep-work`` in its own current directory).
``<out>`` (default ``build/sweep/<name>``) also gets ``sweep.json``,
``sweep.csv``, ``sweep.md``, ``pareto.png``/``pareto.svg`` (LUT against SNR)
and ``pareto_energy.png``/``pareto_energy.svg`` (energy per MAC against SNR,
a panel per activity source, each front ringed and the points without a
figure listed), each written beside its place and renamed into it.
``sweep.json`` keeps what depends on the run (backend, counts, wall time)
under ``run`` and the per-point stage times under ``timings``; the rest
(:func:`comparable`) is the same for the same grid whatever the backend.

The package: :mod:`~shiftgen.flows.sweep.grid` (grid files into points),
:mod:`~shiftgen.flows.sweep.task` (one point, on any worker) and
:mod:`~shiftgen.flows.sweep.run` (the cache, the jobs, the outputs);
:mod:`shiftgen.reports.sweep` renders the tables.
"""

from .grid import DEFAULT_WEIGHTS, Grid, Point, load_grid, parse_grid, point_key, point_name
from .run import comparable, run_sweep
from .task import make_weights, run_point

__all__ = ["Grid", "Point", "DEFAULT_WEIGHTS", "load_grid", "parse_grid", "point_name",
           "point_key", "make_weights", "run_point", "run_sweep", "comparable"]
