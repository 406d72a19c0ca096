"""Shared pytest fixtures: where the third-party benchmarks live, and what their absence means.

Benchmarks are read from ../shared/benchmarks (never copied into the repository). Locally their
absence skips the tests that need them, with the reason; CI sets APOTHEM_REQUIRE_BENCHMARKS=1,
which turns that absence into a failure.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

BENCHMARKS = Path(os.environ.get("APOTHEM_BENCHMARKS", Path(__file__).resolve().parent.parent / "shared" / "benchmarks"))


@pytest.fixture(scope="session")
def benchmarks() -> Path:
    if not BENCHMARKS.is_dir():
        message = f"benchmarks not found at {BENCHMARKS} (set APOTHEM_BENCHMARKS or place ../shared beside the repo)"
        if os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return BENCHMARKS
