"""Apothem prover: decides VNN-LIB queries on ReLU networks and writes checkable proofs."""
import os

# One BLAS thread per process. The prover's matrices are small (batches of 50- to 256-wide
# layers), and OpenBLAS's extra threads spin for a core the other workers, the forked replay
# processes or the checker need: on a busy 2-core machine ACAS Xu 1_1 prop_2 processed 545
# search nodes in 30 s with the default threads and 5,281 with one. Set before numpy loads;
# an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
