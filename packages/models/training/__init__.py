"""Training and export of the @pcee/models zoo (run as `python3 -m training.train` / `training.export`)."""
import os

# Debian's OpenBLAS (libopenblas0-pthread) spins its own thread pool next to PyTorch's OpenMP pool;
# with both at 2 threads on 2 cores a training step ran 2.5x slower (measured: 327 vs 132 ms for
# fmnist-vit-large). One BLAS thread avoids the contention. Set before torch is first imported.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
