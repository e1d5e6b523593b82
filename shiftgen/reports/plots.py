"""Plots of quantizers and resource figures (Matplotlib, Agg backend; PNG and SVG).

Every plot is written twice, ``<stem>.png`` and ``<stem>.svg``, and the same
input gives byte-identical files: the SVG ids come from a fixed hash salt
and neither file carries a date.

- :func:`levels_plot`: a family's quantization levels over a weight histogram;
- :func:`resources_plot`: LUT and FF per design, ours beside the paper's;
- :func:`pareto_plot`: LUT against quantization SNR, the Pareto front marked;
- :func:`energy_pareto_plot`: energy per MAC against SNR, a panel per activity source.

:func:`shiftgen.weights.seeded.quantize_for_snr` is the quantization the
levels plot and the SNR axis share.
"""

import math
from pathlib import Path

import numpy as np

from ..files import write_bytes
from ..weights.seeded import quantize_for_snr

__all__ = ["levels", "levels_plot", "resources_plot", "pareto_plot", "pareto_front",
           "family_style", "energy_pareto_plot"]


def family_style(name):
    """Marker and colour of family ``name``: its
    :attr:`~shiftgen.families.base.Family.plot_style` (the default for an unknown name)."""
    from ..families import FAMILIES
    from ..families.base import Family
    return (FAMILIES.get(name) or Family).plot_style


#: Bars: ours and the paper's.
_OURS, _PAPER = "#0072B2", "#BBBBBB"

#: Salt of the SVG element ids (``svg.hashsalt``), so that an SVG is reproducible.
_SALT = "shiftgen"


def _draw_front(ax, pts, front):
    """Points by family (``lut`` against ``snr_db``), the front stepped and ringed."""
    if front:
        fx = [pts[i]["lut"] for i in front]
        fy = [pts[i]["snr_db"] for i in front]
        ax.step(fx, fy, where="post", color="#999999", linewidth=1.0, linestyle="--",
                zorder=1, label="Pareto front")
    families = list(dict.fromkeys(p["family"] for p in pts))
    for fam in families:
        marker, colour = family_style(fam)
        idx = [i for i, p in enumerate(pts) if p["family"] == fam]
        ax.scatter([pts[i]["lut"] for i in idx], [pts[i]["snr_db"] for i in idx],
                   marker=marker, s=34, color=colour, zorder=3, label=fam,
                   linewidths=0)
        on = [i for i in idx if i in front]
        if on:
            ax.scatter([pts[i]["lut"] for i in on], [pts[i]["snr_db"] for i in on],
                       marker="o", s=150, facecolors="none", edgecolors=colour,
                       linewidths=1.2, zorder=2)


def levels(quantized, used_only=False):
    """The distinct real levels a :class:`~shiftgen.families.base.Quantized` can take.

    With ``used_only``, the levels of its codes only.
    """
    cb = quantized.codebook
    mults = cb.table[np.unique(quantized.codes)] if used_only else cb.table
    return np.unique(float(quantized.alpha) * mults.astype(np.float64) * 2.0 ** -cb.F)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _rc():
    return {"svg.hashsalt": _SALT, "svg.fonttype": "path", "font.size": 9,
            "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
            "figure.dpi": 100, "savefig.dpi": 150}


