"""PyTorch twin of `handgrad ssl train --method dino` (org.handgrad.models.ssl.dino.DinoTrainer):
the same student and teacher, crops, loss and updates, timed as training throughput.

Configuration (the CLI's defaults for --data video): frames of 8 generated 64x64 videos are NOT
regenerated here (throughput does not depend on pixel values), random images stand in; ViT
(pre-norm, GELU, patch 4, dim 64, depth 4, heads 4, mlp 256) on 2 global crops of 32px (scale
0.4-1) and 4 local crops of 16px (scale 0.05-0.4, positional table resized bilinearly), head MLP
64-256-256-64, L2-normalized, last layer 64->256 without bias; loss as in Algorithm 1
(tau_s 0.1, tau_t 0.04->0.07), AdamW 5e-4 wd 0.04, grad clip 3.0, teacher EMA 0.996, centre 0.9;
batch 32; float32; 2 threads. Crops: one box per image and view with torchvision's rule, then
F.interpolate(bilinear, align_corners=False), and a flip with probability 1/2 (done per image,
as handgrad does).

  /usr/bin/python3 scripts/bench/dino_torch.py [steps] [--threads T] [--handgrad-jar app/target/handgrad.jar]

--threads sets torch.set_num_threads (default 2). On a loaded machine 2 OpenMP threads can spin
against other processes: measured here at load ~20, one student forward took ~2 s with 2 threads
and ~0.3 s with 1, so report both.

Prints the median images/s over the timed steps (the first 3 are warm-up). With --handgrad-jar it
then runs `ssl train --method dino` with the same configuration for the same number of steps in
the same sitting and prints handgrad's images/s from its last progress line (cumulative average
over all steps, warm-up included, so it slightly understates handgrad's steady speed).
"""
import math
import re
import subprocess
import sys
import tempfile
import time

from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)

P, DIM, DEPTH, HEADS, MLP = 4, 64, 4, 4, 256
G, L, NLOC, N, K = 32, 16, 4, 32, 256


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1 = nn.LayerNorm(DIM)
        self.attn = nn.MultiheadAttention(DIM, HEADS, batch_first=True)
        self.n2 = nn.LayerNorm(DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, MLP), nn.GELU(), nn.Linear(MLP, DIM))

    def forward(self, x):
        h = self.n1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.n2(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, DIM, P, stride=P)
        self.cls = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos = nn.Parameter(torch.randn(1, 1 + (G // P) ** 2, DIM) * 0.02)
        self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, 256), nn.GELU(), nn.Linear(256, 256), nn.GELU(),
                                 nn.Linear(256, 64))
        self.last = nn.Linear(64, K, bias=False)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        g = x.shape[-1] // P
        pos = self.pos
        if g != G // P:
            grid = pos[:, 1:].reshape(1, G // P, G // P, DIM).permute(0, 3, 1, 2)
            grid = F.interpolate(grid, size=(g, g), mode="bilinear", align_corners=False)
            pos = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, g * g, DIM)], 1)
        t = torch.cat([self.cls.expand(len(x), -1, -1), t], 1) + pos
        z = self.norm(self.blocks(t))[:, 0]
        return self.last(F.normalize(self.mlp(z), dim=-1))


def box(h, w, lo, hi):
    for _ in range(10):
        area = h * w * (lo + (hi - lo) * torch.rand(1).item())
        r = math.exp(math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * torch.rand(1).item())
        bw, bh = round(math.sqrt(area * r)), round(math.sqrt(area / r))
        if 0 < bw <= w and 0 < bh <= h:
            return torch.randint(0, h - bh + 1, (1,)).item(), torch.randint(0, w - bw + 1, (1,)).item(), bh, bw
    return 0, 0, h, w


def crops(x, size, lo, hi):
    out = []
    for img in x:
        t, l, h, w = box(x.shape[2], x.shape[3], lo, hi)
        c = F.interpolate(img[None, :, t:t + h, l:l + w], size=(size, size), mode="bilinear",
                          align_corners=False)
        out.append(c.flip(3) if torch.rand(1).item() < 0.5 else c)
    return torch.cat(out)


def main():
    args = sys.argv[1:]
    jar = None
    if "--handgrad-jar" in args:
        i = args.index("--handgrad-jar")
        jar = args[i + 1]
        del args[i:i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        torch.set_num_threads(int(args[i + 1]))
        del args[i:i + 2]
    steps = int(args[0]) if args else 20
    data = torch.rand(192, 3, 64, 64) * 2 - 1
    student, teacher = Net(), Net()
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    opt = torch.optim.AdamW(student.parameters(), lr=5e-4, weight_decay=0.04)
    center = torch.zeros(K)
    times = []
    for step in range(steps):
        t0 = time.perf_counter()
        batch = data[torch.randperm(len(data))[:N]]
        glob = torch.cat([crops(batch, G, 0.4, 1.0) for _ in range(2)])
        loc = torch.cat([crops(batch, L, 0.05, 0.4) for _ in range(NLOC)])
        tau_t = 0.04 + 0.03 * min(1.0, step / max(1, steps // 10))
        with torch.no_grad():
            tout = teacher(glob)
            q = F.softmax((tout - center) / tau_t, dim=-1).chunk(2)
        s = list((student(glob) / 0.1).chunk(2)) + list((student(loc) / 0.1).chunk(NLOC))
        loss, pairs = 0, 0
        for g, qg in enumerate(q):
            for v, sv in enumerate(s):
                if v != g:
                    loss = loss + torch.sum(-qg * F.log_softmax(sv, -1), -1).mean()
                    pairs += 1
        loss = loss / pairs
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(student.parameters(), 3.0)
        opt.step()
        with torch.no_grad():
            for pt, ps in zip(teacher.parameters(), student.parameters()):
                pt.mul_(0.996).add_(ps.detach(), alpha=0.004)
            center = 0.9 * center + 0.1 * tout.mean(0)
        times.append(time.perf_counter() - t0)
    timed = sorted(times[3:]) if len(times) > 3 else sorted(times)
    med = timed[len(timed) // 2]
    print(f"pytorch {torch.__version__} ({torch.get_num_threads()} threads): {N / med:.1f} img/s (median of {len(timed)} steps, "
          f"{med * 1000:.0f} ms/step, loss {loss.item():.4f})")
    if jar:
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run(
                ["java", "--add-modules", "jdk.incubator.vector", "-jar", jar, "ssl", "train",
                 "--method", "dino", "--data", "video", "--out", d + "/run", "--steps", str(steps),
                 "--print-every", "1", "--batch-size", str(N)],
                capture_output=True, text=True, check=True).stdout
            rates = re.findall(r"([0-9.]+) img/s", out)
            print(f"handgrad: {rates[-1]} img/s (average over {steps} steps)")


if __name__ == "__main__":
    main()
