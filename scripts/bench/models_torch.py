"""PyTorch side of ModelTrainBench: one training step (forward, cross-entropy, backward, Adam) of
the CS231n models on a (64, 1, 28, 28) float32 batch, 2 threads, median step time -> img/s.
The models are those of /work/shared/bench/torch_anchor.py plus the "bn-cnn" design
(models.cnn.BnConvNet). Run in the same sitting as
  java -cp bench/target/benchmarks.jar org.handgrad.bench.ModelTrainBench
with Debian's python3-torch:  /usr/bin/python3 scripts/bench/models_torch.py
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


def bn_cnn():
    def block(c, f):
        return [nn.Conv2d(c, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.ReLU()]
    return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2),
                         *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(128, 10))


MODELS = {
    "softmax": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),
    "two-layer": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(),
                                       nn.Linear(100, 10)),
    "cnn": lambda: nn.Sequential(nn.Conv2d(1, 32, 7, padding=3), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Flatten(), nn.Linear(32 * 14 * 14, 100), nn.ReLU(),
                                 nn.Linear(100, 10)),
    "bn-cnn": bn_cnn,
}


def main():
    x = torch.rand(64, 1, 28, 28) - 0.3
    y = torch.randint(0, 10, (64,))
    for name in sys.argv[1:] or MODELS:
        net = MODELS[name]()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        conv = "cnn" in name
        warm, reps = (5, 15) if conv else (50, 200)

        def step():
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        for _ in range(warm):
            step()
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            step()
            ts.append(time.perf_counter() - t)
        ts.sort()
        med = ts[len(ts) // 2]
        print(f"{name}: batch 64 fwd+bwd+adam median {med*1e3:.2f} ms (min {ts[0]*1e3:.2f})"
              f" -> {64/med:.0f} img/s", flush=True)


if __name__ == "__main__":
    main()
