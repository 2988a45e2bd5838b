"""PyTorch twin of `./handgrad bench act`: float32 forward + backward of GELU (exact and tanh),
sigmoid, SiLU, softmax along the last axis and LayerNorm, at (64*17, 256) and (64*4*17, 17).

Calls the ATen forward and backward kernels directly (no autograd graph), as our functional pairs
do, with 2 threads, and prints the median and the fastest of --runs timed calls after a warm-up, in microseconds.
Run: /usr/bin/python3 scripts/bench/act_torch.py
"""
import argparse
import platform
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch
import torch.nn.functional as F


def median_us(fn, runs, warmup_s=0.3):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup_s:
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1e6, times[0] * 1e6


def cases(r, d):
    g = torch.Generator().manual_seed(17)
    x = torch.randn(r, d, generator=g)
    scores = torch.randn(r, d, generator=g) * 3
    dout = torch.randn(r, d, generator=g)
    gamma = torch.randn(d, generator=g)
    beta = torch.randn(d, generator=g)

    def gelu():
        y = F.gelu(x)
        return y, torch.ops.aten.gelu_backward(dout, x)

    def gelu_tanh():
        y = F.gelu(x, approximate="tanh")
        return y, torch.ops.aten.gelu_backward(dout, x, approximate="tanh")

    def sigmoid():
        y = torch.sigmoid(x)
        return y, torch.ops.aten.sigmoid_backward(dout, y)

    def silu():
        y = F.silu(x)
        return y, torch.ops.aten.silu_backward(dout, x)

    def softmax():
        y = torch.softmax(scores, -1)
        return y, torch._softmax_backward_data(dout, y, -1, torch.float32)

    def layernorm():
        y, mean, rstd = torch.native_layer_norm(x, [d], gamma, beta, 1e-5)
        return y, torch.ops.aten.native_layer_norm_backward(
            dout, x, [d], mean, rstd, gamma, beta, [True, True, True])

    return [("gelu", gelu), ("gelu_tanh", gelu_tanh), ("sigmoid", sigmoid), ("silu", silu),
            ("softmax (last axis)", softmax), ("layernorm", layernorm)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=51)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__} | {torch.get_num_threads()} threads | "
          f"{platform.processor() or platform.machine()} | median of {args.runs} runs")
    print(f"{'op':<22}{'shape':>12}{'median us':>12}{'min us':>12}{'ns/element':>12}")
    with torch.no_grad():
        for r, d in [(64 * 17, 256), (64 * 4 * 17, 17)]:
            for name, fn in cases(r, d):
                us, best = median_us(fn, args.runs)
                print(f"{name:<22}{f'({r}, {d})':>12}{us:>12.1f}{best:>12.1f}"
                      f"{us * 1e3 / (r * d):>12.2f}")


if __name__ == "__main__":
    main()
