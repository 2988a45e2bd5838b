"""PyTorch twin of `./handgrad bench train`: training throughput (images/s) of the CS231n models
on Fashion-MNIST, batch 64, Adam lr 1e-3, 2 threads, measured the same way:

  * each step draws the next minibatch of a fresh random permutation per epoch (as the Solver),
    then forward, cross-entropy, zero_grad, backward, Adam step;
  * untimed warm-up for --warmup seconds, then --windows windows of `iters` consecutive steps,
    `iters` sized so a window lasts about --window seconds; the median window is reported.

The models are those of /work/shared/bench/torch_anchor.py (softmax, two_layer, three_layer_cnn)
plus "bn-cnn", the twin of org.handgrad.models.cnn.BnConvNet's default design, and "speedrun", the
network of speedrun_torch.py at the recipe's widths 24, 48, 96 (plain cross-entropy here, as the
handgrad side of `bench train`). Lines starting with
"RESULT <model> <img/s>" are read by `bench train --torch`.

  /usr/bin/python3 scripts/bench/train_torch.py [--models softmax,two-layer,cnn,bn-cnn]
"""
import argparse
import gzip
import os
import statistics
import struct
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from speedrun_torch import speedrun_net

DATA = '/usr/share/datasets/fashion-mnist/'


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        magic, = struct.unpack('>i', f.read(4))
        nd = magic & 0xff
        shape = struct.unpack('>' + 'i' * nd, f.read(4 * nd))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def bn_cnn():
    def block(c, f):
        return [nn.Conv2d(c, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.ReLU()]
    return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2),
                         *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(128, 10))


MODELS = {
    'softmax': lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),
    'two-layer': lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(),
                                       nn.Linear(100, 10)),
    'cnn': lambda: nn.Sequential(nn.Conv2d(1, 32, 7, padding=3), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Flatten(), nn.Linear(32 * 14 * 14, 100), nn.ReLU(),
                                 nn.Linear(100, 10)),
    'bn-cnn': bn_cnn,
    'speedrun': lambda: speedrun_net((24, 48, 96)),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default='softmax,two-layer,cnn,bn-cnn')
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--windows', type=int, default=7)
    ap.add_argument('--window', type=float, default=1.5)
    ap.add_argument('--warmup', type=float, default=3.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--profile', action='store_true',
                    help='after timing, run --windows more steps under torch.profiler and print'
                         ' the operators by self CPU time (the twin of bench train --profile)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x = torch.tensor(idx('train-images-idx3-ubyte.gz'), dtype=torch.float32).unsqueeze(1) / 255.
    y = torch.tensor(idx('train-labels-idx1-ubyte.gz'), dtype=torch.long)
    x -= x.mean(0, keepdim=True)
    n, bs = len(x), a.batch_size
    print(f'pytorch {torch.__version__}, {torch.get_num_threads()} threads, batch {bs}, '
          f'adam lr 1e-3, float32, fashion-mnist', flush=True)
    for name in a.models.split(','):
        torch.manual_seed(0)
        net = MODELS[name]()
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        state = {'perm': torch.randperm(n), 'at': 0}

        def step():
            if state['at'] + bs > n:
                state['perm'], state['at'] = torch.randperm(n), 0
            b = state['perm'][state['at']:state['at'] + bs]
            state['at'] += bs
            loss = F.cross_entropy(net(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()

        t0 = time.perf_counter()
        steps = 0
        while time.perf_counter() - t0 < a.warmup or steps < 5:
            step()
            steps += 1
        per_step = (time.perf_counter() - t0) / steps
        iters = max(3, round(a.window / per_step))
        rates = []
        for _ in range(a.windows):
            t = time.perf_counter()
            for _ in range(iters):
                step()
            rates.append(iters * bs / (time.perf_counter() - t))
        med = statistics.median(rates)
        print(f'{name:10s} {med:10.0f} img/s  [{min(rates):.0f} .. {max(rates):.0f}]  '
              f'{1e3 * bs / med:.2f} ms/step  {a.windows} x {iters}', flush=True)
        print(f'RESULT {name} {med:.1f}', flush=True)
        if a.profile:
            print_profile(name, step, a.windows, bs)


def print_profile(name, step, runs, bs, rows=20):
    """The operators of `runs` steps by self CPU time, per step, with the wall time of a step."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(runs):
            step()
        wall = (time.perf_counter() - t0) / runs
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events)
    print(f'profile: {name} training step, batch {bs}, Adam, {runs} runs, '
          f'{wall * 1e3:.1f} ms per step (wall, under the profiler)')
    print(f"{'operator':<40} {'calls':>6} {'self ms':>8} {'share':>7}")
    for e in events[:rows]:
        print(f'{e.key[:40]:<40} {e.count // runs:>6} {e.self_cpu_time_total / 1e3 / runs:>8.2f}'
              f' {100 * e.self_cpu_time_total / total:>6.1f}%')


if __name__ == '__main__':
    main()
