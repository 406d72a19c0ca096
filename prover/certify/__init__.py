"""Robustness certification on a grid: apothem-optimal balls, maximal boxes, dual certifications,
audits of other tools' boxes, and certification bundles (spec/certification.md).

Robust means *strictly* classified as the label, exactly (margin 0: a tie is not robust).
"""
TOOL = "apothem-certify 1.0.0"
