"""A real layer through the generated array: scikit-learn's digits, one family at a time.

The data ships inside scikit-learn (``sklearn.datasets.load_digits``: 1797
images of 8x8 pixels, each an integer 0..16), so nothing is downloaded.

1. Split the images (stratified, fixed seed) and train a small MLP
   (64 -> 16 ReLU -> 10) in floating point on ``pixels / 16``. The ``1/16``
   is folded into the first layer's weights, so that layer takes the raw
   integer pixels: its input is exact, with no activation quantization.
2. For each family, take its shipped spec (``specs/``), fit what the family
   fits to these weights (the SQ QPS, the AUSN split, the JLQ scale), and
   quantize the first layer's ``64 x 16`` weight matrix with
   :func:`shiftgen.weights.quantize.quantize_matrix`: integer codes, and one scale per
   output column or one per matrix. ``--scale auto`` (the default) keeps,
   per family, the one with the higher weight SNR: it looks at the weights
   only, never at the test set.
3. Run the test images through the generated ``64 x 16`` weight-stationary
   array of that family's PE in the Amaranth simulator
   (:func:`shiftgen.verify.amaranth_sim.simulate_array`) and compare every output with
   the golden model (:func:`shiftgen.golden.matmul`): they must be equal.
4. Turn the integer outputs into real pre-activations
   (``Y * scale * 2**-F + bias``), finish the network in floating point
   (ReLU, second layer) and report the test accuracy against the float
   network.

5. ``--constant``: bake each family's quantized layer into a constant-weight
   array (``array.dataflow: constant``, :mod:`shiftgen.hdl.constant`) and
   build it as ``shiftgen build`` does (:func:`shiftgen.flows.build.build`:
   both back ends, the xilinx7 LUTs, the standard-cell power), run the same
   images through it in the Amaranth simulator against the golden model,
   and report its accuracy, LUTs and energy per inference: the layer's
   power over the clock, one image a cycle.

``--samples N`` sends only the first ``N`` test images through the array (the
reduced form CI runs); the accuracy still covers the whole test set, with the
golden model's outputs for the images the array did not see.

Run ``python examples/digits_demo.py`` (``--help`` for the options).
"""

import argparse
import json
import math
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import yaml

from shiftgen import golden
from shiftgen.verify.amaranth_sim import simulate_array
from shiftgen.weights.quantize import QuantizedMatrix, error_stats, quantize_matrix
from shiftgen.spec import parse_spec

__all__ = ["CONFIGS", "SCALES", "Network", "load_data", "train", "make_spec", "fit_spec",
           "quantize_layer", "run_family", "constant_layer", "run", "format_table", "main"]

#: Shipped specs (``specs/<name>.yaml``): one configuration per family.
CONFIGS = {
    "uniform": "uniform_8x8",
    "pot": "pot_4bit",
    "apot": "apot_4bit",
    "sq": "sq_4bit",
    "jlq": "jlq_3bit",
    "ausn": "ausn_8x4",
}

SPEC_DIR = Path(__file__).resolve().parent.parent / "specs"

#: Test share and seed of the train/test split, and the network.
TEST_SIZE = 0.25
SEED = 0
HIDDEN = 16
MAX_ITER = 2000

#: Grid of the JLQ scale fit: points per octave, octaves searched.
_ALPHA_STEPS = 64


# --- data and network -------------------------------------------------------------------