def _save(fig, path_stem):
    """Write ``<stem>.png`` and ``<stem>.svg`` (atomically, without dates); returns both paths."""
    import io
    plt = _pyplot()
    stem = Path(path_stem)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    for path, metadata in ((png, {"Software": None}), (svg, {"Date": None, "Creator": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=path.suffix[1:], metadata=metadata)
        write_bytes(path, buf.getvalue())
    plt.close(fig)
    return png, svg


def levels_plot(spec, weights, path_stem, *, title=None):
    """Quantization levels as vertical lines over a histogram of ``weights``.

    Parameters
    ----------
    spec : Spec or list of Spec
        One panel per spec (stacked, sharing the weight axis): for example
        every bit width of one family.
    weights : array_like of float
        The weights (seeded: :func:`~shiftgen.weights.seeded.seeded_weights`); each spec quantizes
        them with :func:`~shiftgen.weights.seeded.quantize_for_snr`, which also gives the levels' scale.
    path_stem : str or os.PathLike
        Output without suffix: ``<stem>.png`` and ``<stem>.svg``.
    title : str, optional

    Returns
    -------
    (pathlib.Path, pathlib.Path)
    """
    import matplotlib
    plt = _pyplot()
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    w = np.asarray(weights, dtype=np.float64).ravel()
    with matplotlib.rc_context(_rc()):
        height = 1.0 + 1.7 * len(specs)
        fig, axes = plt.subplots(len(specs), 1, figsize=(9.6, height), sharex=True,
                                 squeeze=False)
        # The axis spans the weights and every level they use; a level none of them
        # uses (a code the quantizer never picks, like -2**(n-1)) may lie beyond it.
        span = float(np.max(np.abs(w))) if w.size else 1.0
        panels = []
        for s in specs:
            q, snr, rule = quantize_for_snr(s, w)
            lv = levels(q)
            used = np.unique(levels(q, used_only=True))
            panels.append((s, lv, used, snr, rule))
            span = max(span, float(np.max(np.abs(used))))
        span *= 1.05
        bins = np.linspace(-span, span, 121)
        for ax, (s, lv, used, snr, rule) in zip(axes[:, 0], panels):
            ax.hist(w, bins=bins, histtype="stepfilled", color="#C9D7E8", edgecolor="#9FB4CC",
                    linewidth=0.5, density=True, label="weights", zorder=2, alpha=0.9)
            dense = len(lv) > 40
            width = 0.35 if dense else 0.9
            unused = np.setdiff1d(lv, used)
            off_axis = unused[np.abs(unused) > span]
            unused = unused[np.abs(unused) <= span]
            for x in used:
                ax.axvline(x, color="#C0392B", linewidth=width, alpha=0.75 if dense else 0.95,
                           zorder=1 if dense else 3)
            dash = "-" if dense else (0, (3, 2))
            for x in unused:
                ax.axvline(x, color="#999999", linewidth=width, linestyle=dash,
                           zorder=1 if dense else 3)
            ax.plot([], [], color="#C0392B", linewidth=0.9,
                    label=f"{len(used)} levels used" + ("\n(thin lines)" if dense else ""))
            if len(unused):
                ax.plot([], [], color="#999999", linewidth=0.9, linestyle=dash,
                        label=f"{len(unused)} unused by\nthese weights")
            if len(off_axis):
                where = ", ".join(f"{x:.3g}" for x in off_axis[:3]) + \
                    (", ..." if len(off_axis) > 3 else "")
                ax.plot([], [], " ", label=f"{len(off_axis)} unused off\nthe axis: {where}")
            pe = s.pe
            snr_txt = "inf" if math.isinf(snr) else f"{snr:.2f}"
            ax.set_title(f"{s.name} ({s.family.name}, {pe.weight_bits}-bit weight, "
                         f"{len(lv)} levels): SNR {snr_txt} dB, scale: {rule}",
                         loc="left", fontsize=8.5)
            ax.set_ylabel("density")
            ax.set_xlim(-span, span)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5,
                      frameon=False, borderaxespad=0)
        axes[-1, 0].set_xlabel(f"weight ({w.size} seeded samples)")
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10.5)
        fig.tight_layout(rect=(0, 0, 1, 1 - (0.25 / height if title else 0)))
        return _save(fig, path_stem)


def _thousands(x, _pos=None):
    return f"{x / 1000:g}k" if x else "0"


def _spread(values):
    vals = [v for v in values if v]
    return max(vals) / min(vals) if vals else 1.0


