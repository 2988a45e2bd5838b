"""PyTorch twin of `./handgrad ssl train --bench STEPS`: the same SimCLR configuration (CIFAR-stem
ResNet encoder of BasicBlocks, one block per stage, projection head Linear-BatchNorm1d-ReLU-Linear,
NT-Xent at temperature 0.5, Adam lr 1e-3) on the same augmentation (torchvision's
RandomResizedCrop(28, scale=(0.08, 1)), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with
p = 0.8, RandomGrayscale(0.2), applied per image on tensors) and prints the median training
throughput in images per second (each image is two views), timing augmentation, forward, backward
and the optimizer step, after 2 warm-up steps.

  /usr/bin/python3 scripts/bench/simclr_torch.py [--batch-size 256] [--steps 10] [--widths 16,32,64]

Data: the first images of Fashion-MNIST's training set from --data-dir (IDX .gz files), or, with
--random, uniform noise of the same shape (throughput does not depend on the pixels).
"""
import argparse
import gzip
import os
import statistics
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNetEncoder(nn.Module):
    """CIFAR-style ResNet: 3x3 stem, one BasicBlock per stage (stride 2 from the second), average
    pool; as org.handgrad.models.ssl.simclr.ResNetEncoder."""

    def __init__(self, channels, widths):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        blocks, cin = [], widths[0]
        for s, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, 2 if s > 0 else 1))
            cin = w
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return F.adaptive_avg_pool2d(h, 1).flatten(1)


class SimClr(nn.Module):
    def __init__(self, channels, widths, proj):
        super().__init__()
        self.encoder = ResNetEncoder(channels, widths)
        f = widths[-1]
        self.head = nn.Sequential(nn.Linear(f, f), nn.BatchNorm1d(f), nn.ReLU(), nn.Linear(f, proj))

    def forward(self, x):
        return self.head(self.encoder(x))


def nt_xent(z, tau):
    n2 = z.shape[0]
    n = n2 // 2
    u = F.normalize(z, dim=1)
    s = (u @ u.t() / tau).masked_fill(torch.eye(n2, dtype=torch.bool), float("-inf"))
    positives = torch.cat([torch.arange(n, n2), torch.arange(0, n)])
    return F.cross_entropy(s, positives)


def load_images(data_dir, n):
    path = os.path.join(data_dir, "train-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw[: n * 784].reshape(n, 1, 28, 28).astype(np.float32) / 255.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--widths", default="16,32,64")
    ap.add_argument("--projection-dim", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.5)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--random", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="intra-op threads (default: all cores, as handgrad's Parallel)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    widths = [int(w) for w in args.widths.split(",")]
    b = args.batch_size
    x = torch.rand(b, 1, 28, 28) if args.random else load_images(args.data_dir, b)
    augment = T.Compose([
        T.RandomResizedCrop(28, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(0.2),
    ])
    model = SimClr(1, widths, args.projection_dim)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    rates = []
    for s in range(-2, args.steps):
        t0 = time.perf_counter()
        views = torch.cat([torch.stack([augment(img) for img in x]) for _ in range(2)])
        opt.zero_grad(set_to_none=True)
        loss = nt_xent(model(views), args.temperature)
        loss.backward()
        opt.step()
        sec = time.perf_counter() - t0
        if s >= 0:
            rates.append(b / sec)
            print(f"step {s + 1}: {b / sec:.1f} img/s (loss {loss.item():.4f})", flush=True)
    print(f"torch simclr bench: batch {b} ({2 * b} views of 1x28x28), widths {widths}: "
          f"median {statistics.median(rates):.1f} img/s over {args.steps} steps "
          f"({torch.get_num_threads()} threads, torch {torch.__version__})")


if __name__ == "__main__":
    main()