def load_data(test_size=TEST_SIZE, seed=SEED):
    """The digits, split: ``(X_train, X_test, y_train, y_test)``, pixels as ``int64`` 0..16."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x.astype(np.int64)
    assert x.min() >= 0 and x.max() <= 16
    return train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)


class Network:
    """A ``64 -> hidden -> 10`` ReLU MLP, its first layer on integer pixels.

    Members
    -------
    w1 : numpy.ndarray
        ``(64, hidden)``: the first layer's weights for raw pixels (``Y = X @ w1``).
    b1, w2, b2 : numpy.ndarray
        The rest of the network, in floating point.
    iterations : int
    converged : bool
        ``False`` if training stopped at ``max_iter`` (scikit-learn's
        ``ConvergenceWarning``, caught and reported here instead).
    """
    def __init__(self, w1, b1, w2, b2, iterations=0, converged=True):
        self.w1, self.b1, self.w2, self.b2 = w1, b1, w2, b2
        self.iterations = iterations
        self.converged = converged

    @classmethod
    def from_classifier(cls, clf, converged):
        """From a fitted ``MLPClassifier`` trained on ``pixels / 16``."""
        return cls(clf.coefs_[0] / 16.0, clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1],
                   int(clf.n_iter_), converged)

    def classify(self, pre):
        """Class of each row of first-layer pre-activations (bias included)."""
        return np.argmax(np.maximum(pre, 0.0) @ self.w2 + self.b2, axis=1)

    def predict(self, x):
        """Float prediction of integer pixel rows."""
        return self.classify(x @ self.w1 + self.b1)


def train(x_train, y_train, hidden=HIDDEN, seed=SEED, max_iter=MAX_ITER):
    """Fit ``MLPClassifier(hidden_layer_sizes=(hidden,))`` on ``x_train / 16``; deterministic."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(x_train / 16.0, y_train)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    for w in caught:  # anything else is not ours to swallow
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return Network.from_classifier(clf, converged)


# --- specs, fitting, quantizing ---------------------------------------------------------


def spec_doc(name, params=None, drop=(), rows=None, cols=None, array=None):
    """The document of the shipped spec ``name`` as :func:`make_spec` changes it."""
    doc = yaml.safe_load((SPEC_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    merged = {**(doc.get("params") or {}), **(params or {})}
    merged = {k: v for k, v in merged.items() if k not in drop}
    if merged:
        doc["params"] = merged
    else:
        doc.pop("params", None)
    if rows is not None:
        doc["array"] = {"rows": int(rows), "cols": int(cols), **(array or {})}
    return doc


def make_spec(name, params=None, drop=(), rows=None, cols=None, array=None):
    """The shipped spec ``name`` with ``params`` merged in, ``drop`` removed, and an array.

    ``rows`` and ``cols`` add an ``array: {rows, cols}`` section, and ``array``
    (a dict) more fields of it.
    """
    doc = spec_doc(name, params, drop, rows, cols, array)
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), path=SPEC_DIR / f"{name}.yaml")


def _fit_alpha(spec, weights):
    """The scale of least L2 error for the spec's own quantizer, by a geometric grid.

    For a family whose scale is a fixed parameter and which has no ``fit``
    (``jlq``: ``alpha`` defaults to 1). Searches ``_ALPHA_STEPS`` points per
    octave over the scales that put the largest level between the smallest
    and twice the largest ``|w|``, then keeps the best.
    """
    cb = spec.codebook
    levels = np.abs(cb.table.astype(np.float64)) * 2.0 ** -cb.F
    top, low = levels.max(), levels[levels > 0].min()
    peak = float(np.max(np.abs(weights)))
    if peak == 0:
        return 1.0
    octaves = math.log2(top / low) + 1
    alphas = peak / top * 2.0 ** np.linspace(-octaves, 1, int(_ALPHA_STEPS * (octaves + 1)) + 1)
    losses = [float(np.sum((spec.family.quantize(spec, weights, alpha=a).dequantize()
                            - weights) ** 2)) for a in alphas]
    return float(alphas[int(np.argmin(losses))])


#: Scale granularities: one scale per output column, or one per matrix.
SCALES = ("channel", "layer")

_FITS = {}


def _family_fit(spec, weights):
    """``spec.family.fit(spec, weights)`` for the whole layer, once per spec and weights."""
    key = (spec.name, weights.shape, weights.tobytes())
    if key not in _FITS:
        _FITS[key] = spec.family.fit(spec, weights, None)
    return _FITS[key]