def resources_plot(rows, path_stem, *, metrics=("LUT", "FF"), title=None):
    """Grouped bars of ``metrics`` per design: ours beside the paper's, one panel per table.

    Parameters
    ----------
    rows : list of dict
        Each ``{"table", "design", "paper": {metric: n}, "ours": {metric: n}}``
        (``table`` may be a title; rows keep their order). A missing or
        ``None`` figure leaves its bar out and marks the slot "n/a".
    path_stem : str or os.PathLike
    metrics : tuple of str
        One column of panels per metric.

    A panel whose bars span more than 30x uses a log axis.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
    """
    import matplotlib
    from matplotlib.ticker import FuncFormatter
    plt = _pyplot()
    tables = list(dict.fromkeys(r["table"] for r in rows))
    with matplotlib.rc_context(_rc()):
        heights = [1.4 + 0.42 * sum(r["table"] == t for r in rows) for t in tables]
        fig, axes = plt.subplots(len(tables), len(metrics),
                                 figsize=(5.2 * len(metrics) + 1.6, sum(heights) + 0.6),
                                 squeeze=False, gridspec_kw={"height_ratios": heights})
        for i, table in enumerate(tables):
            trows = [r for r in rows if r["table"] == table]
            y = np.arange(len(trows))
            for j, metric in enumerate(metrics):
                ax = axes[i, j]
                ours = [(r.get("ours") or {}).get(metric) for r in trows]
                paper = [(r.get("paper") or {}).get(metric) for r in trows]
                h = 0.38
                for k, (vals, colour, label, off) in enumerate(
                        ((ours, _OURS, "ours (Yosys xilinx7)", -h / 2),
                         (paper, _PAPER, "paper", h / 2))):
                    for yy, v in zip(y, vals):
                        if v is None:
                            who = "paper" if colour == _PAPER else "ours"
                            ax.text(0, yy + off, f" {who}: n/a", va="center", ha="left",
                                    fontsize=7, color="#555555",
                                    transform=ax.get_yaxis_transform())
                            continue
                        ax.barh(yy + off, v, height=h, color=colour,
                                edgecolor="#333333" if colour == _PAPER else "none",
                                linewidth=0.4, label=label)
                        label = None
                        ax.text(v, yy + off, f" {v:,}", va="center", ha="left", fontsize=7)
                values = [v for v in ours + paper if v]
                log = _spread(values) > 30
                if log:
                    ax.set_xscale("log")
                    ax.set_xlim(min(values) / 1.6, max(values) * 4)
                elif values:
                    ax.set_xlim(0, max(values) * 1.22)
                if values and max(values) >= 10000:
                    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
                ax.set_yticks(y)
                ax.set_yticklabels([r["design"] for r in trows] if j == 0 else [])
                ax.invert_yaxis()
                ax.set_xlabel(metric + (" (log scale)" if log else ""))
                ax.set_title(f"{table}: {metric}" if j == 0 else metric, loc="left",
                             fontsize=9)
                ax.tick_params(axis="y", length=0)
        handles, labels = [], []
        for ax in axes.ravel():
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="upper right", ncol=2, fontsize=8, frameon=False)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10.5)
        fig.tight_layout(rect=(0, 0, 1, 0.97 if title or handles else 1))
        return _save(fig, path_stem)


def pareto_front(points):
    """Indices of the points no other point beats: fewer or equal LUTs and higher or equal SNR
    (one strictly), sorted by LUT."""
    front = []
    for i, p in enumerate(points):
        dominated = any(
            q["lut"] <= p["lut"] and q["snr_db"] >= p["snr_db"]
            and (q["lut"] < p["lut"] or q["snr_db"] > p["snr_db"])
            for j, q in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (points[i]["lut"], points[i]["snr_db"]))


