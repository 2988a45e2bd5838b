"""PyTorch side of bench/OptimBench: one optimizer step of a 1M-element parameter, single thread.

Prints the median over repeats of the mean time per step, in microseconds, for foreach=False (the
per-parameter loop, like handgrad's) and foreach=True (multi-tensor kernels).
Usage: /usr/bin/python3 scripts/bench/optim_torch.py
"""
import statistics
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch

torch.set_num_threads(1)
N = 1 << 20
RULES = {
    "sgd": lambda p, fe: torch.optim.SGD(p, lr=1e-2, foreach=fe),
    "sgd_momentum": lambda p, fe: torch.optim.SGD(p, lr=1e-2, momentum=0.9, foreach=fe),
    "rmsprop": lambda p, fe: torch.optim.RMSprop(p, lr=1e-2, alpha=0.99, eps=1e-8, foreach=fe),
    "adam": lambda p, fe: torch.optim.Adam(p, lr=1e-3, foreach=fe),
    "adamw": lambda p, fe: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2, foreach=fe),
}
for dtype in (torch.float32, torch.float64):
    for name, make in RULES.items():
        row = []
        for foreach in (False, True):
            w = torch.sin(torch.arange(N, dtype=dtype)).requires_grad_()
            w.grad = torch.cos(torch.arange(N, dtype=dtype)) * 1e-3
            opt = make([w], foreach)
            for _ in range(20):
                opt.step()
            samples = []
            for _ in range(7):
                t0 = time.perf_counter()
                for _ in range(50):
                    opt.step()
                samples.append((time.perf_counter() - t0) / 50 * 1e6)
            row.append(statistics.median(samples))
        print(f"{name:13s} {str(dtype)[6:]:8s} foreach=False {row[0]:8.0f} us   foreach=True {row[1]:8.0f} us")