def fit_spec(name, weights, per_channel):
    """What the family of the shipped spec ``name`` fits to ``weights``.

    - ``sq``: FINDBESTQPS for the layer (``family.fit``, seed 003 Algorithm 1):
      the QPS, and its ``alpha``; with ``per_channel`` the ``alpha`` is dropped,
      so each column's scale is fitted to the layer's QPS when quantizing.
    - ``ausn``: the basic/subdivision split of these weights (``family.fit``,
      seed 001 section 4.3), of those with at least one subdivision part.
    - ``jlq``: ``alpha`` is a fixed parameter (default 1) with no fit, so the
      layer's scale is searched here (:func:`_fit_alpha`); per channel,
      :func:`quantize_layer` searches each column's.
    - the others choose their scale when quantizing.

    Returns
    -------
    (dict, tuple of str)
        Parameter updates (JSON-ready) and parameters to drop, for
        :func:`make_spec`.
    """
    spec = make_spec(name)
    family = spec.family.name
    if family == "sq":
        updates, _ = _family_fit(spec, weights)
        if per_channel:
            return {k: v for k, v in updates.items() if k != "alpha"}, ("alpha",)
        return updates, ()
    if family == "ausn":
        # The fit also ranks a split with no subdivision part, which the spec
        # (a superposition PE) does not accept: take the best one it does.
        _, summary = _family_fit(spec, weights)
        best = min((c for c in summary["candidates"] if c["sub"]), key=lambda c: c["error"])
        return {"basic": int(best["basic"]), "sub": [int(b) for b in best["sub"]]}, ()
    if family == "jlq" and not per_channel:
        return {"alpha": _fit_alpha(spec, weights)}, ()
    return {}, ()


def quantize_layer(spec, weights, per_channel):
    """:func:`~shiftgen.weights.quantize.quantize_matrix` of ``weights`` for ``spec``.

    A ``jlq`` spec per channel gets each column quantized with its own
    searched ``alpha`` (its quantizer takes the scale from the spec, so
    ``quantize_matrix(per_channel=True)`` would give every column the same).
    """
    if not (per_channel and spec.family.name == "jlq"):
        return quantize_matrix(spec, weights, per_channel=per_channel)
    name = spec.path.stem
    columns = []
    for j in range(weights.shape[1]):
        column = weights[:, j:j + 1]
        columns.append(quantize_matrix(make_spec(name, {"alpha": _fit_alpha(spec, column)}),
                                       column))
    codes = np.concatenate([q.codes for q in columns], axis=1)
    deq = np.concatenate([q.dequantized for q in columns], axis=1)
    scale = np.array([q.scale for q in columns])
    return QuantizedMatrix(codes=codes, scale=scale, dequantized=deq,
                           stats=error_stats(weights, deq, codes), codebook=spec.codebook)


# --- the array --------------------------------------------------------------------------


def _simulate(spec, codes, x, dut=None):
    """``Y`` of one job from the Amaranth simulator, and the seconds it took."""
    start = time.monotonic()
    (y,) = simulate_array(spec, [(codes, x)], dut=dut)
    return y, time.monotonic() - start


def _snr(qm):
    snr = qm.stats["snr_db"]
    return math.inf if snr is None else snr


