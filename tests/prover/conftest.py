"""One BLAS thread for the prover tests, set before numpy is first imported: the prover's CLI
does the same, and on a shared 2-core machine threaded BLAS made single tests 4x slower."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
