"""One sweep point, built and scored on whatever worker runs it (a local process or Dask)."""

import math
import re
import tempfile
import time
from pathlib import Path

import yaml

from ...errors import VerificationError
from ...spec.load import parse_spec
from ...verify.verdict import report_failures
from ...weights.seeded import quantize_for_snr, seeded_weights
from ..build import build
from .grid import dump

__all__ = ["XILINX_FIGURES", "ENERGY_FIGURES", "SPEED_FIGURES", "RESULT_FORMAT",
           "make_weights", "measurement_settings", "run_point"]

XILINX_FIGURES = ("LUT", "FF", "CARRY4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6",
                  "MUXF7", "MUXF8")

#: Result field of each activity source's energy per MAC (pJ, ``targets.asic``).
ENERGY_FIGURES = {"vectorless": "energy_pj_vectorless", "simulated": "energy_pj_simulated"}
#: Result fields of the ASIC (OpenSTA) and ECP5 (nextpnr, post-route) fmax in MHz.
SPEED_FIGURES = ("asic_fmax_mhz", "ecp5_fmax_mhz")

#: The shape of :func:`run_point`'s result. It is part of every cache key
#: (:func:`~shiftgen.flows.sweep.grid.point_key`): bump it when a field is added,
#: removed or changes meaning, so that entries an earlier shiftgen wrote are
#: computed again instead of being read without the field. 2: the energy and
#: fmax figures (``ENERGY_FIGURES``, ``SPEED_FIGURES``, ``asic``, ``ecp5``, ``missing``).
RESULT_FORMAT = 2


def make_weights(weights_cfg):
    """The seeded weights of a grid's ``weights`` settings."""
    return seeded_weights(weights_cfg["count"], weights_cfg["seed"],
                          weights_cfg["distribution"])


def measurement_settings(clock_mhz, liberty=None):
    """What a point's ASIC and ECP5 figures depend on besides its spec, for its cache key.

    Parameters
    ----------
    clock_mhz : float
        The clock of the power figures.
    liberty : str or os.PathLike, optional
        The user's liberty (``--liberty``); default the one
        :func:`~shiftgen.synth.liberty.find_liberty` finds.

    Returns
    -------
    dict
        ``format`` (:data:`RESULT_FORMAT`), ``clock_mhz``, ``liberty`` (the
        name and SHA-256 of the liberty, or ``None`` when there is none),
        ``sta`` (OpenSTA's version, or ``None`` when it is
        not installed) and ``nextpnr`` (likewise). A tool installed later
        changes the key, so the points that lacked its figures run again.

    Raises
    ------
    InputError
        If ``liberty`` cannot be read or lacks a cell the flow needs.
    """
    from ...synth.ecp5 import nextpnr_version
    from ...synth.liberty import find_liberty, read_library
    from ...synth.sta import sta_version
    lib = liberty if liberty is not None else find_liberty()
    lib = None if lib is None else read_library(lib)
    return {"format": RESULT_FORMAT, "clock_mhz": float(clock_mhz),
            "liberty": None if lib is None else {"name": lib.name, "sha256": lib.sha256},
            "sta": sta_version(),
            "nextpnr": nextpnr_version()}


def _asic_summary(asic):
    """The sweep's part of ``targets.asic``, its flat figures, and why any is missing."""
    asic = asic or {"reason": "the build's report has no targets.asic"}
    energy = asic.get("energy_pj_per_mac") or {}
    activity = asic.get("activity") or {}
    reason = asic.get("reason") or "no figure in targets.asic"
    figures, missing = {}, {}
    for source, field in ENERGY_FIGURES.items():
        figures[field] = energy.get(source)
        if figures[field] is None:
            # A simulated figure that could not be made says why where its activity goes.
            missing[field] = (activity.get(source) if source in energy and activity.get(source)
                              else reason)
    figures["asic_fmax_mhz"] = asic.get("fmax_mhz")
    if figures["asic_fmax_mhz"] is None:
        missing["asic_fmax_mhz"] = reason
    power = asic.get("power_mw") or {}
    summary = {
        "liberty": asic.get("liberty"), "clock_mhz": asic.get("clock_mhz"),
        "area_um2": asic.get("area_um2"), "critical_path_ns": asic.get("critical_path_ns"),
        "fmax_mhz": asic.get("fmax_mhz"), "meets_clock": asic.get("meets_clock"),
        "power_mw": {k: power.get(k) for k in ENERGY_FIGURES} if power else None,
        "energy_pj_per_mac": {k: energy.get(k) for k in ENERGY_FIGURES} if energy else None,
        # The simulated activity's mean differs per point; the method is the text before it.
        "activity": {k: v.split("; mean ")[0] for k, v in activity.items()} or None,
        "mean_activity": _mean_activity(activity.get("simulated")),
        "conditions": asic.get("conditions"),
        "sta": (asic.get("tools") or {}).get("sta"),
        "reason": asic.get("reason")}
    return summary, figures, missing


def _mean_activity(text):
    m = re.search(r"; mean ([0-9.eE+-]+) toggles", text or "")
    return float(m.group(1)) if m else None


def _ecp5_summary(ecp5):
    """The sweep's part of ``targets.ecp5``, its fmax, and why it is missing."""
    ecp5 = ecp5 or {"reason": "the build's report has no targets.ecp5"}
    summary = {k: ecp5.get(k) for k in ("device", "fmax_mhz", "fmax_min_mhz", "seeds", "cells",
                                        "wrapper", "conditions", "reason")}
    missing = ({} if ecp5.get("fmax_mhz") is not None else
               {"ecp5_fmax_mhz": ecp5.get("reason") or "no figure in targets.ecp5"})
    return summary, {"ecp5_fmax_mhz": ecp5.get("fmax_mhz")}, missing


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