def run_family(name, net, x_test, samples, scale="auto"):
    """Fit, quantize and prepare one family: everything but the simulation.

    Parameters
    ----------
    scale : str
        ``channel`` (one scale per output column), ``layer`` (one per
        matrix) or ``auto``: the one of the two with the higher weight SNR.

    Returns
    -------
    dict
        ``row`` (the table entry so far), ``array_spec``, ``codes``, ``x``
        (the images for the array), ``golden`` (``Y`` of every test image),
        ``qm``, ``drop`` (the spec parameters the fit removed).
    """
    candidates = []
    for mode in (SCALES if scale == "auto" else (scale,)):
        per_channel = mode == "channel"
        fitted, drop = fit_spec(name, net.w1, per_channel)
        spec = make_spec(name, fitted, drop)
        candidates.append((mode, fitted, drop, spec,
                           quantize_layer(spec, net.w1, per_channel)))
    mode, fitted, drop, spec, qm = max(candidates, key=lambda c: _snr(c[4]))  # first on a tie
    rows, cols = net.w1.shape
    array_spec = make_spec(name, fitted, drop, rows=rows, cols=cols)
    if array_spec.codebook != qm.codebook:
        raise RuntimeError(f"{name}: the array's codebook differs from the quantizer's")
    cb = spec.codebook
    y_gold = golden.matmul(cb, x_test, qm.codes)
    # The integers stand for the real layer: Y * scale * 2**-F == X @ W_q.
    real = y_gold * np.asarray(qm.scale) * 2.0 ** -cb.F
    if not np.allclose(real, x_test @ qm.dequantized, rtol=1e-9, atol=1e-9):
        raise RuntimeError(f"{name}: Y * scale * 2**-F is not X @ W_q")
    row = {"family": spec.family.name, "spec": name, "weight_bits": spec.pe.weight_bits,
           "F": cb.F, "scale_mode": mode, "snr_db": qm.stats["snr_db"],
           "snr_db_by_scale": {c[0]: c[4].stats["snr_db"] for c in candidates},
           "codes_used": qm.stats["codes_used"], "fitted": fitted,
           "scale": qm.scale if qm.scale_axis is None else [float(v) for v in qm.scale]}
    return {"row": row, "array_spec": array_spec, "codes": qm.codes, "x": x_test[:samples],
            "golden": y_gold, "qm": qm, "drop": drop}


def _finish(prep, y_array, seconds, net, y_test, float_acc):
    """Compare with the golden model and score: the table row."""
    row, y_gold = prep["row"], prep["golden"]
    n = len(y_array)
    if y_array.shape != y_gold[:n].shape:
        raise RuntimeError(f"{row['spec']}: the array returned outputs of shape "
                           f"{y_array.shape}, not {y_gold[:n].shape}")
    row["array_samples"] = n
    row["mismatches"] = int(np.sum(y_array != y_gold[:n]))
    row["sim_seconds"] = round(seconds, 2)
    y = np.concatenate([y_array, y_gold[n:]])  # the array's outputs where it ran
    qm = prep["qm"]
    pre = y * np.asarray(qm.scale) * 2.0 ** -qm.codebook.F + net.b1
    row["accuracy"] = float(np.mean(net.classify(pre) == y_test))
    row["delta"] = row["accuracy"] - float_acc
    return row


#: Clock of the constant layer's power figure: the combinational 64 x 16 arrays run
#: at about 25 MHz in the OSU 0.18 um cells (PoT: 40 ns), and a power figure is refused
#: above a design's fmax. Energy per inference hardly depends on it (vectorless activity
#: is per clock period; leakage is a few uW).
CONSTANT_CLOCK_MHZ = 10.0


