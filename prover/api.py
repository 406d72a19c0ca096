"""The Python API: what `apothem verify` and `apothem certify` do, callable from Python with the
same results (README, "Python API"; tests/prover/test_api.py holds the two to each other).

    from prover.api import verify_query, certify_input
    out = verify_query("q.vnnlib", "model.onnx", proof="q.apf", timeout=60)
    out.verdict            # 'sat' | 'unsat' | 'unknown' | 'timed-out'; out.inputs for sat
    r = certify_input("model.onnx", "x.csv", out="x.bundle")
    r.row["apothem_k"], r.verdict   # proven radius in grid steps; the bundle checker's verdict

Checking a proof is the checker's own business (package apothem_check, which knows nothing of
the prover); the README shows its four calls.

Errors: `apothem_check.errors.InputError` (with a `code`) for a network, query or input file
that cannot be read or is not supported, `prover.outfile.OutputError` for an output target
refused before any work starts, `prover.certify.inputs.CertifyError` for an input that cannot
be certified (a tie at the input, a label that is not the prediction).
"""
from __future__ import annotations

import os

from apothem_check.cli import network_path
from apothem_check.network import Network
from apothem_check.network import load_network as _load_network
from apothem_check.vnnlib import Property, load_property

from .outfile import check_target
from .semantics import DEFAULT_SEMANTICS, fold
from .tree import Settings
from .verify import Outcome, check_supported, verify


def load_network(spec, semantics: str = "real") -> Network:
    """The network read by the checker's own reader (InputError if it cannot take it), folded
    for `semantics` (spec 4.11; InputError ONNX_FLOAT32 for a graph that float32 folding
    refuses): read once, in it, not read as real and folded again (mnist_fc 256x2: 0.5 s);
    `spec` is `[NAME=]PATH` (VNN-LIB 2 convention, the checker's `network_path`)."""
    return fold(_load_network(network_path(os.fspath(spec)), semantics), semantics)


def load_query(query, network_spec, semantics: str = DEFAULT_SEMANTICS) -> tuple[Network, Property]:
    """The network and the query as `apothem verify` reads them: the checker's readers, then
    the prover's own limit (every number of the query within float64 range). Under `float32`
    the network is folded with its rounding bounds, and every proof about it says
    `semantics float32`."""
    network = load_network(network_spec, semantics)
    prop = load_property(query, network.input_shape, network.output_shape)
    check_supported(prop)
    return network, prop


def verify_query(query, network, proof=None, timeout: float | None = None, jobs: int | None = None,
                 progress: bool = False, semantics: str = DEFAULT_SEMANTICS) -> Outcome:
    """`apothem verify QUERY --network NETWORK [--proof PROOF] [--timeout S] [--jobs N]
    [--semantics S]`: an `Outcome` (verdict, exact counterexample for `sat`, warnings). The
    proof target is checked before the search starts."""
    if proof is not None:
        check_target(proof, "proof file")
    net, prop = load_query(query, network, semantics)
    settings = Settings(jobs=jobs or len(os.sched_getaffinity(0)))
    return verify(net, prop, None if proof is None else os.fspath(proof), timeout, progress, settings=settings)


def certify_input(network, input, out=None, label: int | None = None, **options):
    """`apothem certify --network NETWORK --input INPUT [--out OUT] [--label C] ...`: a
    `prover.certify.certify.Result` (row of figures, bundle path, the bundle checker's verdict).
    `options` are the fields of `prover.certify.certify.Options` (lo, hi, grid, timeout,
    maximal, ...)."""
    # imported here, not at the top: `apothem verify` loads this module, and the certification
    # stack costs it ~80 ms at start-up (prover/certify/cli.py)
    from .certify.certify import Options, certify_one
    if out is not None:
        check_target(out, "bundle file")
    opts = Options(**options)
    net = load_network(network, opts.semantics)
    return certify_one(net, os.fspath(network), input, None if out is None else os.fspath(out), opts, label)