def pareto_plot(points, path_stem, *, title=None, xlabel="LUT (Yosys xilinx7)",
                ylabel="quantization SNR (dB)"):
    """LUT against SNR, one marker and colour per family, the Pareto front highlighted.

    Parameters
    ----------
    points : list of dict
        ``{"label", "family", "bits", "lut", "snr_db"}`` each (``bits``: the
        weight width). Fewer LUTs and more SNR are better.
    path_stem : str or os.PathLike

    Returns
    -------
    (pathlib.Path, pathlib.Path)
    """
    import matplotlib
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    plt = _pyplot()
    pts = [p for p in points if p.get("lut") is not None and p.get("snr_db") is not None
           and math.isfinite(p["snr_db"])]
    front = pareto_front(pts)
    with matplotlib.rc_context(_rc()):
        fig, ax = plt.subplots(figsize=(8.2, 5.4))
        _draw_front(ax, pts, front)
        luts = [p["lut"] for p in pts]
        if luts and _spread(luts) > 8:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(FixedLocator(_nice_ticks(min(luts), max(luts) * 1.6)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        if luts:
            lo, hi = min(luts), max(luts)
            if ax.get_xscale() == "log":
                ax.set_xlim(lo / 1.15, hi * 1.6)
            else:
                ax.set_xlim(max(0, lo - 0.08 * (hi - lo + 1)), hi + 0.3 * (hi - lo + 1))
        snrs = [p["snr_db"] for p in pts]
        if snrs:
            pad = 0.06 * (max(snrs) - min(snrs) + 1)
            ax.set_ylim(min(snrs) - pad, max(snrs) + 2 * pad)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", color="#EEEEEE", linewidth=0.6)
        ax.set_axisbelow(True)
        legend = ax.legend(loc="lower right", fontsize=8, frameon=False,
                           title="family (ringed: on the front)", title_fontsize=7.5)
        if title:
            ax.set_title(title, loc="left")
        fig.tight_layout()
        _place_labels(fig, ax, pts, front, legend)
        return _save(fig, path_stem)


def _nice_ticks(lo, hi):
    """1-2-3-5 ticks per decade between ``lo`` and ``hi``."""
    ticks = []
    for decade in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1):
        for m in (1, 1.5, 2, 3, 5, 7):
            t = m * 10 ** decade
            if lo <= t <= hi:
                ticks.append(t)
    return ticks


#: Label offsets tried, in points from the marker: (dx, dy, horizontal alignment).
_OFFSETS = ((6, 2, "left"), (6, -9, "left"), (-6, 2, "right"), (-6, -9, "right"),
            (0, 7, "center"), (0, -15, "center"), (6, 11, "left"), (6, -18, "left"),
            (-6, 11, "right"), (-6, -18, "right"), (0, 16, "center"), (0, -24, "center"))


def _place_labels(fig, ax, pts, front, legend):
    """Annotate the points, trying :data:`_OFFSETS` until a label overlaps nothing.

    Front points are always labelled; another point is labelled only where
    its label fits clear of the rest (dense sweeps would otherwise pile up).
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    to_px = ax.transData.transform
    from matplotlib.transforms import Bbox
    for i, p in enumerate(pts):
        x, y = to_px((p["lut"], p["snr_db"]))
        r = 8 if i in front else 5  # a ringed marker is larger
        taken.append(Bbox([[x - r, y - r], [x + r, y + r]]))
    # Points on the same spot (equal LUT and SNR: the same hardware and levels
    # under two names) get one label naming them all, not labels piled up.
    names = {}
    for i, p in enumerate(pts):
        text = f"{p['label']} ({p['bits']}b)"
        spot = names.setdefault((p["lut"], round(p["snr_db"], 6)), [])
        if text not in spot:
            spot.append(text)
    first = {}
    for i, p in enumerate(pts):
        first.setdefault((p["lut"], round(p["snr_db"], 6)), i)
    order = sorted(first.values(), key=lambda i: (i not in front, pts[i]["lut"]))
    for i in order:
        p = pts[i]
        text = " / ".join(names[(p["lut"], round(p["snr_db"], 6))])
        best = None
        pad = 3 if i in front else 0  # clear of the ring
        for dx, dy, ha in _OFFSETS:
            dx += pad if dx > 0 else -pad if dx < 0 else 0
            dy += pad if dy > 0 else -pad
            ann = ax.annotate(text, (p["lut"], p["snr_db"]),
                              xytext=(dx, dy), textcoords="offset points", fontsize=6.8,
                              ha=ha, color="#222222" if i in front else "#555555",
                              fontweight="bold" if i in front else "normal")
            bb = ann.get_window_extent(renderer).expanded(1.04, 1.15)
            hits = sum(bb.overlaps(t) for t in taken)
            outside = not (box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0
                           and bb.y1 <= box.y1)
            score = hits + 10 * outside
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, ann, bb)
            else:
                ann.remove()
            if score == 0:
                break
        if best[0] and i not in front:
            best[1].remove()  # no clear spot: leave an off-front point unlabelled, not piled up
            continue
        taken.append(best[2])



def energy_pareto_plot(panels, path_stem, *, title=None, ylabel="quantization SNR (dB)"):
    """Energy per MAC against SNR, one panel per activity source, each with its Pareto front.

    Parameters
    ----------
    panels : list of dict
        ``{"title", "xlabel", "points", "left_out"}`` each, side by side and
        sharing the SNR axis. ``points``: ``{"label", "family", "bits",
        "energy", "snr_db"}`` each (fewer pJ and more SNR are better);
        ``left_out``: ``(label, reason)`` of each point without a figure,
        listed under the panel so that a missing figure is never silent.
    path_stem : str or os.PathLike
    title : str, optional
    ylabel : str

    Returns
    -------
    (pathlib.Path, pathlib.Path)
    """
    import textwrap

    import matplotlib
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    plt = _pyplot()
    # _place_labels and pareto_front read the cost under "lut"; here it is the energy.
    plotted = [[{**p, "lut": p["energy"]} for p in panel["points"]
                if p.get("energy") is not None and p.get("snr_db") is not None
                and math.isfinite(p["snr_db"])] for panel in panels]
    snrs = [p["snr_db"] for pts in plotted for p in pts]
    with matplotlib.rc_context(_rc()):
        fig, axes = plt.subplots(1, len(panels), figsize=(7.4 * len(panels), 6.2),
                                 sharey=True, squeeze=False)
        placed = []
        for ax, panel, pts in zip(axes[0], panels, plotted):
            front = pareto_front(pts)
            _draw_front(ax, pts, front)
            xs = [p["lut"] for p in pts]
            if xs and min(xs) > 0 and _spread(xs) > 8:
                ax.set_xscale("log")
                ax.xaxis.set_major_locator(FixedLocator(_nice_ticks(min(xs), max(xs) * 1.6)))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}"))
                ax.xaxis.set_minor_formatter(NullFormatter())
                ax.set_xlim(min(xs) / 1.15, max(xs) * 1.6)
            elif xs:
                # Energies may be well below 1 pJ in a fine library: margins scale with them.
                lo, hi = min(xs), max(xs)
                span = (hi - lo) or abs(hi) * 0.2 or 1.0
                ax.set_xlim(max(0.0, lo - 0.08 * span), hi + 0.3 * span)
            else:
                ax.text(0.5, 0.5, "no figures", transform=ax.transAxes, ha="center",
                        va="center", color="#555555")
            ax.set_xlabel(panel["xlabel"])
            ax.set_title("\n".join(textwrap.wrap(panel["title"], 78)), loc="left", fontsize=8.5)
            ax.grid(True, which="major", color="#EEEEEE", linewidth=0.6)
            ax.set_axisbelow(True)
            legend = (ax.legend(loc="lower right", fontsize=8, frameon=False,
                                title="family (ringed: on the front)", title_fontsize=7.5)
                      if pts else None)
            left_out = list(panel.get("left_out") or ())
            if left_out:
                shown = [f"not plotted: {label}: {textwrap.shorten(reason, 132)}"
                         for label, reason in left_out[:5]]
                if len(left_out) > 5:
                    shown.append(f"and {len(left_out) - 5} more (sweep.md gives each reason)")
                # Below the axis label, whatever its height: x from the axes, y from the label.
                ax.annotate("\n".join(shown), (0, 0), xycoords=("axes fraction", ax.xaxis.label),
                            xytext=(0, -6), textcoords="offset points", va="top", ha="left",
                            fontsize=6.8, color="#8B0000", annotation_clip=False)
            placed.append((ax, pts, front, legend))
        axes[0, 0].set_ylabel(ylabel)
        if snrs:
            pad = 0.06 * (max(snrs) - min(snrs) + 1)
            axes[0, 0].set_ylim(min(snrs) - pad, max(snrs) + 2 * pad)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=10.5)
        fig.tight_layout()
        for ax, pts, front, legend in placed:
            _place_labels(fig, ax, pts, front, legend)
        return _save(fig, path_stem)