def constant_layer(prep, out_dir, say=lambda msg: None, clock_mhz=CONSTANT_CLOCK_MHZ):
    """Layer 1 of one family as a constant-weight array: built, simulated, measured.

    The codes are written as ``shiftgen quantize`` writes them
    (:func:`~shiftgen.weights.quantize.write_outputs`) into
    ``out_dir/weights``, and a spec with ``array: {dataflow: constant, weights}``
    is built into ``out_dir`` by :func:`shiftgen.flows.build.build` (its own
    checks against the golden model included). The images of ``prep["x"]``
    then run through the back end the build kept.

    Returns
    -------
    dict
        ``backend``, ``LUT`` / ``FF`` / ``CARRY4`` (``array.targets.xilinx7.totals``),
        ``y`` (the array's outputs), ``build_checks`` (each check's result),
        ``energy_nj_per_inference`` (``None`` with ``energy_reason`` where the
        build has no power figure), ``clock_mhz``, ``liberty`` and ``seconds``.
    """
    from shiftgen.files import write_text
    from shiftgen.flows.build import build
    from shiftgen.hdl.constant import ConstantArray
    from shiftgen.weights.quantize import write_outputs

    start = time.monotonic()
    spec, qm = prep["array_spec"], prep["qm"]
    out_dir = Path(out_dir)
    write_outputs(out_dir / "weights", spec, qm)
    rows, cols = qm.shape
    # A file beside its weights: cocotb's test loads the spec from it.
    path = out_dir / f"{prep['row']['spec']}.yaml"
    write_text(path, yaml.safe_dump(spec_doc(prep["row"]["spec"], prep["row"]["fitted"],
                                             prep["drop"], rows, cols,
                                             {"dataflow": "constant", "weights": "weights"}),
                                    sort_keys=False))
    const_spec = parse_spec(path.read_text(encoding="utf-8"), path=path)
    if const_spec.codebook != spec.codebook:
        raise RuntimeError(f"{const_spec.name}: the constant array's codebook differs from "
                           "the quantizer's")
    say(f"{prep['row']['family']}: building the constant-weight layer")
    report, _, _ = build(const_spec, out_dir / "build", clock_mhz=clock_mhz)
    arr = report["array"]
    y, _ = _simulate(const_spec, prep["codes"], prep["x"],
                     dut=ConstantArray(const_spec, arr["backend"]))
    totals = arr["targets"]["xilinx7"]["totals"]
    asic = arr["targets"].get("asic") or {}
    power = (asic.get("power_mw") or {}).get("vectorless")
    return {"backend": arr["backend"], **{k: totals[k] for k in ("LUT", "FF", "CARRY4")},
            "y": y, "build_checks": {k: v["result"] for k, v in arr["verification"].items()},
            # mW / MHz is nJ a cycle; the array takes one image a cycle.
            "energy_nj_per_inference": None if power is None
            else round(power["total"] / asic["clock_mhz"], 6),
            "energy_reason": None if power is not None else asic.get("reason", "no ASIC figure"),
            "clock_mhz": asic.get("clock_mhz"), "liberty": asic.get("liberty"),
            "seconds": round(time.monotonic() - start, 1)}


def _constant_row(prep, out_dir, net, y_test, float_acc, say, clock_mhz):
    """The constant layer's table entry: :func:`constant_layer` scored as :func:`_finish` scores."""
    layer = constant_layer(prep, out_dir, say, clock_mhz)
    y = layer.pop("y")
    scored = _finish({"row": {"spec": prep["row"]["spec"]}, "golden": prep["golden"],
                      "qm": prep["qm"]}, y, layer["seconds"], net, y_test, float_acc)
    return {**layer, **{k: scored[k] for k in ("array_samples", "mismatches", "accuracy",
                                                "delta")}}


