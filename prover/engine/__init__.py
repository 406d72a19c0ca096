"""Floating-point engine (numpy float64): bounds, certificates, falsification. Batched over nodes."""
