"""Trains handgrad's `resnet-small` architecture (ResNet-8: 3x3 stem, widths 16/32/64, one
BasicBlock per stage, torchvision's names) on Fashion-MNIST in PyTorch for a fixed time budget,
then saves its state_dict as safetensors and prints the test accuracy, for

  ./handgrad import --from small.safetensors --model resnet-small --out runs/small-torch
  ./handgrad eval --checkpoint runs/small-torch        # the same test accuracy

Inputs are pixels / 255 in [0, 1] with no normalization (handgrad's import records no
preprocessing); the BatchNorm after the stem absorbs the scale. 2 threads, Adam, batch 128.

  /usr/bin/python3 scripts/torch/train_small_resnet.py --out /tmp/small.safetensors --minutes 4
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from torch_io import SmallResNet, write_safetensors

DIRS = [os.path.expanduser("~/.handgrad/data/fashion-mnist"), "/usr/share/datasets/fashion-mnist"]


def idx(name):
    for d in DIRS:
        for f in (os.path.join(d, name), os.path.join(d, name + ".gz")):
            if os.path.exists(f):
                raw = gzip.open(f).read() if f.endswith(".gz") else open(f, "rb").read()
                ndim = raw[3]
                dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
                return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise SystemExit(f"{name} not found in {DIRS} (./handgrad data fetch fashion-mnist)")


p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--minutes", type=float, default=4.0)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
torch.set_num_threads(2)
torch.manual_seed(args.seed)

x_train = torch.tensor(idx("train-images-idx3-ubyte"), dtype=torch.float32).unsqueeze(1) / 255
y_train = torch.tensor(idx("train-labels-idx1-ubyte").astype(np.int64))
x_test = torch.tensor(idx("t10k-images-idx3-ubyte"), dtype=torch.float32).unsqueeze(1) / 255
y_test = torch.tensor(idx("t10k-labels-idx1-ubyte").astype(np.int64))

net = SmallResNet(1, (16, 32, 64), (1, 1, 1), 10)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
start, epoch, steps = time.time(), 0, 0
while time.time() - start < args.minutes * 60:
    net.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 128):
        b = perm[i:i + 128]
        loss = F.cross_entropy(net(x_train[b]), y_train[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
        if time.time() - start > args.minutes * 60:
            break
    epoch += 1
    print(f"epoch {epoch}: {steps} steps, loss {loss.item():.4f}, {time.time() - start:.0f} s",
          flush=True)

net.eval()
correct = 0
with torch.no_grad():
    for i in range(0, len(x_test), 1000):
        correct += (net(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
write_safetensors(args.out, state, {"format": "pt", "model": "resnet-small", "steps": steps})
print(f"test accuracy {correct / len(x_test):.4f} ({correct}/{len(x_test)}) after {steps} steps;"
      f" wrote {args.out}")
