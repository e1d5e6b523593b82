"""``report.json`` and ``report.md``: figures, their provenance and verification."""

import json
import platform

import amaranth

from .. import __version__

__all__ = ["REPORT_FORMAT", "dumps", "make_report", "report_markdown", "summary_table",
           "asic_rows"]

#: Bumped when a build report gains or changes a figure its readers use, so a
#: cache of reports (``shiftgen compare``'s) makes them again: 2 added
#: ``array.targets.asic``, 3 the timing-driven ASIC mapping (buffered, sized), 4 the ASIC figures of
#: constant arrays up to a number of adders (not of cells).
REPORT_FORMAT = 4

_XILINX_COLUMNS = ("LUT", "FF", "CARRY4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6",
                   "MUXF7", "MUXF8")


def make_report(spec, yosys, synthesis, verification):
    """The report document (a dict that ``report.json`` holds).

    Parameters
    ----------
    spec : Spec
    yosys : Yosys
        The Yosys that produced the figures (its version is recorded).
    synthesis : dict
        :func:`shiftgen.synth.pe.synthesize` output.
    verification : dict
        Check name -> result dict.
    """
    cb = spec.codebook
    targets = {}
    for name, fig in synthesis.items():
        targets[name] = {k: v for k, v in fig.items()}
        for column in _XILINX_COLUMNS if name == "xilinx7" else ():
            targets[name].setdefault(column, 0)
    return {
        "name": spec.name,
        "family": spec.family.name,
        "spec": {"pe": {k: getattr(spec.pe, k) for k in spec.pe.__dataclass_fields__},
                 "params": cb.params},
        "codebook": {"F": cb.F, "weight_bits": cb.weight_bits,
                     "product_bits": cb.product_bits(spec.pe.act_bits, spec.pe.act_signed)},
        "tools": {"shiftgen": __version__, "amaranth": amaranth.__version__,
                  "yosys": yosys.version, "yosys_command": yosys.command.rsplit("/", 1)[-1],
                  "python": platform.python_version()},
        "targets": targets,
        "depth": synthesis.get("generic", {}).get("depth"),
        "verification": verification,
    }


