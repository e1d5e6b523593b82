"""Yosys synthesis of an exported PE, for every target.

Each target (:data:`shiftgen.synth.recipes.TARGETS`) reports its best
candidate by its figure of merit and lists every candidate. The mapped
netlist of each target's best candidate can be kept (``write_verilog
-noattr``, :func:`~shiftgen.synth.recipes.netlist_name`) so that
:func:`shiftgen.verify.formal.prove` can check it against the spec.
"""

from pathlib import Path

from ..tools.process import parallel_map
from .recipes import TARGETS, has_multiplier, netlist_name
from .run import best_candidate, run_candidate

__all__ = ["synthesize"]


def synthesize(verilog_path, top, targets=tuple(TARGETS), jobs=2, netlist_dir=None):
    """Synthesize ``verilog_path`` for each target; return figures per target.

    Parameters
    ----------
    verilog_path : pathlib.Path
        The exported Verilog (the very file the user gets).
    top : str
        Top module.
    targets : iterable of str
    jobs : int
        Yosys processes run at once.
    netlist_dir : pathlib.Path, optional
        Where to write the mapped netlist of each target's best candidate, as
        :func:`netlist_name` (``<top>.<target>.v``); its result then names
        the file under ``"netlist"``.

    Returns
    -------
    dict
        ``{target: {"recipe": ..., <figures>..., "candidates": [...]}}``.
    """
    verilog_path = Path(verilog_path)
    booths = (False, True) if has_multiplier(verilog_path.read_text()) else (False,)
    work = [(t, b) for t in targets for b in booths]
    keep = netlist_dir is not None

    def run(tb):
        return run_candidate(verilog_path, top, *tb, netlist=keep)
    results = parallel_map(run, work, jobs)
    out = {}
    for target in targets:
        best = best_candidate(target, [r for (t, _), r in zip(work, results) if t == target])
        text = best.pop("_netlist", None)
        if keep:
            name = netlist_name(top, target)
            (Path(netlist_dir) / name).write_text(text)
            best["netlist"] = name
        out[target] = best
    return out
