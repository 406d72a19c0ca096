"""`apothem batch` and the engine options shared with `apothem certify --inputs`: their
arguments (wired into prover/cli.py); the commands are scale/commands.py, imported when one
runs (with the batch layer: nothing of it is loaded by `apothem verify` or `--version`)."""
from __future__ import annotations

import argparse

from ..usage import EPILOG, positive_int, seconds


def add_engine_options(p) -> None:
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="run the tasks on a Dask cluster: its scheduler's address (e.g. tcp://host:8786), or "
                        "'local' for a throw-away local cluster of --workers processes (needs the cluster "
                        "extra; default: the local process pool)")
    p.add_argument("--tries", type=positive_int, default=3, metavar="N",
                   help="with --cluster local: a task whose worker dies is run again, up to N workers in all; "
                        "then it is an error (default: 3)")


def add_subcommand(sub) -> None:
    b = sub.add_parser("batch", help="verify every instance of a VNN-COMP instances.csv, resumably",
                       description="Verify every instance (onnx,vnnlib,timeout per line) of a list, on local "
                       "worker processes or a Dask cluster. Each result (verdict, proof, timings, peak memory) "
                       "is saved in OUT as it completes; running the same command again redoes only the "
                       "instances without an intact result.", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("instances", help="the instance list (paths relative to its folder; expected.csv beside it, "
                   "if any, is compared with)")
    b.add_argument("--out", default="batch-out", metavar="DIR",
                   help="folder for proofs and result records (default: batch-out)")
    b.add_argument("--csv", default=None, metavar="FILE", help="per-instance CSV (default: OUT/batch.csv)")
    b.add_argument("--timeout", type=seconds, default=None, metavar="S",
                   help="seconds per instance, instead of the list's (default: the list's)")
    b.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="worker processes (local pool, or the throw-away cluster of --cluster local; default: 1)")
    add_engine_options(b)
    b.set_defaults(handler=_handler)


def _handler(args) -> int:
    from .commands import run_verify_batch
    return run_verify_batch(args)
