"""PyTorch twin of `./handgrad clip train --bench` (the default shapes configuration).

Same model, loss and optimizer as org.handgrad.models.clip:
  image encoder: ViT, 3x32x32, patch 8, width 64, depth 2, 4 heads, MLP 256, pre-norm, exact GELU,
                 CLS token, final LayerNorm, Linear(64 -> 64) projection (the ViT head);
                 with --image-encoder resnet, the CIFAR-style ResNet of simclr_torch.py (3x3
                 stem, one BasicBlock per stage of --resnet-widths, stride 2 from the second
                 stage, global average pool) and Linear(F -> 64)
  text encoder:  token + learned positional embedding (T = 14, V = 30), 2 pre-norm layers of
                 width 64 with a causal mask, final LayerNorm, the feature at the first <END>
                 token (id 2), Linear(64 -> 64, no bias)
  loss:          logits = exp(clamp(t, max=log 100)) * normalize(img) @ normalize(txt).T,
                 (CE(logits) + CE(logits.T)) / 2, t initialised to log(1 / 0.07)
  optimizer:     AdamW(betas=(0.9, 0.98), eps=1e-6), weight decay 0.1 on tensors with ndim >= 2
                 and 0 on the rest; linear warm-up 100 steps then cosine decay
Batch 128, 2 threads (--threads). Prints the median step time over --steps timed steps after 3 warm-up steps,
as img/s, and the last loss.

Data: with --npz (written by scripts/experiments/ExportSyntheticCaptions.java) the shape scenes'
train split, one caption drawn per image; without it, random images and random captions of the
same shapes (the throughput does not depend on the values).

  /usr/bin/python3 scripts/bench/clip_torch.py [--steps 20] [--npz /tmp/synthetic_captions.npz]
      [--image-encoder vit|resnet] [--resnet-widths 16,32,64]
"""
import argparse
import math
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from simclr_torch import ResNetEncoder

W, DEPTH, HEADS, E, T, V, END = 64, 2, 4, 64, 14, 30, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(W, HEADS, 4 * W, dropout=0.0, activation="gelu",
                                                batch_first=True, norm_first=True)

    def forward(self, x, mask=None):
        return self.layer(x, src_mask=mask)


class Vit(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, W, 8, stride=8)
        self.cls = nn.Parameter(torch.zeros(W))
        self.pos = nn.Parameter(0.02 * torch.randn(17, W))
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(W)
        self.head = nn.Linear(W, E)

    def forward(self, x):
        h = self.patch(x).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls.expand(h.shape[0], 1, W), h], 1) + self.pos
        for b in self.blocks:
            h = b(h)
        return self.head(self.norm(h)[:, 0])


class ResNetImage(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.encoder = ResNetEncoder(3, widths)
        self.proj = nn.Linear(widths[-1], E)

    def forward(self, x):
        return self.proj(self.encoder(x))


class Text(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(V, W)
        self.pos = nn.Parameter(0.02 * torch.randn(T, W))
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(W)
        self.proj = nn.Linear(W, E, bias=False)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, ids):
        h = self.tok(ids) + self.pos
        for b in self.blocks:
            h = b(h, self.mask)
        h = self.norm(h)
        end = (ids == END).int().argmax(1)
        return self.proj(h[torch.arange(ids.shape[0]), end])


def clip_loss(img, txt, t):
    logits = torch.clamp(t, max=math.log(100)).exp() * F.normalize(img, dim=1) @ \
        F.normalize(txt, dim=1).T
    y = torch.arange(img.shape[0])
    return (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--npz")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--image-encoder", choices=["vit", "resnet"], default="vit")
    ap.add_argument("--resnet-widths", default="32,64,128")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g = np.random.default_rng(0)
    if a.npz:
        d = np.load(a.npz)
        images = torch.tensor(d["train_images"], dtype=torch.float32)
        caps = torch.tensor(d["train_captions"], dtype=torch.long)
        owner = d["train_image_idxs"]
        first = {}
        for k, i in enumerate(owner):
            first.setdefault(int(i), []).append(k)
    else:
        images = torch.rand(10000, 3, 32, 32)
        caps = torch.randint(4, V, (10000, T))
        caps[:, 0] = 1
        caps[:, 10] = END
        caps[:, 11:] = 0
        first = {i: [i] for i in range(10000)}
    widths = [int(w) for w in a.resnet_widths.split(",")]
    vit = Vit() if a.image_encoder == "vit" else ResNetImage(widths)
    text = Text()
    t = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    params = list(vit.parameters()) + list(text.parameters()) + [t]
    decay = [p for p in params if p.ndim >= 2]
    rest = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    total = a.steps + 3
    times, loss = [], float("nan")
    for step in range(total):
        lr = 1e-3 * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / total))
        for grp in opt.param_groups:
            grp["lr"] = lr
        idx = g.choice(images.shape[0], a.batch_size, replace=False)
        rows = [first[int(i)][g.integers(len(first[int(i)]))] for i in idx]
        x, ids = images[idx], caps[rows]
        s = time.perf_counter()
        opt.zero_grad()
        l = clip_loss(vit(x), text(ids), t)
        l.backward()
        opt.step()
        loss = l.item()
        if step >= 3:
            times.append(time.perf_counter() - s)
    med = float(np.median(times))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads: {len(times)} steps of"
          f" batch {a.batch_size} after 3 warm-up steps: median {med:.4f} s/step,"
          f" {a.batch_size / med:.1f} img/s; last loss {loss:.4f}")


if __name__ == "__main__":
    main()
