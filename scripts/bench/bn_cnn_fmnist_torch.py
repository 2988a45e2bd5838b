"""Design check for models.cnn.BnConvNet ("bn-cnn"): trains the same architecture in PyTorch on
Fashion-MNIST (batch 64, Adam lr 1e-3 halved every epoch, mean-image subtraction as in
/work/shared/bench/torch_anchor.py, dropout keep 0.5) and prints the test accuracy after every
epoch. The Java model is held to PyTorch on this architecture by ModelsGoldenTest (loss and every
gradient), so this run tells what the Java model reaches with the same recipe.
  /usr/bin/python3 scripts/bench/bn_cnn_fmnist_torch.py [epochs]
"""
import gzip
import struct
import sys
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from models_torch import bn_cnn  # noqa: E402  (same architecture as the throughput twin)

torch.set_num_threads(2)
torch.manual_seed(0)
D = "/usr/share/datasets/fashion-mnist/"


def idx(name):
    with gzip.open(D + name) as f:
        magic, = struct.unpack(">i", f.read(4))
        shape = struct.unpack(">" + "i" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


xtr = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255.0
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255.0
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
mean = xtr.mean(0, keepdim=True)
xtr -= mean
xte -= mean

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
net = bn_cnn()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
t0 = time.perf_counter()
for ep in range(epochs):
    net.train()
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr) - 63, 64):
        b = perm[i:i + 64]
        loss = F.cross_entropy(net(xtr[b]), ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    net.eval()
    with torch.no_grad():
        acc = sum((net(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
                  for i in range(0, 10000, 1000)) / 10000
    print(f"epoch {ep + 1}: test acc {acc:.4f} ({time.perf_counter() - t0:.0f}s)", flush=True)
