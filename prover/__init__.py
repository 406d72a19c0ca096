"""Apothem prover: decides VNN-LIB queries on ReLU networks and writes checkable proofs."""
