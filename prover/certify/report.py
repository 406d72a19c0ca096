"""Summary figures (matplotlib, optional) and a self-contained HTML report from a jinja2
template (templates/report.html): the real grid in every label, human column names, integer
counts."""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import platform
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import jinja2
import numpy as np

from ..outfile import AtomicFile, write_text
from . import TOOL
from .bundle import read
from .inputs import step_text

# row key -> column heading, in table order; a column appears when some row has the key. The
# CSV beside the bundles keeps every key of every row.
COLUMNS = {
    "dataset": "dataset", "input": "input", "label": "class", "apothem_k": "apothem (steps)",
    "apothem": "apothem", "apothem_optimal": "shown optimal", "apothem_hi": "first refuted radius (steps)",
    "box_min_edge": "shortest box edge", "box_log_volume": "box log-volume", "maximal_shown": "box shown maximal",
    "oracle_calls": "oracle calls", "verifier_calls": "verifier calls", "unknown_calls": "unknown answers",
    "seconds": "seconds", "check": "bundle check", "error": "error",
}


@dataclass
class Figure:
    path: Path
    caption: str
    dataset: str | None = None   # per-input figures: the input's dataset ("" for none)


def _sha(path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "?"


def _save(fig, path: Path) -> None:
    with AtomicFile(path, "wb", "figure") as f:
        fig.savefig(f.file, format="png", dpi=100)


def figures(rows, out_dir, grid, per_input_limit: int | None = None) -> list[Figure]:
    """Histogram of the apothems, in steps of the real grid `grid` = (LO, HI, G), per dataset;
    per input the image beside its box faces (every input with a bundle, or the first
    `per_input_limit`)."""
    try:  # optional (the `report` extra): without it a report has tables and no figures
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    step = step_text(*grid)
    out = []
    groups = {}
    for r in rows:
        if r.get("apothem_k") is not None:
            groups.setdefault(r.get("dataset") or "inputs", []).append(int(r["apothem_k"]))
    if groups:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        top = max(max(v) for v in groups.values())
        for name, vals in groups.items():
            ax.hist(vals, bins=range(0, top + 2), alpha=0.6, label=name, align="left")
        ax.set_xlabel(f"apothem (steps of {step})")
        ax.set_ylabel("inputs")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of inputs: no 2.5
        if len(groups) > 1:
            ax.legend()
        fig.tight_layout()
        p = out_dir / "apothem_hist.png"
        _save(fig, p)
        plt.close(fig)
        n = sum(len(v) for v in groups.values())
        out.append(Figure(p, f"How many inputs have each apothem, in steps of {step} ({n} inputs)."))
    shown = 0
    for r in rows:
        b = r.get("bundle")
        if not b or (per_input_limit is not None and shown >= per_input_limit) or not Path(b).exists():
            continue
        try:
            bd = read(b)
        except Exception:  # noqa: BLE001 -- a figure is optional; the bundle's own check reports a bad bundle
            continue
        x = np.array([float(Fraction(v)) for v in bd["input"]])
        LO, HI = (float(Fraction(v)) for v in bd["domain"])
        claims = bd["claims"]
        if "maximal" in claims:
            what = "maximal box"
            lo = np.array([float(Fraction(v)) for v in claims["maximal"]["lower"]])
            hi = np.array([float(Fraction(v)) for v in claims["maximal"]["upper"]])
        elif "apothem" in claims:
            what = "apothem ball"
            k = int(claims["apothem"]["k"])
            d = (HI - LO) / int(bd["grid"])
            lo, hi = np.clip(x - k * d, LO, HI), np.clip(x + k * d, LO, HI)
        else:
            continue
        side = int(round(len(x) ** 0.5))
        if side * side != len(x):
            continue
        name = f"{r['dataset']}/{r['input']}" if r.get("dataset") else r["input"]
        fig, axs = plt.subplots(1, 3, figsize=(6, 2.3))
        for ax, img, t in zip(axs, (x, lo, hi), ("input", "lower face", "upper face")):
            ax.imshow(img.reshape(side, side), cmap="gray", vmin=LO, vmax=HI)
            ax.set_title(t, fontsize=8)
            ax.axis("off")
        fig.suptitle(f"{name}: class {bd['label']}", fontsize=8)
        fig.tight_layout()
        p = out_dir / f"box_{r.get('dataset') or 'x'}_{Path(r['input']).stem}.png"
        _save(fig, p)
        plt.close(fig)
        out.append(Figure(p, f"{name} (class {bd['label']}): the input, and the lower and upper faces of its "
                             f"certified {what}.", r.get("dataset") or ""))
        shown += 1
    return out


def _cell(v) -> tuple[str, bool]:
    """Text of a table cell and whether it is a number (right-aligned): integers as integers,
    other numbers to 4 significant digits, yes/no for flags."""
    if v is None or v == "":
        return "", False
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, int):
        return str(v), True
    if isinstance(v, float):
        return (str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"), True
    return str(v), False


def write_report(rows, out_dir, grid, title="Apothem certification", models=None) -> Path:
    """report.html in `out_dir` (figures in out_dir/figures): the summary figures and the first
    three per-input figures of each dataset embedded, the rest linked; `grid` = (LO, HI, G)."""
    out_dir = Path(out_dir)
    figs = figures(rows, out_dir / "figures", grid)
    embed, rest, per_ds = [], [], {}
    for f in figs:
        if f.dataset is not None:
            per_ds[f.dataset] = per_ds.get(f.dataset, 0) + 1
            if per_ds[f.dataset] > 3:
                rest.append(f.path.name)
                continue
        embed.append({"data": base64.b64encode(f.path.read_bytes()).decode(), "caption": f.caption})
    columns = {k: name for k, name in COLUMNS.items() if any(k in r for r in rows)}
    table = [[_cell(r.get(k)) for k in columns] + [(_sha(r["bundle"])[:16] if r.get("bundle") else "", False)]
             for r in rows]
    columns["bundle_sha256"] = "bundle SHA-256 (first 16 hex digits)"
    try:
        versions = {p: md.version(p) for p in ("apothem", "apothem-check", "numpy", "msgpack")}
    except Exception:  # noqa: BLE001 -- versions are informative; a source tree has none
        versions = {}
    try:
        import matplotlib  # noqa: F401
        have_matplotlib = True
    except ImportError:
        have_matplotlib = False
    ok = [r for r in rows if "error" not in r]
    env = jinja2.Environment(loader=jinja2.PackageLoader("prover.certify", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    html = env.get_template("report.html").render(
        title=title, generated=time.strftime("%Y-%m-%d %H:%M:%S"), tool=TOOL, python=platform.python_version(),
        platform=platform.platform(), versions=versions, step=step_text(*grid),
        domain=[str(Fraction(grid[0])), str(Fraction(grid[1]))],
        summary={"inputs": len(rows), "errors": len(rows) - len(ok),
                 "optimal": sum(1 for r in ok if r.get("apothem_optimal")),
                 "valid": sum(1 for r in ok if r.get("check") == "valid")},
        models=[(k, str(v), _sha(v)) for k, v in (models or {}).items()], figures=embed, more_figures=rest,
        have_matplotlib=have_matplotlib, columns=columns, table=table)
    path = out_dir / "report.html"
    write_text(path, html, "report")
    return path