def _params(spec):
    import dataclasses
    out = {f.name: getattr(spec.params, f.name) for f in dataclasses.fields(spec.params) if f.init}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def run_point(spec_text, weights_cfg, work_root, fitted=(), clock_mhz=None, liberty=None, *,
              progress=None):
    """Build, synthesize and score one point: the job every backend runs.

    Parameters
    ----------
    spec_text : str
        The point's spec (:attr:`~shiftgen.flows.sweep.grid.Point.text`).
    weights_cfg : dict
        The grid's ``weights`` settings.
    work_root : str
        Directory for the temporary build (inside the current directory, as
        YoWASP Yosys wants); when a worker cannot make it,
        ``.shiftgen-sweep-work`` in the worker's current directory is used.
    fitted : tuple of str
        The ``params`` fields to fit to the weights first
        (:meth:`~shiftgen.families.base.Family.sweep_fitted`).
    clock_mhz : float, optional
        The clock of the ASIC power figures (default
        :data:`shiftgen.synth.asic.DEFAULT_CLOCK_MHZ`).
    liberty : str, optional
        The liberty of the ASIC figures (on this worker); default the embedded one.
    progress : callable, optional
        Told each stage of the build.

    Returns
    -------
    dict
        ``{"result": {...}, "timing": {...}, "measures": {...}}``, JSON-ready
        (``measures``: :func:`measurement_settings` on this worker): ``result`` depends
        only on the arguments and the tool versions, ``timing`` holds the
        stage times in seconds. Beside the Xilinx and generic figures,
        ``result`` has the energy per MAC of each activity source
        (:data:`ENERGY_FIGURES`), the ASIC and ECP5 fmax
        (:data:`SPEED_FIGURES`), summaries of ``targets.asic`` and
        ``targets.ecp5`` under ``asic`` and ``ecp5``, and ``missing``: for
        each of those figures that is ``None``, the reason (no ``sta``, a
        clock the PE cannot meet, no nextpnr).

    Raises
    ------
    ShiftgenError
        If a tool fails or a check finds a mismatch
        (:class:`~shiftgen.errors.VerificationError`).
    """
    start = time.monotonic()
    timing = {}
    doc = yaml.safe_load(spec_text)
    name = doc["name"]
    weights = make_weights(weights_cfg)
    fit = None
    if fitted:
        t = time.monotonic()
        from ...families import FAMILIES
        family = FAMILIES[doc["family"]]
        _, stand_in = family.sweep_fitted(doc.get("params") or {}, doc.get("pe") or {})
        rough = parse_spec(dump({**doc, "params": stand_in}), path=f"{name}.yaml")
        updates, summary = family.fit(rough, weights)
        values = {k: updates[k] for k in fitted}
        doc["params"] = {**(doc.get("params") or {}), **values}
        fit = {**values, "alpha": summary.get("alpha"), "loss": summary["loss"],
               "fitted": list(fitted)}
        timing["fit"] = time.monotonic() - t
    spec = parse_spec(dump(doc), path=f"{name}.yaml")
    from ...synth.asic import DEFAULT_CLOCK_MHZ
    clock = DEFAULT_CLOCK_MHZ if clock_mhz is None else clock_mhz
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=_work_dir(work_root)) as tmp:
        report, _, times = build(spec, tmp, synth=True, progress=progress, clock_mhz=clock,
                                 liberty=liberty)
    timing.update(times)
    failed = report_failures(report)
    if failed:
        raise VerificationError(f"verification failed: {', '.join(failed)}")
    t = time.monotonic()
    quantized, snr, rule = quantize_for_snr(spec, weights)
    timing["snr"] = time.monotonic() - t
    timing["total"] = time.monotonic() - start
    x, g = report["targets"]["xilinx7"], report["targets"]["generic"]
    asic, asic_figures, asic_missing = _asic_summary(report["targets"].get("asic"))
    ecp5, ecp5_figures, ecp5_missing = _ecp5_summary(report["targets"].get("ecp5"))
    result = {
        "family": spec.family.name,
        "weight_bits": spec.pe.weight_bits,
        "act_bits": spec.pe.act_bits,
        "acc_bits": spec.pe.acc_bits,
        "product_bits": report["codebook"]["product_bits"],
        "F": report["codebook"]["F"],
        "params": _params(spec),
        "lut": x["LUT"], "ff": x["FF"], "carry4": x["CARRY4"],
        "gates": g["total"], "depth": g["depth"],
        **asic_figures, **ecp5_figures,
        "missing": {**asic_missing, **ecp5_missing},
        "snr_db": round(snr, 6) if math.isfinite(snr) else None,
        "scale": float(quantized.alpha),
        "scale_rule": rule,
        "xilinx7": {**{k: x.get(k, 0) for k in XILINX_FIGURES}, "recipe": x["recipe"]},
        "generic": {"total": g["total"], "depth": g["depth"], "cells": g["cells"],
                    "recipe": g["recipe"]},
        "asic": asic,
        "ecp5": ecp5,
        "check": report["verification"]["amaranth_sim"],
        "fit": fit,
        "yosys": report["tools"]["yosys"],
    }
    # The settings as this worker saw them: the caller keys the result by its own
    # and refuses a result measured otherwise.
    return {"result": result, "timing": {k: round(v, 3) for k, v in timing.items()},
            "measures": measurement_settings(clock, liberty)}
