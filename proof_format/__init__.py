"""Apothem proof format, writer side: the prover's streaming writer and text <-> binary conversion.

The normative grammar and the readers belong to the checker (apothem_check.proof.lark and
apothem_check.reader), so that the trusted base depends on nothing the prover ships; the tests
tie this writer to that grammar.
"""
