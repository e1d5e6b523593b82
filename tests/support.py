"""Spec lists shared by the tests."""

import subprocess
import sys
from pathlib import Path

import pytest

from shiftgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATHS = sorted((ROOT / "specs").glob("*.yaml"))

# Configurations beyond the shipped specs, for options no shipped spec uses.
VARIANT_TEXTS = {
    "pot_zero_saturate": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16, "
                         "overflow: saturate}\nparams: {zero: true}\n",
    "pot_unsigned": "family: pot\npe: {act_bits: 6, weight_bits: 3, acc_bits: 12, "
                    "act_signed: false}\n",
    "pot_2bit_zero": "family: pot\npe: {act_bits: 5, weight_bits: 2, acc_bits: 7}\n"
                     "params: {zero: true}\n",
    "uniform_unsigned_saturate": "family: uniform\npe: {act_bits: 5, weight_bits: 3, "
                                 "acc_bits: 8, act_signed: false, overflow: saturate}\n",
    "sq_3bit_fixed": "family: sq\npe: {act_bits: 8, weight_bits: 3, acc_bits: 16}\n"
                     "params: {qps: fixed, points: [0.0625, 0.25, 0.5625, 1.125]}\n",
    "sq_4bit_fixed_option3": "family: sq\npe: {act_bits: 6, weight_bits: 4, acc_bits: 14}\n"
                             "params: {universal_set: 3, qps: fixed, "
                             "points: [0, 0.0625, 0.1875, 0.5, 0.75, 1.25, 1.5, 2]}\n",
    "sq_external": "family: sq\npe: {act_bits: 8, weight_bits: 5, acc_bits: 16}\n"
                   "params: {qps: external}\n",
    "jlq_ternary_jumping": "family: jlq\npe: {act_bits: 8, weight_bits: 3, acc_bits: 16}\n"
                           "params: {s: 2, i: -1, zero: true}\n",
    "jlq_4bit_s3_unsigned_saturate": "family: jlq\npe: {act_bits: 6, weight_bits: 4, "
                                     "acc_bits: 30, act_signed: false, overflow: saturate}\n"
                                     "params: {s: 3, i: 1}\n",
    "jlq_4bit_shifter_dezero": "family: jlq\npe: {act_bits: 6, weight_bits: 4, acc_bits: 30}\n"
                               "params: {s: 3, i: 1, style: shifter}\n",
    "ausn_ausn_decoder_saturate": "family: ausn\npe: {act_bits: 4, act_signed: false, "
                                  "weight_bits: 5, acc_bits: 12, overflow: saturate}\n"
                                  "params: {basic: 2, sub: [2], style: decoder, act_basic: 2, "
                                  "act_sub: [1]}\n",
    "ausn_pot_activation": "family: ausn\npe: {act_bits: 4, act_signed: false, weight_bits: 4, "
                           "acc_bits: 16}\nparams: {basic: 2, sub: [1], act_basic: 3}\n",
    "apot_7bit_sorted_unsigned": "family: apot\npe: {act_bits: 4, weight_bits: 7, acc_bits: 16, "
                                 "act_signed: false}\nparams: {encoding: sorted}\n",
}


def shipped_spec(stem):
    """The shipped spec ``specs/<stem>.yaml``."""
    return load_spec(ROOT / "specs" / f"{stem}.yaml")


def shipped_specs():
    return [pytest.param(load_spec(p), id=p.stem) for p in SPEC_PATHS]


def variant_specs(tmp_dir):
    out = []
    for name, text in VARIANT_TEXTS.items():
        path = Path(tmp_dir) / f"{name}.yaml"
        path.write_text(text)
        out.append(load_spec(path))
    return out


def all_spec_params():
    """Shipped specs plus the variants (resolved by the ``any_spec`` fixture)."""
    return shipped_specs() + [pytest.param(name, id=name) for name in VARIANT_TEXTS]


def shiftgen(*args, cwd):
    """Run ``python -m shiftgen ARGS`` in ``cwd``; the completed process (text output)."""
    return subprocess.run([sys.executable, "-m", "shiftgen", *args], cwd=cwd,
                          capture_output=True, text=True)
