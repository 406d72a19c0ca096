"""Apothem proof format, writer side: the prover's streaming writer and exact number texts.

The normative grammar and the reader belong to the checker (apothem_check.proof.lark and
apothem_check.reader), so that the trusted base depends on nothing the prover ships; the tests
tie this writer to that grammar.
"""
