# amaranth: UnusedElaboratable=no
"""The broadcast array (dataflow: broadcast) against golden.matmul, for every shipped PE."""

import pytest
import yaml

from shiftgen.hdl.column_sum import ColumnSum
from shiftgen.hdl.dataflows import dataflow
from shiftgen.spec import parse_spec
from shiftgen.verify.amaranth_sim import check_array
from shiftgen.verify.schedule import random_jobs

from ..support import ROOT, SPEC_PATHS
from .test_array import assert_matches


def broadcast_spec(path, rows, cols, chain=None, pipeline=None):
    """A shipped PE spec with a broadcast ``array`` section added."""
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols, "dataflow": "broadcast"}
    if chain is not None:
        doc["array"]["chain"] = chain
    if pipeline is not None:
        doc["array"]["pipeline"] = pipeline
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), path=path)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_every_family_matches_matmul(path):
    # Odd rows, chains of 2 and a register every level: every branch of the sum.
    spec = broadcast_spec(path, 5, 3, chain=2, pipeline=1)
    assert check_array(spec, vectors=6)["mismatches"] == 0


@pytest.mark.parametrize("rows,chain,pipeline", [(1, 1, 0), (8, 1, 1), (8, 8, 0), (13, 4, 2),
                                                  (16, 3, 1)])
def test_sum_shapes(rows, chain, pipeline):
    for stem in ("ausn_8x4", "pot_4bit", "uniform_8x8"):
        spec = broadcast_spec(ROOT / "specs" / f"{stem}.yaml", rows, 2, chain, pipeline)
        assert_matches(spec, random_jobs(spec, 2, 5, seed=rows))


def test_latency_and_drain_follow_the_pipeline():
    spec = broadcast_spec(ROOT / "specs" / "pot_4bit.yaml", 16, 2, chain=2, pipeline=1)
    # chains of 2 -> 8 values -> a tree of 3 levels: 4 levels, a register after 1, 2, 3.
    assert dataflow(spec).drain(spec.array) == 2 + 3
    assert "5 cycles" in dataflow(spec).latency(spec.array)
    assert_matches(spec, random_jobs(spec, 3, 4, seed=3), gap=1)


def test_defaults_are_normalized():
    a = broadcast_spec(ROOT / "specs" / "pot_4bit.yaml", 32, 2)
    b = broadcast_spec(ROOT / "specs" / "pot_4bit.yaml", 32, 2, chain=16, pipeline=0)
    assert a == b
    assert broadcast_spec(ROOT / "specs" / "pot_4bit.yaml", 4, 2).array.chain == 4


def test_column_sum_validates():
    with pytest.raises(ValueError, match="Chain must be a positive integer, not 0"):
        ColumnSum(8, (-4, 3), chain=0)
    with pytest.raises(ValueError, match="Pipeline must be a non-negative integer, not -1"):
        ColumnSum(8, (-4, 3), chain=1, pipeline=-1)


@pytest.mark.parametrize("rows,chain", [(1, 1), (8, 3), (16, 16), (64, 16)])
def test_chain_ends_name_each_chains_last_sum(rows, chain):
    from amaranth.hdl import Module, Signal, signed
    from shiftgen.hdl.column_sum import chain_ends
    terms = [(Signal(signed(5), name=f"p{r}"), Signal(name=f"k{r}")) for r in range(rows)]
    total = ColumnSum(16, (-16, 15), chain=chain)
    total.build(Module(), terms)
    assert [s.name for s in total.ends] == chain_ends(rows, chain)
    assert len(total.ends) == -(-rows // chain)
