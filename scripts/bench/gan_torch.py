"""PyTorch twin of org.handgrad.models.gan.Dcgan trained by GanTrainer.

Same architecture as the Java class comment (generator Linear(no bias) -> BatchNorm1d -> ReLU ->
reshape -> ConvTranspose(4, 2, 1, no bias) -> BatchNorm2d -> ReLU -> ConvTranspose(4, 2, 1) -> tanh;
discriminator Conv(4, 2, 1) -> LeakyReLU(0.2) -> Conv(4, 2, 1) -> LeakyReLU(0.2) -> Linear -> logit,
no BatchNorm), DCGAN init (weights N(0, 0.02), zero biases), CS231n's discriminator_loss and
generator_loss (or the least-squares pair with --ls), Adam lr 2e-4, betas (0.5, 0.999), batch 128,
one discriminator step on [real; G(z).detach()] as one batch then one generator step on fresh noise,
real images mapped from [0, 1] to [-1, 1]. With --classes 10 it is class-conditional like the Java
model (one-hot labels appended to z and as constant planes to the discriminator input, fake labels
drawn uniformly). Prints the mean losses per epoch and writes a grid of 64 samples (.npy); with
--out FILE it also saves both networks (state_dict, BatchNorm buffers included), the per-step
losses, the step count and the training time, which scripts/bench/vae_gan_twin_to_run.py turns into a
run folder for `./handgrad generate sample` and `generate eval`.
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/gan_torch.py [epochs] [--classes 10] [--ls]
      [--threads 2] [--out gan_twin.pt]
"""
import gzip
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
NOISE, WIDTH = 64, 64


def idx(name):
    with gzip.open(D + name) as f:
        magic, = struct.unpack(">i", f.read(4))
        shape = struct.unpack(">" + "i" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


class Generator(nn.Module):
    def __init__(self, classes, w=WIDTH, c=1, h=28):
        super().__init__()
        self.seed = (2 * w, h // 4, h // 4)
        size = 2 * w * (h // 4) ** 2
        self.fc = nn.Linear(NOISE + classes, size, bias=False)
        self.bn0 = nn.BatchNorm1d(size)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.up2 = nn.ConvTranspose2d(w, c, 4, stride=2, padding=1)

    def forward(self, x):
        h = F.relu(self.bn0(self.fc(x))).view(x.shape[0], *self.seed)
        return torch.tanh(self.up2(F.relu(self.bn1(self.up1(h)))))


def discriminator(classes, w=WIDTH, c=1, h=28):
    return nn.Sequential(
        nn.Conv2d(c + classes, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * w * (h // 4) ** 2, 1))


def dcgan_init(net):
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def bce_loss(x, target):
    return F.binary_cross_entropy_with_logits(x, target)


def losses(ls):
    if ls:
        return (lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
                lambda f: 0.5 * ((f - 1) ** 2).mean())
    return (lambda r, f: bce_loss(r, torch.ones_like(r)) + bce_loss(f, torch.zeros_like(f)),
            lambda f: bce_loss(f, torch.ones_like(f)))


def main():
    args = sys.argv[1:]
    epochs = int(args[0]) if args and args[0].isdigit() else 5
    classes = int(args[args.index("--classes") + 1]) if "--classes" in args else 0
    d_loss_fn, g_loss_fn = losses("--ls" in args)
    torch.set_num_threads(int(args[args.index("--threads") + 1]) if "--threads" in args else 2)
    out = args[args.index("--out") + 1] if "--out" in args else None
    d_hist, g_hist = [], []
    x = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255.0
    y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    gen, dis = Generator(classes), discriminator(classes)
    dcgan_init(gen)
    dcgan_init(dis)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def g_in(z, labels):
        return z if not classes else torch.cat([z, F.one_hot(labels, classes).float()], 1)

    def d_in(img, labels):
        if not classes:
            return img
        planes = F.one_hot(labels, classes).float()[:, :, None, None].expand(-1, -1, 28, 28)
        return torch.cat([img, planes], 1)

    t0 = time.perf_counter()
    for ep in range(epochs):
        perm = torch.randperm(len(x))
        sd = sg = 0.0
        steps = 0
        for i in range(0, len(x), 128):
            b = perm[i:i + 128]
            real, n = x[b] * 2 - 1, len(b)
            fake_labels = torch.randint(0, max(classes, 1), (n,))
            fake = gen(g_in(torch.randn(n, NOISE), fake_labels)).detach()
            logits = dis(torch.cat([d_in(real, y[b]), d_in(fake, fake_labels)]))
            d_loss = d_loss_fn(logits[:n], logits[n:])
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_labels = torch.randint(0, max(classes, 1), (n,))
            g_loss = g_loss_fn(dis(d_in(gen(g_in(torch.randn(n, NOISE), g_labels)), g_labels)))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            sd += d_loss.item()
            sg += g_loss.item()
            d_hist.append(d_loss.item())
            g_hist.append(g_loss.item())
            steps += 1
        print(f"epoch {ep + 1}  D {sd / steps:.4f}  G {sg / steps:.4f}  ({time.perf_counter() - t0:.1f} s)",
              flush=True)
    seconds = time.perf_counter() - t0
    if out:
        torch.save({"method": "gan", "generator": gen.state_dict(), "discriminator": dis.state_dict(),
                    "classes": classes, "ls": "--ls" in args, "epochs": epochs,
                    "steps": len(d_hist), "seconds": seconds,
                    "losses": {"discriminator": d_hist, "generator": g_hist}}, out)
        print(f"wrote {out}: {len(d_hist)} steps in {seconds:.1f} s", flush=True)
    gen.eval()
    with torch.no_grad():
        labels = torch.arange(64) % max(classes, 1)
        np.save("gan_torch_samples.npy", gen(g_in(torch.randn(64, NOISE), labels)).numpy())


if __name__ == "__main__":
    main()
