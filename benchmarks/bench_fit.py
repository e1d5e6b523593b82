"""Time FINDBESTQPS (seed 003 Algorithm 1) on one million Laplace weights.

Usage: python benchmarks/bench_fit.py

Weights are Laplace(0, 0.02) with a fixed seed; the universal set is option 5
of seed 003 Table 1. Runs 2-, 3- and 4-bit (2, 4 and 8 points) per layer and
the 3-bit case with one scale per channel over 64 channels, each with the
default single start of the scale iteration (``grid=0``, as in the paper) and
with the extra grid start (``grid=128``). Figures are printed, never asserted.
"""

import time

import numpy as np

import os

# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.families.sq_search import find_best_qps, universal_set

N_WEIGHTS = 1_000_000
CHANNELS = 64


def run(label, weights, n_points, **kwargs):
    start = time.perf_counter()
    fit = find_best_qps(weights, n_points, **kwargs)
    seconds = time.perf_counter() - start
    points = "{" + ", ".join(str(p) for p in fit.points) + "}"
    if np.ndim(fit.alpha):
        alpha = (f"alpha per channel: min {fit.alpha.min():.6g}, "
                 f"max {fit.alpha.max():.6g}")
    else:
        alpha = f"alpha {fit.alpha:.6g}"
    print(f"{label:<36} {seconds:6.2f} s  {fit.subsets:5d} subsets  QPS {points}")
    print(f"{'':<36} {alpha}  loss {fit.loss:.9g}  converged {fit.converged}")


def main():
    rng = np.random.default_rng(20240503)
    weights = rng.laplace(0.0, 0.02, N_WEIGHTS)
    energy = float(np.sum(weights ** 2))
    print(f"{N_WEIGHTS} Laplace(0, 0.02) weights, sum(w**2) = {energy:.6g}; "
          f"option 5, |S_U| = {len(universal_set(5))}")
    for bits, n_points in ((2, 2), (3, 4), (4, 8)):
        for grid in (0, 128):
            run(f"{bits}-bit, N={n_points}, per layer, grid={grid}", weights, n_points, grid=grid)
    for grid in (0, 128):
        run(f"3-bit, N=4, {CHANNELS} channels, grid={grid}", weights.reshape(CHANNELS, -1), 4,
            per_channel_axis=0, grid=grid)


if __name__ == "__main__":
    main()