def run(families=None, samples=None, scale="auto", jobs=1, progress=None, constant=None,
        clock_mhz=CONSTANT_CLOCK_MHZ):
    """The whole demo; returns the JSON-ready result document.

    Parameters
    ----------
    constant : path-like, optional
        Also build each family's layer as a constant-weight array
        (:func:`constant_layer`) under ``constant/<family>`` and score it.
    clock_mhz : float
        Clock of the constant layers' power figures (:data:`CONSTANT_CLOCK_MHZ`).
    families : list of str, optional
        Keys of :data:`CONFIGS` (default: all).
    samples : int, optional
        Test images sent through the array (default: all).
    scale : str
        ``auto`` (default), ``channel`` or ``layer``: see :func:`run_family`.
    jobs : int
        Simulations run at once, in separate processes (1: in this one).
    progress : callable, optional
        Called with a line of progress text.
    """
    start = time.monotonic()
    say = progress or (lambda msg: None)
    families = list(CONFIGS) if families is None else list(families)
    if scale not in ("auto",) + SCALES:
        raise ValueError(f"scale must be auto, channel or layer, not {scale!r}")
    x_train, x_test, y_train, y_test = load_data()
    net = train(x_train, y_train)
    float_acc = float(np.mean(net.predict(x_test) == y_test))
    samples = len(x_test) if samples is None else min(int(samples), len(x_test))
    say(f"MLP 64-{net.w1.shape[1]}-10: float test accuracy {float_acc:.4f} "
        f"({net.iterations} iterations)")
    preps = []
    for fam in families:
        preps.append(run_family(CONFIGS[fam], net, x_test, samples, scale))
        row = preps[-1]["row"]
        say(f"{fam}: quantized to {row['spec']}, one scale per {row['scale_mode']}, "
            f"weight SNR {_snr_text(row['snr_db'])} dB")
    rows = []
    if jobs > 1 and len(preps) > 1:
        # spawn: a clean interpreter per worker (no fork of BLAS or simulator threads)
        with ProcessPoolExecutor(max_workers=min(jobs, len(preps)),
                                 mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_simulate, p["array_spec"], p["codes"], p["x"])
                       for p in preps]
            for fam, prep, fut in zip(families, preps, futures):
                y, secs = fut.result()
                rows.append(_finish(prep, y, secs, net, y_test, float_acc))
                say(f"{fam}: {samples} images through the array in {secs:.1f} s")
    else:
        for fam, prep in zip(families, preps):
            y, secs = _simulate(prep["array_spec"], prep["codes"], prep["x"])
            rows.append(_finish(prep, y, secs, net, y_test, float_acc))
            say(f"{fam}: {samples} images through the array in {secs:.1f} s")
    if constant is not None:
        for fam, prep, row in zip(families, preps, rows):
            row["constant"] = _constant_row(prep, Path(constant) / fam, net, y_test, float_acc,
                                            say, clock_mhz)
            c = row["constant"]
            say(f"{fam}: constant layer {c['LUT']} LUT ({c['backend']}), accuracy "
                f"{100 * c['accuracy']:.2f} %, {c['mismatches']} mismatches, {c['seconds']} s")
    k, n = net.w1.shape
    return {
        "dataset": {"name": "sklearn digits", "train": len(x_train), "test": len(x_test),
                    "test_size": TEST_SIZE, "seed": SEED},
        "network": {"layers": [k, n, int(net.w2.shape[1])], "iterations": net.iterations,
                    "converged": net.converged, "float_accuracy": float_acc},
        "array": {"rows": k, "cols": n, "samples": samples},
        "scale": scale,
        "families": rows,
        "mismatches": sum(r["mismatches"] + (r.get("constant") or {}).get("mismatches", 0)
                          for r in rows),
        "seconds": round(time.monotonic() - start, 1),
    }


# --- output -----------------------------------------------------------------------------


_SCALE_TEXT = {"auto": "per output column or per matrix, whichever gives the higher "
                       "weight SNR",
               "channel": "one per output column", "layer": "one per matrix"}


def _snr_text(snr):
    return "exact" if snr is None else f"{snr:.2f}"


