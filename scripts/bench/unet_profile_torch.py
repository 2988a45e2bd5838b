"""Where PyTorch's reference U-Net training step goes, by operator: the twin of
`./handgrad bench unet --profile`.

The U-Net, the loss and the step are those of shared/bench/torch_generative.py (DDPM epsilon loss,
batch 64, Adam lr 2e-4, 10% null labels), on Fashion-MNIST, 2 threads, freed memory kept
(keep_memory.py). After --warmup steps, --runs steps run under torch.profiler and the table lists
the operators by their own CPU time (the time inside an operator minus the operators it calls),
forward and backward together, per step, with the wall time of a step. Groups that
`bench unet --profile` shows as one row (its "Conv2d" is PyTorch's convolution forward and
backward, with the reorders oneDNN runs around them) are summed under --group.

  /usr/bin/python3 scripts/bench/unet_profile_torch.py [--runs 5] [--rows 25] [--group]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("HANDGRAD_SHARED_BENCH",
                        os.path.join(HERE, "..", "..", "..", "shared", "bench"))
sys.path.insert(0, os.path.abspath(SHARED))
from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch_generative as ref  # noqa: E402  (the reference U-Net, idx reader, OpenBLAS setup)

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

# Operator name fragments -> the rows of `bench unet --profile` they belong to (first match wins).
GROUPS = [
    ('Conv2d', ('convolution', 'conv2d', 'mkldnn', 'reorder', 'to_dense', 'to_mkldnn')),
    ('GroupNorm', ('group_norm',)),
    ('SiLU', ('silu',)),
    ('attention', ('bmm', 'softmax', 'baddbmm', 'scaled_dot', 'multi_head')),
    ('Linear', ('addmm', 'aten::linear', 'aten::mm')),
    ('concat/interpolate', ('cat', 'upsample', 'interpolate')),
    ('Adam', ('adam', '_foreach', 'addcdiv', 'addcmul', 'lerp', 'sqrt')),
]


def group_of(name):
    low = name.lower()
    for g, keys in GROUPS:
        if any(k in low for k in keys):
            return g
    return 'other'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--rows', type=int, default=25)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--group', action='store_true',
                    help='sum the operators into the rows of bench unet --profile')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    X = torch.tensor(ref.idx('train-images-idx3-ubyte.gz'),
                     dtype=torch.float32).unsqueeze(1) / 127.5 - 1
    Y = torch.tensor(ref.idx('train-labels-idx1-ubyte.gz'), dtype=torch.long)
    net = ref.UNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    bs = 64

    def step():
        b = torch.randint(0, len(X), (bs,))
        loss = ref.ddpm_loss(net, X[b], Y[b])
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(a.runs):
            step()
        wall = (time.perf_counter() - t0) / a.runs
    rows = {}
    for e in prof.key_averages():
        name = group_of(e.key) if a.group else e.key
        calls, self_us = rows.get(name, (0, 0.0))
        rows[name] = (calls + e.count, self_us + e.self_cpu_time_total)
    total = sum(us for _, us in rows.values())
    print(f"pytorch {torch.__version__}, {a.threads} threads: U-Net DDPM training step, batch {bs},"
          f" Adam; {a.runs} runs, {wall * 1e3:.1f} ms per step (wall, under the profiler)")
    print(f"{'operator' if not a.group else 'group':<44} {'calls':>7} {'self ms':>9} {'share':>7}")
    for name, (calls, us) in sorted(rows.items(), key=lambda kv: -kv[1][1])[:a.rows]:
        print(f"{name[:44]:<44} {calls // a.runs:>7} {us / 1e3 / a.runs:>9.1f}"
              f" {100 * us / total:>6.1f}%")
    print(f"{'(all operators, self CPU time)':<44} {'':>7} {total / 1e3 / a.runs:>9.1f}")


if __name__ == '__main__':
    main()
