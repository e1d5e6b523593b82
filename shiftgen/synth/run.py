"""One Yosys run of one recipe on one design, and the choice among candidates.

A run's result is kept in the tool cache (:func:`shiftgen.cache.tool_cache`)
under the hash of everything it depends on: the Verilog text, the black-box
texts, the script and the Yosys executable and version. The same design
under the same recipe gives the same bytes (every recipe is deterministic),
so a cached figure is the figure that run gives; ``SHIFTGEN_CACHE=off`` runs
Yosys every time.
"""

import json
import tempfile
from pathlib import Path

from ..cache import content_key, tool_cache
from ..tools.yosys import find_yosys
from .recipes import TARGETS, module_names, part_name

__all__ = ["run_candidate", "best_candidate"]


def run_candidate(verilog_path, top, target, booth, *, libs=(), flatten=True, depth=True,
                   netlist=False, partition=None):
    """One Yosys run of one recipe; returns its recipe text and figures.

    ``libs`` are Verilog files read as black boxes (``read_verilog -lib``):
    their instances are not synthesized: the figures leave them out and list
    them under ``blackboxes`` (module name -> instance count).
    With ``flatten=False`` the top keeps its hierarchy; ``depth=False`` skips
    ``ltp`` (generic target). With ``netlist=True`` the mapped netlist's
    Verilog text is returned too, under the key ``"_netlist"``. ``partition``:
    lists of wire names, each part mapped as a submodule of
    its own (:func:`~shiftgen.synth.recipes.partition_commands`); the figures
    count the parts in.
    """
    script_of, figures_of, _ = TARGETS[target]
    verilog_path = Path(verilog_path)
    lib_texts = [Path(lib).read_text() for lib in libs]
    design = verilog_path.read_text()
    reads = [f"read_verilog -lib lib{k}.v" for k in range(len(libs))]
    body = script_of(top, booth, flatten=flatten, depth=depth,
                     **({"partition": partition} if partition else {}))
    # -noattr: no source paths (the temporary directory) in the netlist, so
    # the same spec gives the same bytes.
    write = ["write_verilog -noattr netlist.v"] if netlist else []
    script = [*reads, "read_verilog design.v", *body, *write, "tee -q -o stat.json stat -json"]
    yosys = find_yosys()
    cache = tool_cache("synth")
    key = content_key({"design": design, "libs": lib_texts, "top": top, "target": target,
                       "script": script, "yosys": [yosys.command, yosys.version]})
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit["result"]
    with tempfile.TemporaryDirectory(dir=verilog_path.parent, prefix=".synth-") as tmp:
        work = Path(tmp)
        boxes = set()
        for k, text in enumerate(lib_texts):
            boxes.update(module_names(text))
            (work / f"lib{k}.v").write_text(text)
        (work / "design.v").write_text(design)
        yosys.run("\n".join(script), cwd=work, name="synth")
        stat = json.loads((work / "stat.json").read_text())
        if partition:  # the parts' cells with the top's (the design's count), not the parts
            parts = {part_name(top, k) for k in range(len(partition))}
            cells = {k: v for k, v in stat["design"]["num_cells_by_type"].items()
                     if k.lstrip("\\") not in parts}
        elif f"\\{top}" in stat["modules"]:
            cells = stat["modules"][f"\\{top}"]["num_cells_by_type"]
        else:
            cells = stat["design"]["num_cells_by_type"]
        # Black-box instances are not logic of this module; $scopeinfo (left by
        # flatten) marks where a submodule was, and is no logic either.
        blackboxes = {k: v for k, v in cells.items() if k.lstrip("\\") in boxes}
        cells = {k: v for k, v in cells.items() if k not in blackboxes and k != "$scopeinfo"}
        recipe = "; ".join(body if target == "xilinx7" else
                           [line for line in body if not line.startswith("tee ")])
        out = {"recipe": recipe, **figures_of(cells, work)}
        if libs:
            out["blackboxes"] = {k.lstrip("\\"): v for k, v in sorted(blackboxes.items())}
        if netlist:
            out["_netlist"] = (work / "netlist.v").read_text()
    if cache is not None:
        cache.put(key, {"result": out})
    return out


def best_candidate(target, cands):
    """The candidate with the best merit, listing every candidate (without cell counts)."""
    best = min(cands, key=TARGETS[target][2])
    return {**best, "candidates": [
        {k: v for k, v in c.items() if k not in ("cells", "_netlist")} for c in cands]}