def format_table(doc):
    """The result as text: a header and a Markdown table."""
    net, data, arr = doc["network"], doc["dataset"], doc["array"]
    lines = [
        f"digits (scikit-learn, shipped): {data['train']} train / {data['test']} test images, "
        f"8x8 pixels 0..16 as integer activations",
        f"MLP 64-{net['layers'][1]}-10 (ReLU), float test accuracy "
        f"{100 * net['float_accuracy']:.2f} %"
        + ("" if net["converged"] else " (training did NOT converge)"),
        f"layer 1 ({arr['rows']} x {arr['cols']}) on the {arr['rows']} x {arr['cols']} "
        f"weight-stationary array; scale: {_SCALE_TEXT[doc['scale']]}",
        f"array-checked samples: {arr['samples']} of {data['test']}"
        + ("" if arr["samples"] == data["test"] else
           " (accuracy over all: the golden model's outputs for the rest)"),
        "",
        "| family | spec | weight bits | scale per | weight SNR dB | array-checked samples "
        "| mismatches | accuracy | vs float |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["families"]:
        lines.append(f"| {r['family']} | {r['spec']} | {r['weight_bits']} "
                     f"| {r['scale_mode']} | {_snr_text(r['snr_db'])} "
                     f"| {r['array_samples']} | {r['mismatches']} "
                     f"| {100 * r['accuracy']:.2f} % | {100 * r['delta']:+.2f} |")
    consts = [r for r in doc["families"] if r.get("constant")]
    if consts:
        c0 = consts[0]["constant"]
        lines += ["", f"Layer 1 baked into a constant-weight {arr['rows']} x {arr['cols']} array "
                      f"(`dataflow: constant`; xilinx7 LUTs of the kept back end, Yosys "
                      f"`synth_xilinx -nodsp`; energy per inference: vectorless power of the "
                      f"array in standard cells ({c0['liberty']}, pre-layout, typical corner, "
                      f"no wire load) over the {c0['clock_mhz']:g} MHz clock, one image a cycle):",
                  "", "| family | back end | LUT | FF | CARRY4 | nJ per inference (layer 1) "
                      "| array-checked samples | mismatches | accuracy | vs float |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in consts:
            c = r["constant"]
            energy = ("n/a" if c["energy_nj_per_inference"] is None
                      else f"{c['energy_nj_per_inference']:.3f}")
            lines.append(f"| {r['family']} | {c['backend']} | {c['LUT']} | {c['FF']} "
                         f"| {c['CARRY4']} | {energy} | {c['array_samples']} "
                         f"| {c['mismatches']} | {100 * c['accuracy']:.2f} % "
                         f"| {100 * c['delta']:+.2f} |")
        lines += [f"- {r['family']}: no energy figure: {r['constant']['energy_reason']}"
                  for r in consts if r["constant"]["energy_nj_per_inference"] is None]
    lines += ["", f"{doc['mismatches']} mismatches against the golden model; "
                  f"{doc['seconds']} s"]
    return "\n".join(lines)


def _families(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in CONFIGS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"families must be a comma-separated subset of "
                                         f"{','.join(CONFIGS)}, not {text!r}")
    return names


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _cpus():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def main(argv=None):
    """Command line; returns 0, or 1 if the array disagreed with the golden model."""
    parser = argparse.ArgumentParser(
        prog="digits_demo.py",
        description="Quantize a digits MLP's first layer with each family, run it through "
                    "the generated array in simulation, check it against the golden model "
                    "and report the accuracy.")
    parser.add_argument("--samples", type=_positive, metavar="N",
                        help="test images sent through the array (default: all); the "
                             "accuracy uses the golden model for the rest")
    parser.add_argument("--families", type=_families, metavar="LIST",
                        help=f"comma-separated subset of {','.join(CONFIGS)} (default: all)")
    parser.add_argument("--scale", choices=("auto",) + SCALES, default="auto",
                        help="one scale per output column (channel), per matrix (layer), or "
                             "per family the one with the higher weight SNR (auto, default)")
    parser.add_argument("--jobs", type=_positive, default=min(len(CONFIGS), _cpus()),
                        metavar="N", help="simulations at once, one process each "
                                          "(default: the CPU count, at most one per family)")
    parser.add_argument("--constant", metavar="DIR", nargs="?", const="build/digits",
                        default=None,
                        help="also bake each family's layer into a constant-weight array, "
                             "build it (LUT, energy per inference) into DIR/<family> "
                             "(default build/digits) and run the images through it")
    parser.add_argument("--clock-mhz", type=float, default=CONSTANT_CLOCK_MHZ, metavar="F",
                        help="clock of the constant layers' power figures (default "
                             f"{CONSTANT_CLOCK_MHZ:g})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    progress = None if args.json else (lambda msg: print(f"  .. {msg}", file=sys.stderr,
                                                         flush=True))
    doc = run(args.families, args.samples, scale=args.scale, jobs=args.jobs,
              progress=progress, constant=args.constant, clock_mhz=args.clock_mhz)
    print(json.dumps(doc, indent=1) if args.json else format_table(doc))
    return 1 if doc["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
