"""The ``report.md`` section of a constant-weight array (:mod:`shiftgen.flows.constant`)."""

__all__ = ["constant_markdown"]


def constant_markdown(arr):
    """Markdown lines of ``report.json`` ``array`` for ``dataflow: constant``."""
    w = arr["weights"]
    lines = [f"## Array {arr['rows']} x {arr['cols']} (constant weights, {arr['backend']} "
             f"back end)", "",
             f"- Verilog `{arr['verilog']}`: top `{arr['top']}`; outputs {arr['psum_bits']} "
             f"bits (exact); latency {arr['latency']}",
             f"- Weights `{w['directory']}` (quantized for `{w.get('spec')}`, SNR "
             + (f"{w['snr_db']:.2f} dB" if w.get("snr_db") is not None else "n/a")
             + f"), codes SHA-256 `{w['sha256']}`",
             f"- Back end: {arr['backend']} ({arr['backend_choice']})", ""]
    rows = ["| back end | adders | adder bits | depth | LUT | FF | CARRY4 | synthesis s | checks |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, b in arr["backends"].items():
        g = b["graph"]
        x = (b.get("targets") or {}).get("xilinx7")
        figs = (f"{x['LUT']} | {x['FF']} | {x['CARRY4']} | {x['seconds']}" if x
                else "- | - | - | -")
        checks = ", ".join(f"{k} {v['result']}" for k, v in b["verification"].items())
        mark = "**" if name == arr["backend"] else ""
        rows.append(f"| {mark}{name}{mark} | {g['adders']} | {g['adder_bits']} | {g['depth']} | "
                    f"{figs} | {checks} |")
    lines += rows + [""]
    for name, reason in (arr.get("skipped_backends") or {}).items():
        lines += [f"- {name} left out: {reason}"]
    targets = arr.get("targets") or {}
    if targets:
        lines += [f"Method: {targets['method']}", ""]
        g = targets.get("generic")
        if g and "skipped" in g:
            lines += [f"Generic gates: {g['skipped']}", ""]
        elif g:
            lines += [f"Generic gates: {g['totals']['total']} (depth {g['totals'].get('depth')})",
                      ""]
    lines += ["Array verification:", ""]
    for check, res in arr["verification"].items():
        detail = ", ".join(f"{k}={v}" for k, v in res.items() if k != "result")
        lines += [f"- **{check}**: {res['result']}" + (f" ({detail})" if detail else "")]
    return lines
