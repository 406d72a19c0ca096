"""apothem-check: the independent exact checker of Apothem proofs (the trusted base)."""
__version__ = "1.0.0"
