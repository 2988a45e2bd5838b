"""PyTorch twin of section (c) of `./handgrad bench conv`: forward and backward of the 3x3 pad-1
convolutions of the U-Net (C = F = 32 at 28x28, 64 at 14x14 and 7x7) and of the speedrun net (48 at
14x14), float32, batch 64, 2 threads; median wall time of 20 runs after 3 warm-up runs.

    /usr/bin/python3 scripts/bench/conv_torch.py [--batch 64] [--reps 20]

The backward is timed alone, as handgrad times Conv.convBackward: the forward runs outside the
timer and its graph is kept (retain_graph) so that each timed call computes dx, dw and db again.
"""
import argparse
import os

# Debian's OpenBLAS does not recognise the AVX-512 Xeons; PyTorch's convolutions use oneDNN, but
# set the core anyway so the other ops run the right kernels.
if 'OPENBLAS_CORETYPE' not in os.environ and ' avx512f ' in open('/proc/cpuinfo').read():
    os.environ['OPENBLAS_CORETYPE'] = 'SKYLAKEX'

import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch
import torch.nn.functional as F

SHAPES = [(32, 32, 28), (64, 64, 14), (64, 64, 7), (48, 48, 14)]  # BenchConvCommand.SAME_3X3


def median_ms(fn, reps):
    for _ in range(3):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2] * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--reps', type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"batch {a.batch}, median of {a.reps}")
    for c, f, hw in SHAPES:
        x = torch.randn(a.batch, c, hw, hw, requires_grad=True)
        w = torch.randn(f, c, 3, 3, requires_grad=True)
        b = torch.randn(f, requires_grad=True)
        dout = torch.randn(a.batch, f, hw, hw)

        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=1)

        out = F.conv2d(x, w, b, padding=1)

        def bwd():
            x.grad = w.grad = b.grad = None
            out.backward(dout, retain_graph=True)

        tf, tb = median_ms(fwd, a.reps), median_ms(bwd, a.reps)
        shape = f"x({a.batch},{c},{hw},{hw}) w({f},{c},3,3)"
        for name, t in (("forward", tf), ("backward", tb), ("fwd+bwd", tf + tb)):
            print(f"  {shape + ' ' + name:<46} {t:9.2f} ms")


if __name__ == '__main__':
    main()
