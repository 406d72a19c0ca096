"""Progress on stderr that knows where it is written.

On a terminal a line is redrawn in place (tqdm draws it: width, clearing, the final newline).
Anywhere else (a log file, a pipe, CI) carriage returns would make the whole run one unreadable
line, so plain lines are written instead, at most one every `every` seconds for the search, one
per finished input for a batch.
"""
from __future__ import annotations

import math
import sys
import time

from tqdm import tqdm


def _on_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class SearchProgress:
    """The search's status: how many nodes (input or ReLU regions) were bounded, how many wait
    to be, how many the search closed (and, once the proof is written, how many of those closes
    the exact replay accepted), and the lowest bound of the last batch of nodes: a node is
    closed once a lower bound on its violation margin is above 0, so this number rises towards
    0 as the search goes. Shown only once a bound is known."""

    def __init__(self, stream=None, every: float = 10.0):
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.bar = (tqdm(file=self.stream, bar_format="[apothem] {desc}", dynamic_ncols=True)
                    if _on_terminal(self.stream) else None)
        self.last = -math.inf

    def show(self, stats, waiting: int, elapsed: float) -> None:
        text = f"{stats.nodes} nodes bounded, {waiting} waiting, {stats.leaves} closed"
        if stats.closed:
            text += f" ({stats.closed} replayed exactly)"
        if math.isfinite(stats.worst):
            text += f"; lowest bound {stats.worst:+.3g} (a node closes above 0)"
        text += f"; {elapsed:.0f} s"
        if self.bar is not None:
            self.bar.set_description_str(text)
        elif time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.stream.write(f"[apothem] {text}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class BatchProgress:
    """Tasks done out of the total, how many are running and have failed, the throughput and the
    time to go; the line ends when the batch does. A resumed batch starts at the results it
    found (`done`); throughput and ETA count only what this run does."""

    def __init__(self, total: int, stream=None, done: int = 0, unit: str = "input"):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.first, self.failed, self.t0 = total, done, done, 0, time.monotonic()
        self.bar = (tqdm(total=total, initial=done, file=self.stream, unit=unit, dynamic_ncols=True)
                    if _on_terminal(self.stream) else None)

    def step(self, name: str, outcome: str, failed: bool = False, running: int | None = None) -> None:
        self.done += 1
        self.failed += bool(failed)
        counts = (f"{running} running, " if running is not None else "") + f"{self.failed} failed"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{name}: {outcome}; {counts}", refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.t0
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        eta = f"ETA {(self.total - self.done) / rate:.0f} s" if rate > 0 else "ETA ?"
        self.stream.write(f"[{self.done}/{self.total}] {name}: {outcome} ({counts}; {60 * rate:.1f}/min, {eta}; "
                          f"{elapsed:.0f} s elapsed)\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
