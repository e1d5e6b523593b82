"""One sweep point, built and scored on whatever worker runs it (a local process or Dask)."""

import math
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

__all__ = ["XILINX_FIGURES", "make_weights", "run_point"]

XILINX_FIGURES = ("LUT", "FF", "CARRY4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6",
                  "MUXF7", "MUXF8")


def make_weights(weights_cfg):
    """The seeded weights of a grid's ``weights`` settings."""
    return seeded_weights(weights_cfg["count"], weights_cfg["seed"],
                          weights_cfg["distribution"])


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


def run_point(spec_text, weights_cfg, work_root, fitted=(), *, progress=None):
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
    progress : callable, optional
        Told each stage of the build.

    Returns
    -------
    dict
        ``{"result": {...}, "timing": {...}}``, JSON-ready: ``result`` depends
        only on the arguments and the tool versions, ``timing`` holds the
        stage times in seconds.

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
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=_work_dir(work_root)) as tmp:
        report, _, times = build(spec, tmp, synth=True, progress=progress)
    timing.update(times)
    failed = report_failures(report)
    if failed:
        raise VerificationError(f"verification failed: {', '.join(failed)}")
    t = time.monotonic()
    quantized, snr, rule = quantize_for_snr(spec, weights)
    timing["snr"] = time.monotonic() - t
    timing["total"] = time.monotonic() - start
    x, g = report["targets"]["xilinx7"], report["targets"]["generic"]
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
        "snr_db": round(snr, 6) if math.isfinite(snr) else None,
        "scale": float(quantized.alpha),
        "scale_rule": rule,
        "xilinx7": {**{k: x.get(k, 0) for k in XILINX_FIGURES}, "recipe": x["recipe"]},
        "generic": {"total": g["total"], "depth": g["depth"], "cells": g["cells"],
                    "recipe": g["recipe"]},
        "check": report["verification"]["amaranth_sim"],
        "fit": fit,
        "yosys": report["tools"]["yosys"],
    }
    return {"result": result, "timing": {k: round(v, 3) for k, v in timing.items()}}
