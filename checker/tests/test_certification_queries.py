"""The certification queries the checker builds directly are exactly what their text says.

`query`'s property (used when checking bundles) must equal the reader's reading of its text (the
file a third party would check standalone), hash included; z3 must agree with the text.
"""
from fractions import Fraction as F

import pytest

from apothem_check.certification import query
from apothem_check.errors import InputError
from apothem_check.vnnlib import cross_check_with_z3, load_property


@pytest.mark.parametrize("kind", ["flip", "reach"])
@pytest.mark.parametrize("label", [0, 2])
def test_direct_query_equals_its_text(tmp_path, kind, label):
    lower, upper = [F(0), F(3, 255), F(-1, 7)], [F(1, 255), F(5, 255), F(1)]
    path = tmp_path / "q.vnnlib"
    text, prop = query(kind, lower, upper, label, 4)
    path.write_text(text)
    read = load_property(path, 3, 4)
    cross_check_with_z3(path, read)
    assert read == prop
    assert len(read.disjuncts) == (3 if kind == "flip" else 1)


def test_a_different_box_gives_a_different_query(tmp_path):
    a = query("flip", [F(0)], [F(1, 255)], 0, 2)[1]
    b = query("flip", [F(0)], [F(2, 255)], 0, 2)[1]
    assert a.sha256 != b.sha256 and a.disjuncts != b.disjuncts


@pytest.mark.parametrize("term", ["(/ X_0 2)", "(/ 1 0)", "(/ 1 2 3)"])
def test_division_only_of_constants(tmp_path, term):
    path = tmp_path / "d.vnnlib"
    path.write_text(f"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n"
                    f"(assert (<= X_0 {term}))\n(assert (<= Y_0 0))\n")
    with pytest.raises(InputError) as err:
        load_property(path, 1, 1)
    assert err.value.code in ("VNNLIB_UNSUPPORTED", "VNNLIB_SYNTAX")
