"""PyTorch twin of org.handgrad.models.vae.Vae trained by examples/VaeFashionMnist.java.

Same architecture (MLP 784-400-(20, 20), decoder 20-400-784, ReLU, Bernoulli logits, PyTorch's
default init), same recipe (Fashion-MNIST in [0, 1], Adam lr 1e-3 betas (0.9, 0.999), batch 128,
the last batch of an epoch smaller, a fresh permutation per epoch), same evaluation: the test ELBO
with the analytic KL and one noise draw per image, and the importance-sampled log-likelihood
(Burda et al. 2016) logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K, whose negation
is the NLL, both in nats per image. Prints one line per epoch and the final figures; with --out
FILE it also saves the weights (state_dict), the per-step loss terms, the step count and the
training time, which scripts/bench/vae_gan_twin_to_run.py turns into a run folder for
`./handgrad generate sample` and `generate eval`.
  /usr/bin/python3 scripts/bench/vae_torch.py [epochs [K]] [--threads 2] [--out vae_twin.pt]
"""
import gzip
import math
import struct
import sys
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
D = "/usr/share/datasets/fashion-mnist/"


def idx(name):
    with gzip.open(D + name) as f:
        magic, = struct.unpack(">i", f.read(4))
        shape = struct.unpack(">" + "i" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


class Vae(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def neg_elbo(self, x, eps):
        """Per-example -log p(x|z) and KL, each (N,)."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * eps
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        return rec, kl

    @torch.no_grad()
    def iwae(self, x, k):
        mu, logvar = self.encode(x)
        lw = []
        for _ in range(k):
            eps = torch.randn_like(mu)
            z = mu + torch.exp(0.5 * logvar) * eps
            rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(1)
            lw.append(-rec - 0.5 * (z ** 2 - eps ** 2 - logvar).sum(1))
        return torch.logsumexp(torch.stack(lw), 0) - math.log(k)


def main():
    args = sys.argv[1:]
    out = args[args.index("--out") + 1] if "--out" in args else None
    torch.set_num_threads(int(args[args.index("--threads") + 1]) if "--threads" in args else 2)
    positional = [a for i, a in enumerate(args)
                  if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--out", "--threads"))]
    epochs = int(positional[0]) if len(positional) > 0 else 10
    k = int(positional[1]) if len(positional) > 1 else 100
    history = {"loss": [], "reconstruction": [], "kl": []}
    xtr = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).reshape(-1, 784) / 255.0
    xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).reshape(-1, 784) / 255.0
    vae = Vae()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    t0 = time.perf_counter()
    steps = 0
    for ep in range(epochs):
        perm = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(xtr), 128):
            b = xtr[perm[i:i + 128]]
            rec, kl = vae.neg_elbo(b, torch.randn(len(b), 20))
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
            steps += 1
            history["loss"].append(loss.item())
            history["reconstruction"].append(rec.mean().item())
            history["kl"].append(kl.mean().item())
        print(f"epoch {ep + 1}  train -ELBO {total / len(xtr):.3f}  ({time.perf_counter() - t0:.1f} s)",
              flush=True)
    train_s = time.perf_counter() - t0
    if out:
        torch.save({"method": "vae", "model": vae.state_dict(), "epochs": epochs, "steps": steps,
                    "seconds": train_s, "losses": history}, out)
        print(f"wrote {out}", flush=True)
    t1 = time.perf_counter()
    with torch.no_grad():
        elbo = sum(-(sum(vae.neg_elbo(xte[i:i + 500], torch.randn(len(xte[i:i + 500]), 20))))
                   .sum().item() for i in range(0, len(xte), 500)) / len(xte)
    ll = sum(vae.iwae(xte[i:i + 500], k).sum().item() for i in range(0, len(xte), 500)) / len(xte)
    print(f"steps {steps}  train {train_s:.1f} s  test ELBO {elbo:.3f} nats  "
          f"test NLL (IWAE K={k}) {-ll:.3f} nats  eval {time.perf_counter() - t1:.1f} s")


if __name__ == "__main__":
    main()
