"""PyTorch twin of `./handgrad speedrun`: the same network and recipe, trained for a given wall
time on 2 threads, then its test accuracy.

The recipe (SpeedrunCommand.RECIPE; docs/speedrun.md):
  * data: Fashion-MNIST IDX files, pixels / 255, per-channel mean/std fitted on the training
    images; the last --num-val (2000) training images are held out as in `train`, the first
    58000 train;
  * network: SpeedrunNet, widths 24,48,96: conv3x3-bn-relu stem, then per width a group
    conv3x3, maxpool 2x2, bn, relu, conv3x3, bn, relu; global average pool; linear. Convs
    without bias, He-normal weights (fan_in), BatchNorm gamma 1 beta 0;
  * augmentation per batch: zero padding 2 (zero in the normalized space) and a random 28x28
    crop, horizontal flip with probability 1/2;
  * loss: cross-entropy with label smoothing 0.1;
  * optimizer: Adam (1e-3 defaults but lr), batch 128, OneCycleLR(max_lr 4e-3, pct_start 0.3,
    div_factor 25, final_div_factor 1e4, cos) over --epochs * (58000 // 128) steps, minibatches
    from a fresh permutation each epoch, the last partial batch skipped (as the Solver);
  * EMA of the weights and of the BatchNorm running statistics, decay min(0.999, (1+t)/(10+t))
    with the first update copying (optim.Ema), evaluated on the test set at the end.

Training stops at the end of the planned epochs or when --seconds of wall time (from the start of
the script, data loading included) have passed, whichever comes first; the schedule is the one
planned for --epochs either way. Prints "RESULT test_acc <acc> seconds <s> epochs <e>".

  /usr/bin/python3 scripts/bench/speedrun_torch.py --seconds 600 --epochs 6 --seed 0
"""
import argparse
import gzip
import math
import os
import struct
import time

T0 = time.perf_counter()

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np  # noqa: E402  (imports count towards the wall time, as the JVM start does)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_idx(folder, name):
    with gzip.open(os.path.join(folder, name)) as f:
        magic, = struct.unpack('>i', f.read(4))
        dims = struct.unpack('>' + 'i' * (magic & 0xff), f.read(4 * (magic & 0xff)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def speedrun_net(widths, classes=10):
    layers = [nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]),
              nn.ReLU()]
    c = widths[0]
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(w),
                   nn.ReLU(), nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
                   nn.ReLU()]
        c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
    return net


def augment(x, pad, gen):
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])  # (N, H)
    cols = (dx[:, None] + torch.arange(w)[None, :])  # (N, W)
    idx_n = torch.arange(n)[:, None, None]
    out = padded[idx_n, 0, rows[:, :, None], cols[:, None, :]].unsqueeze(1)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float, default=600)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--widths', default='24,48,96')
    ap.add_argument('--lr', type=float, default=4e-3)
    ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--label-smoothing', type=float, default=0.1)
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--num-val', type=int, default=2000)
    ap.add_argument('--num-train', type=int, default=None)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed + 1)

    x = read_idx(a.data_dir, 'train-images-idx3-ubyte.gz').astype(np.float32) / 255
    y = read_idx(a.data_dir, 'train-labels-idx1-ubyte.gz').astype(np.int64)
    xt = read_idx(a.data_dir, 't10k-images-idx3-ubyte.gz').astype(np.float32) / 255
    yt = read_idx(a.data_dir, 't10k-labels-idx1-ubyte.gz').astype(np.int64)
    n_train = len(x) - a.num_val if a.num_train is None else a.num_train
    x, y = x[:n_train], y[:n_train]
    mean, std = x.mean(), x.std()
    x = torch.from_numpy((x - mean) / std).unsqueeze(1)
    xt = torch.from_numpy((xt - mean) / std).unsqueeze(1)
    y, yt = torch.from_numpy(y), torch.from_numpy(yt)

    net = speedrun_net([int(w) for w in a.widths.split(',')])
    ema = [t.detach().clone() for t in list(net.parameters()) + list(net.buffers())
           if t.dtype.is_floating_point]
    live = [t for t in list(net.parameters()) + list(net.buffers()) if t.dtype.is_floating_point]
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    per_epoch = max(n_train // a.batch_size, 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=a.lr, total_steps=a.epochs * per_epoch, pct_start=0.3, div_factor=25,
        final_div_factor=1e4, anneal_strategy='cos', cycle_momentum=False)
    updates = 1  # the EMA starts at the initial weights' first update below
    first = True
    epochs_done = 0
    out_of_time = False
    for epoch in range(a.epochs):
        perm = torch.randperm(n_train, generator=gen)
        net.train()
        for i in range(per_epoch):
            b = perm[i * a.batch_size:(i + 1) * a.batch_size]
            xb = augment(x[b], 2, gen)
            loss = F.cross_entropy(net(xb), y[b], label_smoothing=a.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                if first:
                    for e, t in zip(ema, live):
                        e.copy_(t)
                    first = False
                else:
                    d = min(a.ema, (1 + updates) / (10 + updates))
                    for e, t in zip(ema, live):
                        e.mul_(d).add_(t, alpha=1 - d)
                    updates += 1
            if time.perf_counter() - T0 > a.seconds:
                out_of_time = True
                break
        epochs_done = epoch + (0 if out_of_time else 1)
        if out_of_time:
            break

    with torch.no_grad():
        for e, t in zip(ema, live):
            t.copy_(e)
        net.eval()
        correct = 0
        for i in range(0, len(xt), 1000):
            correct += (net(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
    acc = correct / len(xt)
    seconds = time.perf_counter() - T0
    print(f"RESULT test_acc {acc:.4f} seconds {seconds:.1f} epochs {epochs_done}"
          f"{' (stopped by --seconds)' if out_of_time else ''}")


if __name__ == '__main__':
    main()
