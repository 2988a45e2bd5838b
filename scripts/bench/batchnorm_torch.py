"""PyTorch side of BatchNormBenchmark.main: nn.BatchNorm2d(32) forward+backward on x (64, 32, S, S),
S = 28 and 32, float32 and float64, timed exactly as /work/shared/bench/torch_layers.py does
(2 threads, 3 warm-up calls, median of 20, backward with ones). Run in the same sitting as
  java -cp bench/target/benchmarks.jar org.handgrad.bench.BatchNormBenchmark
with Debian's python3-torch:  /usr/bin/python3 scripts/bench/batchnorm_torch.py
"""
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch
import torch.nn as nn

torch.set_num_threads(2)
torch.manual_seed(0)


def bench(name, fn, reps=20):
    for _ in range(3):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    print(f"{name}: median {ts[len(ts)//2]*1e3:.2f} ms (min {ts[0]*1e3:.2f})", flush=True)


for dtype, tag in ((torch.float32, "float32"), (torch.float64, "float64")):
    for s in (28, 32):
        bn = nn.BatchNorm2d(32).to(dtype)
        x = torch.randn(64, 32, s, s, dtype=dtype, requires_grad=True)

        def f(bn=bn, x=x):
            out = bn(x)
            out.backward(torch.ones_like(out))

        bench(f"spatial batchnorm, x(64,32,{s},{s}) fwd+bwd {tag}", f)
