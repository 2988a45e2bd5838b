#!/usr/bin/python3
"""NumPy (OpenBLAS) GEMM throughput on the shapes of `./handgrad bench gemm`, for side-by-side runs.

Usage: /usr/bin/python3 scripts/bench_gemm_numpy.py [--threads 2] [--runs 7] [--sizes 256,512,...]

Uses Debian's python3-numpy with libopenblas0-pthread. The BLAS thread count must be fixed before
NumPy loads, so this script sets OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) itself from --threads.
Prints GFLOP/s = 2*m*n*k / median time of --runs timed calls after warm-up, float32 and float64.
Transposed operands are passed as transposed views (a.T), which OpenBLAS handles without a copy,
the same storage layouts as handgrad's transA / transB.
"""
import argparse
import os
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    p.add_argument("--runs", type=int, default=7, help="timed runs per case, median reported")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs (at least 0.3 s worth)")
    p.add_argument("--sizes", default="256,512,1024,2048", help="square sizes, comma-separated")
    p.add_argument("--no-conv", action="store_true", help="skip the conv-layer im2col shapes")
    p.add_argument(
        "--cpu-time",
        action="store_true",
        help="time process CPU time instead of wall time (with --threads 1: the kernel's speed per"
        " core, unaffected by waiting for a core on a busy machine; pairs with handgrad's"
        " bench gemm --threads 1 --cpu-time)",
    )
    return p.parse_args()


args = parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402


def cases():
    out = []
    for s in (int(x) for x in args.sizes.split(",") if x):
        out.append(("square %d" % s, s, s, s, False, False))
    if not args.no_conv:
        for name, f, ckk, nhw in [
            ("conv 3x31x31 F25 3x3 s2", 25, 3 * 3 * 3, 100 * 16 * 16),
            ("conv 1x28x28 F32 7x7", 32, 1 * 7 * 7, 64 * 28 * 28),
            ("conv 3x32x32 F32 7x7", 32, 3 * 7 * 7, 64 * 32 * 32),
        ]:
            out.append((name + " fwd", f, nhw, ckk, False, False))
            out.append((name + " dW", f, ckk, nhw, False, True))
            out.append((name + " dcols", ckk, nhw, f, True, False))
    return out


def median_seconds(fn):
    clock = time.process_time if args.cpu_time else time.perf_counter
    start = time.perf_counter()
    i = 0
    while i < args.warmup or time.perf_counter() - start < 0.3:
        fn()
        i += 1
    ts = []
    for _ in range(args.runs):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return float(np.median(ts))


def time_case(m, n, k, ta, tb, dtype):
    rng = np.random.default_rng(42)
    # Stored layouts as in handgrad: A (m, k) or (k, m) if transposed; B (k, n) or (n, k).
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    opa = a.T if ta else a
    opb = b.T if tb else b
    c = np.empty((m, n), dtype=dtype)
    return median_seconds(lambda: np.matmul(opa, opb, out=c))


def main():
    print(
        "numpy %s (BLAS: OpenBLAS, OPENBLAS_NUM_THREADS=%d) | Python %s"
        % (np.__version__, args.threads, sys.version.split()[0])
    )
    print(
        "median %s of %d timed runs after >= %d warm-up runs\n"
        % ("process CPU time" if args.cpu_time else "wall time", args.runs, args.warmup)
    )
    header = ["case", "m", "n", "k", "op", "f32 GFLOP/s", "f32 ms", "f64 GFLOP/s", "f64 ms"]
    rows = []
    for name, m, n, k, ta, tb in cases():
        row = [name, str(m), str(n), str(k), ("T" if ta else "N") + ("T" if tb else "N")]
        for dtype in (np.float32, np.float64):
            t = time_case(m, n, k, ta, tb, dtype)
            row += ["%.1f" % (2.0 * m * n * k / t * 1e-9), "%.2f" % (t * 1e3)]
        rows.append(row)
    widths = [max(len(r[j]) for r in rows + [header]) for j in range(len(header))]

    def fmt(r):
        cells = [r[0].ljust(widths[0])] + [r[j].rjust(widths[j]) for j in range(1, len(r))]
        return "  ".join(cells).rstrip()

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))


if __name__ == "__main__":
    main()