def report_markdown(report):
    """The ``report.md`` text."""
    x = report["targets"].get("xilinx7", {})
    g = report["targets"].get("generic", {})
    lines = [f"# {report['name']} ({report['family']})", ""]
    lines += [f"- Tools: shiftgen {report['tools']['shiftgen']}, Amaranth "
              f"{report['tools']['amaranth']}, {report['tools']['yosys']} "
              f"({report['tools']['yosys_command']})"]
    pe = report["spec"]["pe"]
    lines += [f"- PE: {pe['act_bits']}-bit {'signed' if pe['act_signed'] else 'unsigned'} "
              f"activation, {pe['weight_bits']}-bit weight code, {pe['acc_bits']}-bit "
              f"accumulator ({pe['overflow']}); product {report['codebook']['product_bits']} "
              f"bits, F = {report['codebook']['F']}", ""]
    if x:
        lines += ["## Xilinx 7-series (out of context, no DSP)", "",
                  f"Recipe: `{x['recipe']}`", "",
                  "| " + " | ".join(_XILINX_COLUMNS) + " |",
                  "|" + "---|" * len(_XILINX_COLUMNS),
                  "| " + " | ".join(str(x.get(c, 0)) for c in _XILINX_COLUMNS) + " |", ""]
        if len(x.get("candidates", [])) > 1:
            lines += ["Candidates tried (best by LUT, FF, CARRY4):", ""]
            lines += [f"- `{c['recipe']}`: {c['LUT']} LUT, {c['FF']} FF, {c['CARRY4']} CARRY4"
                      for c in x["candidates"]]
            lines += [""]
    if g:
        lines += ["## Generic gates", "", f"Recipe: `{g['recipe']}`", "",
                  "| cell | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in g["cells"].items()]
        lines += [f"| **total** | **{g['total']}** |", "",
                  f"Logic depth (`ltp -noff`, gates on the longest path): {g['depth']}", ""]
    ecp5 = report["targets"].get("ecp5")
    if ecp5:
        lines += ["## Lattice ECP5 (nextpnr, post-route)", ""]
        lines += ([f"{ecp5['device']}, recipe `{ecp5['recipe']}`, {ecp5['wrapper']}, "
                   f"{ecp5['conditions']}: fmax {ecp5['fmax_mhz']} MHz (seeds "
                   f"{ecp5['seeds']}); cells {ecp5['cells']}.", ""]
                  if ecp5.get("fmax_mhz") else [f"Not run: {ecp5.get('reason')}", ""])
    asic = report["targets"].get("asic")
    if asic:
        lines += ["## Standard cells (ASIC)", ""]
        if asic.get("area_um2") is None:
            lines += [f"Not measured: {asic.get('reason')}", ""]
        else:
            lines += [f"Liberty `{asic['liberty']}`, recipe `{asic['recipe']}`; netlist "
                      f"`{asic['netlist']}`.", ""]
            lines += [f"- {k}: {v}" for k, v in asic_rows(asic)] + [""]
            if asic.get("critical_path_ns") is not None:
                lines += [f"Paths (ns): {asic['paths_ns']}.", ""]
                for source, p in (asic["power_mw"] or {}).items():
                    if p is not None:
                        lines += [f"Power at {asic['clock_mhz']:g} MHz, {source} "
                                  f"({asic['activity'][source]}): internal {p['internal']:.6f}, "
                                  f"switching {p['switching']:.6f}, leakage "
                                  f"{p['leakage']:.6f}, total {p['total']:.6f} mW.", ""]
    for suffix, var in report.get("variants", {}).items():
        vx = var["targets"].get("xilinx7")
        lines += [f"## Variant `{suffix}` ({var['name']})", ""]
        if vx:
            lines += [f"Xilinx 7-series: {vx['LUT']} LUT, {vx['FF']} FF, {vx['CARRY4']} CARRY4 "
                      f"(`{vx['recipe']}`)", ""]
        lines += [f"- **{name}**: {res['result']}" for name, res in var["verification"].items()]
        lines += [""]
    lines += ["## Verification", ""]
    for check, res in report["verification"].items():
        detail = ", ".join(f"{k}={v}" for k, v in res.items() if k != "result")
        lines += [f"- **{check}**: {res['result']}" + (f" ({detail})" if detail else "")]
    if "array" in report:
        lines += [""] + _array_markdown(report["array"])
    return "\n".join(lines) + "\n"


def _array_markdown(arr):
    if arr["dataflow"] == "constant":
        from .constant import constant_markdown
        return constant_markdown(arr) + _array_asic_markdown((arr.get("targets") or {}).get("asic"))
    unit = arr.get("unit", "cell")
    lines = [f"## Array {arr['rows']} x {arr['cols']} ({arr['dataflow']}, decoder "
             f"{arr['decoder']})", "",
             f"- Verilog `{arr['verilog']}`: top `{arr['top']}`, {unit} `{arr['cell']}`",
             f"- Partial sums {arr['psum_bits']} bits (exact); latency {arr['latency']}"]
    if "pipeline" in arr:
        lines += [f"- Column sums in chains of {arr['chain']}, a register stage every "
                  f"{arr['pipeline']} levels" if arr["pipeline"] else
                  f"- Column sums in chains of {arr['chain']}, no pipeline stage"]
    lines += [""]
    targets = arr.get("targets") or {}
    if targets:
        lines += [f"Method: {targets['method']}", ""]
        x, g = targets.get("xilinx7"), targets.get("generic")
        if x:
            t, c, top = x["totals"], x["cell"], x["top"]
            lines += ["| xilinx7 | LUT | FF | CARRY4 | MUXF7 | MUXF8 |", "|---|---|---|---|---|---|",
                      f"| **total** | **{t['LUT']}** | **{t['FF']}** | **{t['CARRY4']}** | "
                      f"{t.get('MUXF7', 0)} | {t.get('MUXF8', 0)} |",
                      f"| {unit} (x {x['instances']}) | {c['LUT']} | {c['FF']} | {c['CARRY4']} | "
                      f"{c.get('MUXF7', 0)} | {c.get('MUXF8', 0)} |",
                      f"| top | {top['LUT']} | {top['FF']} | {top['CARRY4']} | "
                      f"{top.get('MUXF7', 0)} | {top.get('MUXF8', 0)} |", "",
                      f"Recipes: {unit} `{x['recipe']['cell']}`; top `{x['recipe']['top']}`", ""]
        if g:
            lines += [f"Generic gates: {g['totals']['total']} in all "
                      f"({unit} {g['cell']['total']}, top {g['top']['total']}); "
                      f"{unit} depth {g['cell'].get('depth')}", ""]
        lines += _array_asic_markdown(targets.get("asic"))
    lines += ["Array verification:", ""]
    for check, res in arr["verification"].items():
        detail = ", ".join(f"{k}={v}" for k, v in res.items() if k != "result")
        lines += [f"- **{check}**: {res['result']}" + (f" ({detail})" if detail else "")]
    return lines


def _fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def _array_asic_markdown(asic):
    """The array's standard-cell section: totals, each part by its count, or why there is none."""
    from ..synth.array_asic import RESET_NOTE
    if not asic:
        return []
    lines = ["### Array in standard cells (ASIC)", ""]
    if asic.get("area_um2") is None:
        return lines + [f"Not measured: {asic.get('reason')}", ""]
    lines += [f"Liberty `{asic['liberty']}`; {asic['conditions']}. Method: {asic['method']}", ""]
    power = (asic.get("power_mw") or {}).get("vectorless")
    lines += [f"| part | instances | area um^2 | critical path ns | power mW @ "
              f"{asic['clock_mhz']:g} MHz | netlist |", "|---|---|---|---|---|---|",
              f"| **total** | | **{asic['area_um2']:,.1f}** | "
              f"**{_fmt(asic.get('critical_path_ns'), '.3f')}** | "
              f"**{_fmt(power and power['total'], '.3f')}** | |"]
    for name, part in asic["parts"].items():
        p = part.get("power_mw")
        lines += [f"| {name} | {part['instances']} | {part['area_um2']:,.1f} | "
                  f"{_fmt(part.get('critical_path_ns'), '.3f')} | "
                  f"{_fmt(p and p['total'], '.4f')} | `{part['netlist']}` |"]
    lines += [""]
    if asic.get("critical_path_ns") is not None:
        lines += [f"Critical path {asic['critical_path_ns']:.3f} ns (the {asic['critical_part']}"
                  f"{RESET_NOTE if asic.get('reset_is_critical') else ''}), fmax "
                  f"{asic['fmax_mhz']:.1f} MHz; the longest path not from the reset "
                  f"{asic['data_path_ns']:.3f} ns ({asic['data_fmax_mhz']:.1f} MHz).", ""]
    if power:
        lines += [f"Power at {asic['clock_mhz']:g} MHz, vectorless "
                  f"({asic['activity']['vectorless']}): internal {power['internal']:.6f}, "
                  f"switching {power['switching']:.6f}, leakage {power['leakage']:.6f}, total "
                  f"{power['total']:.6f} mW; {asic['energy_pj_per_mac']['vectorless']:.3f} pJ "
                  f"per MAC ({asic['macs_per_cycle']} MACs a cycle).", ""]
    if asic.get("reason"):
        lines += [f"Not measured: {asic['reason']}", ""]
    return lines


def asic_rows(asic, label="asic"):
    """Terminal rows of a ``targets.asic``: area, timing, power (or why there are none).

    ``label`` starts each row's name: ``"array asic"`` for ``array.targets.asic``,
    whose critical path names the part it is in.
    """
    if not asic:
        return []
    if asic.get("area_um2") is None:
        return [(label, asic.get("reason", "n/a"))]
    rows = [(f"{label} area ({asic['liberty']})", f"{asic['area_um2']:,.1f} um^2")]
    if asic.get("critical_path_ns") is None:
        return rows + [(f"{label} timing, power", asic.get("reason", "n/a"))]
    part = f" (the {asic['critical_part']})" if asic.get("critical_part") else ""
    rows += [(f"{label} critical path, fmax", f"{asic['critical_path_ns']:.3f} ns{part}, "
                                              f"{asic['fmax_mhz']:.1f} MHz")]
    if asic.get("power_mw") is None:
        return rows + [(f"{label} power", asic.get("reason", "n/a"))]
    for source in ("vectorless", "simulated"):
        p = asic["power_mw"].get(source)
        if p is None:
            if source in asic["power_mw"]:
                rows += [(f"{label} power, {source}", asic["activity"][source])]
            continue
        rows += [(f"{label} power @ {asic['clock_mhz']:g} MHz, {source}",
                  f"{p['total']:.4f} mW ({asic['energy_pj_per_mac'][source]:.3f} pJ/MAC)")]
    dp = asic.get("datapath")
    if dp:
        rows += [("asic datapath alone", f"{dp['area_um2']:,.1f} um^2, "
                                         f"{dp['critical_path_ns']:.3f} ns, "
                                         f"{dp['power_mw']['vectorless']['total']:.4f} mW "
                                         f"vectorless (no accumulator register)"
                  if dp.get("area_um2") is not None else dp.get("reason", "n/a"))]
    return rows + [(f"{label} conditions", asic["conditions"])]


def summary_table(report):
    """A short plain-text table for the terminal."""
    x = report["targets"].get("xilinx7", {})
    g = report["targets"].get("generic", {})
    rows = [("design", report["name"]), ("family", report["family"])]
    if x:
        rows += [("xilinx7 LUT / FF / CARRY4", f"{x['LUT']} / {x['FF']} / {x['CARRY4']}"),
                 ("xilinx7 MUXF7 / MUXF8", f"{x['MUXF7']} / {x['MUXF8']}")]
    if g:
        rows += [("generic gates (depth)", f"{g['total']} ({g['depth']})")]
    rows += asic_rows(report["targets"].get("asic"))
    ecp5 = report["targets"].get("ecp5")
    if ecp5:
        rows += [("ecp5 fmax (post-route)",
                  f"{ecp5['fmax_mhz']:.1f} MHz on {ecp5['device']}, "
                  f"{ecp5['cells'].get('TRELLIS_COMB', 0)} LUT4 / "
                  f"{ecp5['cells'].get('TRELLIS_FF', 0)} FF (inputs registered)"
                  if ecp5.get("fmax_mhz") else ecp5.get("reason", "n/a"))]
    for suffix, var in report.get("variants", {}).items():
        vx = var["targets"].get("xilinx7")
        if vx:
            rows += [(f"{suffix}: LUT / FF / CARRY4", f"{vx['LUT']} / {vx['FF']} / {vx['CARRY4']}")]
    for check, res in report["verification"].items():
        rows += [(f"verify {check}", res["result"] + (f" ({res['mismatches']} mismatches / "
                                                      f"{res['cases']} cases)"
                                                      if "cases" in res else ""))]
    arr = report.get("array")
    if arr:
        rows += [("array", f"{arr['rows']} x {arr['cols']}, {arr['psum_bits']}-bit outputs")]
        ax = (arr.get("targets") or {}).get("xilinx7")
        if ax:
            t = ax["totals"]
            how = f"{ax['backend']} back end" if "backend" in ax else "hierarchical"
            rows += [("array LUT / FF / CARRY4", f"{t['LUT']} / {t['FF']} / {t['CARRY4']} "
                                                 f"({how})")]
        rows += asic_rows((arr.get("targets") or {}).get("asic"), "array asic")
        for check, res in arr["verification"].items():
            rows += [(f"array {check}", res["result"] + (f" ({res['mismatches']} mismatches / "
                                                         f"{res['cases']} outputs)"
                                                         if "cases" in res else ""))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def dumps(report):
    """Deterministic ``report.json`` text."""
    return json.dumps(report, indent=1) + "\n"
