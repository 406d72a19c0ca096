"""Summary figures (matplotlib, optional) and a self-contained HTML report."""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.metadata as md
import io
import platform
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import TOOL
from .bundle import read


def _sha(path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "?"


def figures(rows, out_dir, per_input_limit: int | None = None) -> list[Path]:
    """Histogram of apothems per dataset; per input the image beside its box faces (every input
    with a bundle, or the first `per_input_limit`). Earlier versions stopped after 12 figures in
    total, so a batch run wrote figures for the first 12 inputs of the first dataset only."""
    try:  # optional (the `report` extra): without it a report has tables and no figures
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    groups = {}
    for r in rows:
        if r.get("apothem") is not None:
            groups.setdefault(r.get("dataset", "inputs"), []).append(r["apothem"] * 255)
    if groups:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name, vals in groups.items():
            ax.hist(vals, bins=range(0, int(max(vals)) + 2), alpha=0.6, label=name)
        ax.set_xlabel("apothem (grid steps of 1/255)")
        ax.set_ylabel("inputs")
        ax.legend()
        fig.tight_layout()
        p = out_dir / "apothem_hist.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    # per input: image, lower face, upper face of its box (from the bundle)
    shown = 0
    for r in rows:
        b = r.get("bundle")
        if not b or (per_input_limit is not None and shown >= per_input_limit) or not Path(b).exists():
            continue
        try:
            bd = read(b)
        except Exception:
            continue
        x = np.array([float(Fraction(v)) for v in bd["input"]])
        claims = bd["claims"]
        if "maximal" in claims:
            lo = np.array([float(Fraction(v)) for v in claims["maximal"]["lower"]])
            hi = np.array([float(Fraction(v)) for v in claims["maximal"]["upper"]])
        elif "apothem" in claims:
            k = int(claims["apothem"]["k"])
            d = (float(Fraction(bd["domain"][1])) - float(Fraction(bd["domain"][0]))) / int(bd["grid"])
            lo, hi = np.clip(x - k * d, 0, 1), np.clip(x + k * d, 0, 1)
        else:
            continue
        side = int(round(len(x) ** 0.5))
        if side * side != len(x):
            continue
        fig, axs = plt.subplots(1, 3, figsize=(6, 2.3))
        for ax, img, t in zip(axs, (x, lo, hi), ("input", "lower face", "upper face")):
            ax.imshow(img.reshape(side, side), cmap="gray", vmin=0, vmax=1)
            ax.set_title(t, fontsize=8)
            ax.axis("off")
        fig.suptitle(f"{r.get('dataset', '')}/{r['input']}: class {bd['label']}", fontsize=8)
        fig.tight_layout()
        p = out_dir / f"box_{r.get('dataset', 'x')}_{Path(r['input']).stem}.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
        shown += 1
    return paths


def write_report(rows, out_dir, title="Apothem certification", models=None) -> Path:
    out_dir = Path(out_dir)
    figs = figures(rows, out_dir / "figures")
    keys = []
    for r in rows:
        for k in r:
            if k not in keys and k not in ("bundle",):
                keys.append(k)
    def cell(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape(str(v)) if v is not None else ""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
             "td,th{border:1px solid #ccc;padding:2px 5px}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by {TOOL}, Python {platform.python_version()}, "
             f"{html.escape(platform.platform())}.</p>",
             "<p>Robust means the predicted class is <b>strictly</b> greater than every other output, exactly "
             "(margin 0; a tie is not robust). Radii are on the grid (HI-LO)/G. Every bundle is checked by "
             "<code>apothem-check certification</code>; the column <code>check</code> gives its verdict.</p>"]
    if models:
        parts.append("<h2>Models</h2><ul>" + "".join(
            f"<li>{html.escape(str(k))}: <code>{html.escape(str(v))}</code> sha256 <code>{_sha(v)}</code></li>"
            for k, v in models.items()) + "</ul>")
    try:
        vers = {p: md.version(p) for p in ("apothem", "apothem-check", "numpy", "msgpack")}
        parts.append("<p>Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()) + "</p>")
    except Exception:
        pass
    # embed the summary figures and the first three per-input figures of each dataset; list the rest
    embed, per_ds = [], {}
    for p in figs:
        if not p.name.startswith("box_"):
            embed.append(p)
            continue
        ds = next((str(r.get("dataset", "x")) for r in rows
                   if p.name == f"box_{r.get('dataset', 'x')}_{Path(r['input']).stem}.png"), "x")
        per_ds[ds] = per_ds.get(ds, 0) + 1
        if per_ds[ds] <= 3:
            embed.append(p)
    rest = [p for p in figs if p not in embed]
    for p in embed:
        data = base64.b64encode(p.read_bytes()).decode()
        parts.append(f"<figure><img src='data:image/png;base64,{data}'><figcaption>{html.escape(p.name)}</figcaption></figure>")
    if rest:
        parts.append("<p>More per-input figures: " + ", ".join(
            f"<a href='figures/{html.escape(p.name)}'>{html.escape(p.name)}</a>" for p in rest) + "</p>")
    if not figs:
        parts.append("<p>(matplotlib not installed: no figures)</p>")
    parts.append("<h2>Per input</h2><table><tr>" + "".join(f"<th>{html.escape(k)}</th>" for k in keys) + "<th>bundle sha256</th></tr>")
    for r in rows:
        sha = _sha(r["bundle"]) if r.get("bundle") else ""
        parts.append("<tr>" + "".join(f"<td>{cell(r.get(k))}</td>" for k in keys) + f"<td><code>{sha[:16]}</code></td></tr>")
    parts.append("</table></body></html>")
    path = out_dir / "report.html"
    path.write_text("\n".join(parts))
    return path
