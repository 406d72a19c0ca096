"""The golden proofs, as data: `python -m checker.tests.golden_cases` writes checker/tests/golden/*/NAME.apf.

Each case is (folder, name, model, property, expect, body[, options]). The files carry the real
SHA-256 lines of the generated models (nets.py); `test_golden.py` checks that the files on disk
are exactly what this module writes, then checks every file against its `# expect:` line.
Options: `header` replaces the four header lines (with {net} / {prop} for the real hashes),
`raw` gives the whole body as bytes after the comment lines, `xfail` marks a known checker bug.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
HEADER = "apothem-proof 1\nsemantics real\nnetwork sha256:{net}\nproperty sha256:{prop}\n"
ZERO = "0" * 64
F32 = {"header": "apothem-proof 1\nsemantics float32\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}

BETA_PROOF = """1 root 0
2 split 1 relu 1 0 3 4
5 close 3 linear lambda 1 alpha 1 1 1 beta 1 0 1
6 close 4 linear lambda 1 beta 1 0 1
7 unsat"""

NET2A_CROWN = """1 root 0
2 bounds 1 crown
3 split 1 input 0 0 4 5
6 bounds 4 crown
7 close 4 linear lambda 1
8 bounds 5 crown
9 split 5 input 1 0 10 11
12 bounds 10 crown
13 close 10 linear lambda 1
14 bounds 11 crown
15 split 11 input 0 0x1p-1 16 17
18 bounds 16 crown
19 close 16 linear lambda 1
20 bounds 17 crown
21 split 17 input 1 0x1p-1 22 23
24 bounds 22 crown
25 close 22 linear lambda 1
26 bounds 23 crown
27 split 23 input 0 0x3p-2 28 29
30 bounds 28 crown
31 close 28 linear lambda 1
32 bounds 29 crown
33 close 29 linear lambda 1
34 unsat"""

NET2A_INTERVAL = """1 root 0
2 bounds 1 interval
3 split 1 input 0 0 4 5
6 bounds 4 interval
7 close 4 linear lambda 1
8 bounds 5 interval
9 split 5 input 1 0 10 11
12 bounds 10 interval
13 close 10 linear lambda 1
14 bounds 11 interval
15 split 11 input 0 0x1p-1 16 17
18 bounds 16 interval
19 close 16 linear lambda 1
20 bounds 17 interval
21 split 17 input 1 0x1p-1 22 23
24 bounds 22 interval
25 close 22 linear lambda 1
26 bounds 23 interval
27 split 23 input 0 0x3p-2 28 29
30 bounds 28 interval
31 close 28 linear lambda 1
32 bounds 29 interval
33 close 29 linear lambda 1
34 unsat"""

NET2B_RELU = """1 root 0
2 split 1 relu 2 0 3 4
5 split 3 relu 2 1 6 7
8 close 6 linear lambda 1
9 close 7 linear lambda 1 beta 2 1 1/4
10 split 4 relu 2 1 11 12
13 close 11 linear lambda 1 beta 2 0 1/2
14 close 12 linear lambda 1 beta 2 0 0.5 2 1 0.25
15 unsat"""

A, A_EPS, N2, OPS, LAY = "abs", "abs_eps", "net2", "ops", "layer"
LAYER_PROOF = "1 root 0\n2 bounds 1 layer 2 alpha 1 0 1/2 1 1 0x1p-1\n3 close 1 linear lambda 1\n4 unsat"
ABS_CLOSE = "1 root 0\n2 close 1 linear lambda 1\n3 unsat"
# net2_c: disjunct 0 (y0 >= 2) and disjunct 1 (y1 <= 1/16) share the box [-1, 1]^2
SHARED = "1 root 0 1\n2 close 1 z3 disjunct 0\n3 close 1 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n4 unsat"
# disjunct 1 closed at the root, disjunct 0 (like net2_a) in every leaf of an input-split tree;
# NET2A_CROWN's ids times 10 make room for the root's extra close
_TEN = {"root": (0,), "split": (0, 2, 6, 7), "bounds": (0, 2), "close": (0, 2), "unsat": (0,)}
SHARED_SPLIT = "\n".join(
    " ".join(str(10 * int(w)) if i in _TEN[line.split()[1]] else w for i, w in enumerate(line.split()))
    for line in NET2A_CROWN.splitlines()).replace("10 root 0\n", "10 root 0 1\n").replace(
    "20 bounds 10 crown\n", "20 bounds 10 crown\n25 close 10 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n").replace(
    "linear lambda", "linear disjunct 0 lambda")

CASES = [
    # ---------------------------------------------------------------- valid ----------------------
    ("valid", "root_close_linear", A, "abs_neg", "valid unsat", ABS_CLOSE),
    ("valid", "root_close_linear_hex_lambda", A, "abs_neg", "valid unsat",
     "1 root 0\n2 close 1 linear lambda 0x1.8p-1\n3 unsat"),
    ("valid", "root_close_linear_fraction_lambda", A, "abs_neg", "valid unsat",
     "10 root 0\n20 close 10 linear lambda 3/7\n30 unsat"),
    ("valid", "root_close_z3", A, "abs_neg", "valid unsat", "1 root 0\n2 close 1 z3\n3 unsat"),
    ("valid", "split_relu_beta", A, "abs_one", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_tight", A_EPS, "abs_zero", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_property_margin", A, "abs_tight", "valid unsat", BETA_PROOF),
    ("valid", "split_relu_beta_fractional_lambda", A_EPS, "abs_zero", "valid unsat",
     BETA_PROOF.replace("lambda 1 alpha 1 1 1 beta 1 0 1", "lambda 1/3 alpha 1 1 1 beta 1 0 1/3")
               .replace("lambda 1 beta 1 0 1", "lambda 1/3 beta 1 0 1/3")),
    ("valid", "split_relu_z3_leaves", A, "abs_one", "valid unsat",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 z3\n6 close 4 z3\n7 unsat"),
    ("valid", "split_relu_layer2", N2, "net2_b0", "valid unsat", NET2B_RELU),
    ("valid", "split_relu_layer2_fraction_in_property", N2, "net2_b", "valid unsat", NET2B_RELU),
    ("valid", "bounds_layer_alpha", LAY, "layer_a", "valid unsat", LAYER_PROOF),
    ("valid", "bounds_layer_hint_on_later_layer_ignored", LAY, "layer_a", "valid unsat",
     LAYER_PROOF.replace("0x1p-1", "0x1p-1 2 0 1")),
    ("valid", "alpha_hints", N2, "net2_b", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("valid", "alpha_hint_on_stable_neuron_ignored", N2, "net2_b0", "valid unsat",
     "1 root 0\n2 split 1 relu 2 0 3 4\n5 close 3 linear lambda 1 alpha 2 1 0 2 0 1/2\n"
     "6 close 4 linear lambda 1 alpha 2 1 0 2 0 0 beta 2 0 1/2\n7 unsat"),
    ("valid", "input_splits_crown", N2, "net2_a", "valid unsat", NET2A_CROWN),
    ("valid", "input_splits_interval", N2, "net2_a", "valid unsat", NET2A_INTERVAL),
    ("valid", "two_disjuncts_z3_and_linear", N2, "net2_c", "valid unsat",
     "1 root 0\n2 close 1 z3\n3 root 1\n4 close 3 linear lambda 1 alpha 2 0 0 2 1 0\n5 unsat"),
    ("valid", "two_disjuncts_two_boxes", A, "abs_or", "valid unsat",
     "1 root 1\n2 close 1 linear lambda 1\n3 root 0\n4 close 3 linear lambda 1\n5 unsat"),
    ("valid", "two_constraints_two_lambdas", A, "abs_two", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("valid", "two_constraints_zero_lambda", A, "abs_half", "valid unsat", "1 root 0\n2 close 1 linear lambda 1 0\n3 unsat"),
    ("valid", "shared_root", N2, "net2_c", "valid unsat", SHARED),
    ("valid", "shared_root_listed_in_other_order", N2, "net2_c", "valid unsat",
     "1 root 1 0\n2 close 1 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n3 close 1 z3 disjunct 0\n4 unsat"),
    ("valid", "shared_root_split_crown", N2, "net2_c", "valid unsat", SHARED_SPLIT),
    ("valid", "root_close_named_disjunct", A, "abs_neg", "valid unsat", "1 root 0\n2 close 1 linear disjunct 0 lambda 1\n3 unsat"),
    ("valid", "ops_network", OPS, "ops_a", "valid unsat", "1 root 0\n2 bounds 1 crown\n3 close 1 linear lambda 1\n4 unsat"),
    ("valid", "input_split_threshold_outside_box", A, "abs_neg",
     "valid unsat", "1 root 0\n2 split 1 input 0 5 3 4\n5 close 3 linear lambda 1\n6 close 4 z3\n7 unsat"),
    ("valid", "witness_sat", A, "abs_sat", "valid sat", "1 witness 0 0x1p-3\n2 sat 1"),
    ("valid", "witness_sat_decimal", A, "abs_high", "valid sat", "1 witness 0 -0.8\n2 sat 1"),
    ("valid", "witness_strict_bounds", A, "abs_strict", "valid sat", "1 witness 0 -1/4\n2 sat 1"),
    ("valid", "witness_net2", N2, "net2_sat", "valid sat", "1 witness 0 1 1\n2 sat 1"),
    ("valid", "witness_with_open_nodes", A, "abs_sat", "valid sat", "1 root 0\n2 split 1 relu 1 0 3 4\n5 witness 0 0\n6 sat 5"),
    ("valid", "comments_and_blank_lines", A, "abs_neg", "valid unsat",
     "# a comment\n\n1 root 0   # trailing comment\n\n2 close 1 linear lambda 1\n3 unsat\n\n# after the verdict\n\n"),
    ("valid", "crlf_line_ends", A, "abs_neg", "valid unsat", None,
     {"raw": (HEADER + ABS_CLOSE + "\n").replace("\n", "\r\n")}),
    ("valid", "hole", A, "abs_neg", "holey", '1 root 0\n2 hole 1 "left to the reader"\n3 unsat'),
    ("valid", "hole_one_leaf", N2, "net2_a", "holey",
     "1 root 0\n2 bounds 1 crown\n3 split 1 input 0 0 4 5\n6 bounds 4 crown\n7 close 4 linear lambda 1\n"
     '8 hole 5 "x0 >= 0 not done"\n9 unsat'),
    # ---------------------------------------------------------------- invalid: ids and nodes ------
    ("invalid", "id_repeated", A, "abs_neg", "invalid step 1 ID_ORDER", "1 root 0\n1 close 1 linear lambda 1\n2 unsat"),
    ("invalid", "id_decreasing", A, "abs_neg", "invalid step 3 ID_ORDER", "5 root 0\n3 close 5 linear lambda 1\n6 unsat"),
    ("invalid", "id_children_swapped", A, "abs_one", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 relu 1 0 4 3\n5 unsat"),
    ("invalid", "id_child_equals_step", A, "abs_one", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 relu 1 0 2 3\n5 unsat"),
    ("invalid", "id_children_equal", A, "abs_neg", "invalid step 2 ID_ORDER", "1 root 0\n2 split 1 input 0 0 3 3\n5 unsat"),
    ("invalid", "id_reuses_child_id", A, "abs_one", "invalid step 4 ID_ORDER",
     "1 root 0\n2 split 1 relu 1 0 3 4\n4 close 3 z3\n5 unsat"),
    ("invalid", "node_never_opened", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 close 7 linear lambda 1\n3 unsat"),
    ("invalid", "node_forward_reference", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 close 3 linear lambda 1\n3 root 1\n4 unsat"),
    ("invalid", "node_self_reference", A, "abs_neg", "invalid step 2 UNKNOWN_NODE", "1 root 0\n2 bounds 2 interval\n3 unsat"),
    ("invalid", "node_already_split", A, "abs_one", "invalid step 5 UNKNOWN_NODE",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 1 linear lambda 1\n6 unsat"),
    ("invalid", "node_closed_twice", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 linear lambda 1\n3 close 1 z3\n4 unsat"),
    ("invalid", "node_hole_then_close", A, "abs_neg", "invalid step 3 UNKNOWN_NODE", '1 root 0\n2 hole 1 "x"\n3 close 1 z3\n4 unsat'),
    ("invalid", "split_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE",
     "1 root 0\n2 close 1 z3\n3 split 1 input 0 0 4 5\n6 unsat"),
    ("invalid", "bounds_on_closed_node", A, "abs_neg", "invalid step 3 UNKNOWN_NODE", "1 root 0\n2 close 1 z3\n3 bounds 1 crown\n4 unsat"),
    ("invalid", "witness_id_as_node", A, "abs_sat", "invalid step 2 UNKNOWN_NODE", "1 witness 0 0\n2 close 1 z3\n3 sat 1"),
    # ---------------------------------------------------------------- BAD_INDEX --------------------
    ("invalid", "root_bad_disjunct", A, "abs_neg", "invalid step 1 BAD_INDEX", "1 root 1\n2 unsat"),
    ("invalid", "root_bad_disjunct_two", A, "abs_or", "invalid step 3 BAD_INDEX", "1 root 0\n2 close 1 z3\n3 root 2\n4 unsat"),
    ("invalid", "split_input_bad_index", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 input 1 0 3 4\n5 unsat"),
    ("invalid", "split_relu_layer_zero", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 0 0 3 4\n5 unsat"),
    ("invalid", "split_relu_output_layer", A, "abs_neg", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 2 0 3 4\n5 unsat"),
    ("invalid", "split_relu_bad_neuron", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 split 1 relu 2 2 3 4\n5 unsat"),
    ("invalid", "alpha_bad_neuron", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 9 0\n3 unsat"),
    ("invalid", "alpha_bad_layer", N2, "net2_b", "invalid step 2 BAD_INDEX", "1 root 0\n2 close 1 linear lambda 1 alpha 3 0 0\n3 unsat"),
    ("invalid", "beta_bad_layer", A, "abs_one", "invalid step 5 BAD_INDEX",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 0 0 1\n6 unsat"),
    ("invalid", "witness_bad_disjunct", A, "abs_sat", "invalid step 1 BAD_INDEX", "1 witness 1 0\n2 sat 1"),
    # ---------------------------------------------------------------- rule-specific -------------
    ("invalid", "duplicate_root", A, "abs_neg", "invalid step 3 DUPLICATE_ROOT", "1 root 0\n2 close 1 z3\n3 root 0\n4 unsat"),
    ("invalid", "duplicate_root_open", A, "abs_or", "invalid step 2 DUPLICATE_ROOT", "1 root 1\n2 root 1\n3 unsat"),
    ("invalid", "shared_root_close_unnamed", N2, "net2_c", "invalid step 2 BAD_DISJUNCT", "1 root 0 1\n2 close 1 z3\n3 unsat"),
    ("invalid", "shared_root_closed_twice", N2, "net2_c", "invalid step 3 BAD_DISJUNCT",
     "1 root 0 1\n2 close 1 z3 disjunct 0\n3 close 1 z3 disjunct 0\n4 unsat"),
    ("invalid", "close_disjunct_of_other_node", N2, "net2_c", "invalid step 2 BAD_DISJUNCT",
     "1 root 0\n2 close 1 linear disjunct 1 lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("invalid", "shared_root_certificate_of_other_disjunct", N2, "net2_c", "invalid step 2 NOT_POSITIVE",
     "1 root 0 1\n2 close 1 linear disjunct 0 lambda 1 alpha 2 0 0 2 1 0\n3 unsat"),
    ("invalid", "shared_root_one_disjunct_left", N2, "net2_c", "invalid step 3 OPEN_NODES",
     "1 root 0 1\n2 close 1 z3 disjunct 0\n3 unsat"),
    ("invalid", "shared_root_leaf_left", N2, "net2_c", "invalid step 340 OPEN_NODES",
     SHARED_SPLIT.replace("330 close 290 linear disjunct 0 lambda 1\n", "")),
    ("invalid", "shared_root_repeated_disjunct", N2, "net2_c", "invalid step 1 DUPLICATE_ROOT", "1 root 0 0\n2 unsat"),
    ("invalid", "shared_root_after_root", N2, "net2_c", "invalid step 3 DUPLICATE_ROOT",
     "1 root 1\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0\n3 root 0 1\n4 unsat"),
    ("invalid", "shared_root_bad_disjunct", N2, "net2_c", "invalid step 1 BAD_INDEX", "1 root 0 2\n2 unsat"),
    ("invalid", "shared_root_boxes_differ", A, "abs_or", "invalid step 1 BOX_MISMATCH", "1 root 0 1\n2 unsat"),
    ("invalid", "already_split", A, "abs_one", "invalid step 5 ALREADY_SPLIT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 split 4 relu 1 0 6 7\n8 unsat"),
    ("invalid", "already_split_after_input_split", N2, "net2_b", "invalid step 8 ALREADY_SPLIT",
     "1 root 0\n2 split 1 relu 2 1 3 4\n5 split 3 input 0 0 6 7\n8 split 7 relu 2 1 9 10\n11 unsat"),
    ("invalid", "lambda_too_many", A, "abs_neg", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("invalid", "lambda_too_few", A, "abs_two", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "lambda_negative", A, "abs_two", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda 1 -1/1024\n3 unsat"),
    ("invalid", "lambda_negative_hex", A, "abs_neg", "invalid step 2 BAD_LAMBDA", "1 root 0\n2 close 1 linear lambda -0x1p-70\n3 unsat"),
    ("invalid", "bounds_layer_default_slopes", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace(" alpha 1 0 1/2 1 1 0x1p-1", "")),
    ("invalid", "bounds_layer_slope_moved", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("1 0 1/2 1 1 0x1p-1", "1 0 5/8 1 1 5/8")),
    ("invalid", "bounds_layer_crown_instead", LAY, "layer_a", "invalid step 3 NOT_POSITIVE",
     LAYER_PROOF.replace("layer 2 alpha 1 0 1/2 1 1 0x1p-1", "crown")),
    ("invalid", "bounds_layer_first_layer", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 1")),
    ("invalid", "bounds_layer_output_layer", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("layer 2", "layer 3")),
    ("invalid", "bounds_layer_alpha_bad_neuron", LAY, "layer_a", "invalid step 2 BAD_INDEX",
     LAYER_PROOF.replace("1 1 0x1p-1", "1 2 0x1p-1")),
    ("invalid", "bounds_layer_alpha_above_one", LAY, "layer_a", "invalid step 2 BAD_ALPHA",
     LAYER_PROOF.replace("1/2", "3/2")),
    ("invalid", "bounds_layer_duplicate_alpha", LAY, "layer_a", "invalid step 2 DUPLICATE_HINT",
     LAYER_PROOF.replace("1 1 0x1p-1", "1 0 0x1p-1")),
    ("invalid", "bounds_layer_unknown_node", LAY, "layer_a", "invalid step 2 UNKNOWN_NODE",
     LAYER_PROOF.replace("bounds 1", "bounds 3")),
    ("invalid", "alpha_above_one", N2, "net2_b", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 1.0000001\n3 unsat"),
    ("invalid", "alpha_negative", N2, "net2_b", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 -1/8 2 1 0\n3 unsat"),
    ("invalid", "alpha_above_one_stable", A, "abs_or", "invalid step 2 BAD_ALPHA", "1 root 0\n2 close 1 linear lambda 1 alpha 1 0 2\n3 unsat"),
    ("invalid", "beta_negative", A, "abs_one", "invalid step 6 BAD_BETA",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1 beta 1 0 -1\n7 unsat"),
    ("invalid", "beta_not_split_root", A, "abs_neg", "invalid step 2 BETA_NOT_SPLIT", "1 root 0\n2 close 1 linear lambda 1 beta 1 0 0\n3 unsat"),
    ("invalid", "beta_other_neuron", A, "abs_one", "invalid step 5 BETA_NOT_SPLIT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 1 1 1\n6 unsat"),
    ("invalid", "beta_sibling_split", A, "abs_one", "invalid step 9 BETA_NOT_SPLIT",
     "1 root 0\n2 split 1 input 0 0 3 4\n5 split 3 relu 1 0 6 7\n8 close 6 linear lambda 1\n"
     "9 close 4 linear lambda 1 beta 1 0 1\n10 unsat"),
    ("invalid", "duplicate_alpha", N2, "net2_b", "invalid step 2 DUPLICATE_HINT", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1 0 2 0 0\n3 unsat"),
    ("invalid", "duplicate_beta", A, "abs_one", "invalid step 6 DUPLICATE_HINT",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1 beta 1 0 1 1 0 1/2\n7 unsat"),
    ("invalid", "not_positive_zero_lambda", A, "abs_neg", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 0\n3 unsat"),
    ("invalid", "not_positive_root", N2, "net2_a", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_default_alpha", N2, "net2_b", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_one_alpha_missing", N2, "net2_b", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0\n3 unsat"),
    ("invalid", "not_positive_beta_missing", A, "abs_one", "invalid step 6 NOT_POSITIVE",
     BETA_PROOF.replace("lambda 1 beta 1 0 1", "lambda 1")),
    ("invalid", "not_positive_beta_too_big", A_EPS, "abs_zero", "invalid step 5 NOT_POSITIVE",
     BETA_PROOF.replace("beta 1 0 1\n6", "beta 1 0 0x1.0000000000001p0\n6")),
    ("invalid", "not_positive_split_without_bounds", N2, "net2_a", "invalid step 6 NOT_POSITIVE",
     "1 root 0\n2 bounds 1 crown\n3 split 1 input 0 0 4 5\n6 close 4 linear lambda 1\n7 unsat"),
    ("invalid", "not_positive_sat_property", A, "abs_sat", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "not_positive_strict_margin", A, "abs_high", "invalid step 2 NOT_POSITIVE", "1 root 0\n2 close 1 linear lambda 1 1\n3 unsat"),
    ("invalid", "z3_sat", A, "abs_sat", "invalid step 2 Z3_SAT", "1 root 0\n2 close 1 z3\n3 unsat"),
    ("invalid", "z3_sat_after_split", A, "abs_high", "invalid step 5 Z3_SAT",
     "1 root 0\n2 split 1 input 0 0 3 4\n5 close 3 z3\n6 close 4 z3\n7 unsat"),
    ("invalid", "witness_arity_long", A, "abs_sat", "invalid step 1 WITNESS_ARITY", "1 witness 0 0 0\n2 sat 1"),
    ("invalid", "witness_arity_short", N2, "net2_sat", "invalid step 1 WITNESS_ARITY", "1 witness 0 1\n2 sat 1"),
    ("invalid", "witness_outside", A, "abs_sat", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 2\n2 sat 1"),
    ("invalid", "witness_outside_second_input", N2, "net2_sat", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 1 1.0000000001\n2 sat 1"),
    ("invalid", "witness_outside_strict_exact", A, "abs_strict", "invalid step 1 WITNESS_OUTSIDE", "1 witness 0 -1/2\n2 sat 1"),
    ("invalid", "witness_outside_other_box", A, "abs_or", "invalid step 1 WITNESS_OUTSIDE", "1 witness 1 0.5\n2 sat 1"),
    ("invalid", "witness_safe", A, "abs_sat", "invalid step 1 WITNESS_SAFE", "1 witness 0 1\n2 sat 1"),
    ("invalid", "witness_safe_strict_exact", A, "abs_strict", "invalid step 1 WITNESS_SAFE", "1 witness 0 0.5\n2 sat 1"),
    ("invalid", "witness_safe_second_constraint", A, "abs_high", "invalid step 1 WITNESS_SAFE", "1 witness 0 0.9\n2 sat 1"),
    ("invalid", "witness_safe_unsat_property", A, "abs_neg", "invalid step 1 WITNESS_SAFE", "1 witness 0 0\n2 sat 1"),
    ("invalid", "unknown_witness", A, "abs_sat", "invalid step 1 UNKNOWN_WITNESS", "1 sat 7"),
    ("invalid", "unknown_witness_root", A, "abs_sat", "invalid step 2 UNKNOWN_WITNESS", "1 root 0\n2 sat 1"),
    ("invalid", "unknown_witness_forward", A, "abs_sat", "invalid step 1 UNKNOWN_WITNESS", "1 sat 2\n2 witness 0 0"),
    ("invalid", "missing_root", A, "abs_or", "invalid step 3 MISSING_ROOT", "1 root 0\n2 close 1 linear lambda 1\n3 unsat"),
    ("invalid", "missing_root_none", A, "abs_neg", "invalid step 1 MISSING_ROOT", "1 unsat"),
    ("invalid", "open_nodes_root", A, "abs_neg", "invalid step 2 OPEN_NODES", "1 root 0\n2 unsat"),
    ("invalid", "open_nodes_leaf", A, "abs_one", "invalid step 6 OPEN_NODES", "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 4 z3\n6 unsat"),
    ("invalid", "open_nodes_second_disjunct", A, "abs_or", "invalid step 4 OPEN_NODES", "1 root 0\n2 close 1 z3\n3 root 1\n4 unsat"),
    ("invalid", "after_verdict_unsat", A, "abs_neg", "invalid step 4 AFTER_VERDICT", ABS_CLOSE + "\n4 unsat"),
    ("invalid", "after_verdict_sat", A, "abs_sat", "invalid step 3 AFTER_VERDICT", "1 witness 0 0\n2 sat 1\n3 root 0"),
    ("invalid", "after_verdict_same_line", A, "abs_neg", "invalid step 3 AFTER_VERDICT", ABS_CLOSE + "\n3 unsat"),
    # ---------------------------------------------------------------- invalid without a step ----
    ("invalid", "no_verdict", A, "abs_neg", "invalid NO_VERDICT", "1 root 0\n2 close 1 linear lambda 1"),
    ("invalid", "no_verdict_no_steps", A, "abs_neg", "invalid NO_VERDICT", ""),
    ("invalid", "hash_network", A, "abs_neg", "invalid HASH_NETWORK", ABS_CLOSE,
     {"header": f"apothem-proof 1\nsemantics real\nnetwork sha256:{ZERO}\nproperty sha256:{{prop}}\n"}),
    ("invalid", "hash_network_of_other_model", A, "abs_neg", "invalid HASH_NETWORK", ABS_CLOSE, {"header_net": "abs_eps"}),
    ("invalid", "hash_property", A, "abs_neg", "invalid HASH_PROPERTY", ABS_CLOSE,
     {"header": f"apothem-proof 1\nsemantics real\nnetwork sha256:{{net}}\nproperty sha256:{ZERO}\n"}),
    ("invalid", "hash_property_of_other_property", A, "abs_neg", "invalid HASH_PROPERTY", ABS_CLOSE, {"header_prop": "abs_one"}),
    ("valid", "float32_abs_neg", A, "abs_neg", "valid unsat", ABS_CLOSE, F32),
    ("valid", "shift_real_unsat", "shift", "shift_ge", "valid unsat", ABS_CLOSE),
    ("invalid", "shift_float32_unsat", "shift", "shift_ge", "invalid step 2 NOT_POSITIVE", ABS_CLOSE, F32),
    ("invalid", "shift_float32_unsat_z3", "shift", "shift_ge", "invalid step 2 Z3_SAT", "1 root 0\n2 close 1 z3\n3 unsat", F32),
    ("valid", "shift_float32_witness", "shift", "shift_ge", "valid sat", "1 witness 0 0x1.8p0\n2 sat 1", F32),
    ("valid", "shift_real_witness", "shift", "shift_le", "valid sat", "1 witness 0 0x1.8p0\n2 sat 1"),
    ("invalid", "shift_float32_witness_safe", "shift", "shift_le", "invalid step 1 WITNESS_SAFE",
     "1 witness 0 0x1.8p0\n2 sat 1", F32),
    ("invalid", "shift_float32_witness_not_binary32", "shift", "shift_ge", "invalid step 1 WITNESS_NOT_FLOAT32",
     "1 witness 0 1.3\n2 sat 1", F32),
    ("invalid", "shift_float32_overflow", "shift", "shift_huge", "invalid step 1 FLOAT32_OVERFLOW", ABS_CLOSE, F32),
    ("valid", "shift_real_no_overflow", "shift", "shift_huge", "valid unsat", ABS_CLOSE),
    ("invalid", "header_version_2", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 2\nsemantics real\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("invalid", "header_missing_semantics", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 1\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("invalid", "header_order", A, "abs_neg", "invalid HEADER", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics real\nproperty sha256:{prop}\nnetwork sha256:{net}\n"}),
    ("invalid", "header_missing", A, "abs_neg", "invalid HEADER", ABS_CLOSE, {"header": ""}),
    ("invalid", "header_repeated_after_steps", A, "abs_neg", "invalid HEADER", "1 root 0\nsemantics real\n2 close 1 z3\n3 unsat"),
    ("invalid", "header_only_comments", A, "abs_neg", "invalid HEADER", "", {"header": "# nothing here\n"}),
    # ---------------------------------------------------------------- parse errors ---------------
    ("parse_error", "unknown_rule", A, "abs_neg", "invalid PARSE", "1 root 0\n2 trust 1\n3 unsat"),
    ("parse_error", "decimal_exponent", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1e-3\n3 unsat"),
    ("parse_error", "inf", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda inf\n3 unsat"),
    ("parse_error", "nan_witness", A, "abs_sat", "invalid PARSE", "1 witness 0 nan\n2 sat 1"),
    ("parse_error", "float_without_leading_digit", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda .5\n3 unsat"),
    ("parse_error", "hex_without_exponent", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 0x1.8\n3 unsat"),
    ("parse_error", "negative_id", A, "abs_neg", "invalid PARSE", "-1 root 0\n2 unsat"),
    ("parse_error", "fractional_id", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1.0 z3\n3 unsat"),
    ("parse_error", "hex_index", A, "abs_neg", "invalid PARSE", "1 root 0x0p0\n2 unsat"),
    ("parse_error", "fraction_index", N2, "net2_b", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 1/1 0\n3 unsat"),
    ("parse_error", "division_by_zero", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1/0\n3 unsat"),
    ("parse_error", "missing_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear\n3 unsat"),
    ("parse_error", "empty_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda\n3 unsat"),
    ("parse_error", "bounds_layer_without_index", LAY, "layer_a", "invalid PARSE",
     "1 root 0\n2 bounds 1 layer\n3 close 1 linear lambda 1\n4 unsat"),
    ("parse_error", "bounds_layer_beta", LAY, "layer_a", "invalid PARSE", LAYER_PROOF.replace("alpha", "beta")),
    ("parse_error", "alpha_pair", N2, "net2_b", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 alpha 2 0\n3 unsat"),
    ("parse_error", "beta_before_alpha", A, "abs_one", "invalid PARSE",
     "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1 beta 1 0 1 alpha 1 1 1\n6 unsat"),
    ("parse_error", "root_without_disjunct", A, "abs_neg", "invalid PARSE", "1 root\n2 unsat"),
    ("parse_error", "disjunct_after_lambda", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 linear lambda 1 disjunct 0\n3 unsat"),
    ("parse_error", "disjunct_without_index", A, "abs_neg", "invalid PARSE", "1 root 0\n2 close 1 z3 disjunct\n3 unsat"),
    ("parse_error", "disjunct_twice", N2, "net2_c", "invalid PARSE", "1 root 0 1\n2 close 1 z3 disjunct 0 1\n3 unsat"),
    ("parse_error", "bounds_unknown_method", A, "abs_neg", "invalid PARSE", "1 root 0\n2 bounds 1 lp\n3 unsat"),
    ("parse_error", "hole_unquoted", A, "abs_neg", "invalid PARSE", "1 root 0\n2 hole 1 reason\n3 unsat"),
    ("parse_error", "hole_unterminated", A, "abs_neg", "invalid PARSE", '1 root 0\n2 hole 1 "reason\n3 unsat'),
    ("parse_error", "split_missing_child", A, "abs_neg", "invalid PARSE", "1 root 0\n2 split 1 input 0 0 3\n4 unsat"),
    ("parse_error", "step_without_id", A, "abs_neg", "invalid PARSE", "root 0\n2 unsat"),
    ("parse_error", "two_steps_one_line", A, "abs_neg", "invalid PARSE", "1 root 0 2 close 1 z3\n3 unsat"),
    ("parse_error", "uppercase_hash", A, "abs_neg", "invalid PARSE", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics real\nnetwork sha256:{NET}\nproperty sha256:{prop}\n"}),
    ("parse_error", "semantics_unknown", A, "abs_neg", "invalid PARSE", ABS_CLOSE,
     {"header": "apothem-proof 1\nsemantics float64\nnetwork sha256:{net}\nproperty sha256:{prop}\n"}),
    ("parse_error", "not_utf8", A, "abs_neg", "invalid PARSE", None,
     {"raw": HEADER + "1 root 0\n2 hole 1 \"caf\xe9\"\n3 unsat\n"}),
    ("parse_error", "nul_byte", A, "abs_neg", "invalid PARSE", None, {"raw": HEADER + "1 root 0\x00\n2 unsat\n"}),
    ("parse_error", "truncated_mid_line", N2, "net2_b", "invalid PARSE", None,
     {"raw": HEADER + "1 root 0\n2 close 1 linear lambda 1 alpha 2 0 0 2 1"}),
    ("parse_error", "number_too_long", A, "abs_neg", "invalid LIMIT", "1 root 0\n2 close 1 linear lambda 1" + "0" * 10_001 + "\n3 unsat"),
    ("parse_error", "hex_exponent_huge", A, "abs_neg", "invalid LIMIT", "1 root 0\n2 close 1 linear lambda 0x1p-99999999\n3 unsat"),
]


def render(case, models_dir: Path) -> bytes:
    folder, name, model, prop, expect, body, *rest = case
    opts = rest[0] if rest else {}
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
    net_h = sha(models_dir / f"{opts.get('header_net', model)}.onnx")
    prop_h = sha(models_dir / f"{opts.get('header_prop', prop)}.vnnlib")
    lines = [f"# model: models/{model}.onnx", f"# property: models/{prop}.vnnlib", f"# expect: {expect}"]
    if "xfail" in opts:
        lines.append(f"# xfail: {opts['xfail']}")
    top = "".join(line + "\n" for line in lines)
    fmt = dict(net=net_h, prop=prop_h, NET=net_h.upper())
    if "raw" in opts:
        raw = opts["raw"].format(**fmt)
        return top.encode() + raw.encode("latin-1")  # latin-1: the not_utf8 case needs a lone 0xE9 byte
    head = opts.get("header", HEADER).format(**fmt)
    text = head + (body + "\n" if body else "")
    return (top + text).encode()


def write_all(golden: Path = GOLDEN) -> list[Path]:
    out = []
    for case in CASES:
        path = golden / case[0] / f"{case[1]}.apf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(case, golden / "models"))
        out.append(path)
    return out


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN):
        print(p)
