"""The PE builds on the LUT / quantization-SNR plane."""

import math

from ...spec.load import load_spec
from ...weights.seeded import quantize_for_snr

__all__ = ["WEIGHTS_N", "WEIGHTS_SEED", "pareto_points"]

#: Seeded weights of the SNR axis and the levels plots.
WEIGHTS_N, WEIGHTS_SEED = 1 << 16, 0


def pareto_points(jobs, ours_by_name, weights):
    """``{"label", "family", "bits", "lut", "ff", "snr_db", "scale", "spec"}`` per PE build."""
    points = []
    for job in jobs:
        if job["kind"] != "pe":
            continue
        spec = load_spec(job["spec_path"])
        _, snr, rule = quantize_for_snr(spec, weights)
        ours = ours_by_name.get(job["name"]) or {}
        points.append({"label": job["name"], "family": spec.family.name,
                       "bits": spec.pe.weight_bits, "lut": ours.get("LUT"),
                       "ff": ours.get("FF"),
                       "snr_db": round(snr, 4) if math.isfinite(snr) else None,
                       "scale": rule, "spec": job["spec_rel"]})
    return points
