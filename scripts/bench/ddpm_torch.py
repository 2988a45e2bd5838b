"""PyTorch twin of './handgrad generate train': DDPM or rectified flow with the reference U-Net.

The U-Net is imported from shared/bench/torch_generative.py (the architecture handgrad's
UNetConfig.reference() matches), so both sides train the same 852,897-parameter network with the
same hyper-parameters as the handgrad defaults: batch 64, Adam lr 2e-4 (betas 0.9/0.999, eps 1e-8),
class-conditional with labels dropped to the null class 10 with probability 0.1, linear beta
schedule 1e-4..0.02 at T = 1000 with the epsilon target (ddpm), or t ~ U[0, 1), x_t = (1-t) x0 +
t eps and the velocity target eps - x0 with the time input 1000 t (flow); images scaled to
[-1, 1]; an EMA of the weights with decay 0.999 after every step; each epoch a fresh permutation,
the last partial batch dropped. It prints the loss averaged over every --log-every steps and the
img/s of that window, and saves the raw and EMA weights (state_dict), the per-step losses and the
training time at the end; scripts/bench/ddpm_twin_to_run.py turns that file into a run folder that
`./handgrad generate sample` and `generate eval` read.

  /usr/bin/python3 scripts/bench/ddpm_torch.py --method ddpm --iters 2000
  /usr/bin/python3 scripts/bench/ddpm_torch.py --method flow --iters 2000 --out flow_twin.pt

Threads: 2 by default (--threads), as handgrad's bench. Run it in the same sitting as the
handgrad run it is compared with and give the CPU and the load (uptime).
"""
import argparse
import copy
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("HANDGRAD_SHARED_BENCH",
                        os.path.join(HERE, "..", "..", "..", "shared", "bench"))
sys.path.insert(0, os.path.abspath(SHARED))
from keep_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # before torch allocates: page faults otherwise (keep_memory.py)
import torch_generative as ref  # noqa: E402  (the reference U-Net, idx reader, OpenBLAS setup)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--method", choices=["ddpm", "flow"], default="ddpm")
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--guidance-drop", type=float, default=0.1)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="state_dict file (default <method>_twin.pt)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch threads (default 2; 1 to share the machine with a handgrad run)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x_all = torch.tensor(ref.idx("train-images-idx3-ubyte.gz"),
                         dtype=torch.float32).unsqueeze(1) / 127.5 - 1
    y_all = torch.tensor(ref.idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    net = ref.UNet()
    ema = copy.deepcopy(net)
    for q in ema.parameters():
        q.requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    T = ref.T
    abar = ref.abar
    print(f"{a.method}: U-Net {sum(q.numel() for q in net.parameters()):,} parameters, "
          f"batch {a.batch_size}, Adam {a.lr:g}, drop {a.guidance_drop}, EMA {a.ema_decay}, "
          f"{torch.get_num_threads()} threads", flush=True)

    def loss_of(x0, y):
        n = len(x0)
        eps = torch.randn_like(x0)
        y = torch.where(torch.rand(n) < a.guidance_drop, torch.full_like(y, 10), y)
        if a.method == "ddpm":
            t = torch.randint(0, T, (n,))
            ab = abar[t][:, None, None, None]
            xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
            return F.mse_loss(net(xt, t, y), eps)
        t = torch.rand(n)
        tt = t[:, None, None, None]
        xt = (1 - tt) * x0 + tt * eps
        return F.mse_loss(net(xt, t * 1000, y), eps - x0)

    n = len(x_all)
    per_epoch = n // a.batch_size
    step, perm = 0, None
    window, t0, start = 0.0, time.perf_counter(), time.perf_counter()
    losses = []
    while step < a.iters:
        if step % per_epoch == 0:
            perm = torch.randperm(n)
        k = step % per_epoch
        b = perm[k * a.batch_size:(k + 1) * a.batch_size]
        loss = loss_of(x_all[b], y_all[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for e, w in zip(ema.parameters(), net.parameters()):
                e.mul_(a.ema_decay).add_(w, alpha=1 - a.ema_decay)
        step += 1
        losses.append(loss.item())
        window += losses[-1]
        if step % a.log_every == 0 or step == a.iters:
            done = (step - 1) % a.log_every + 1
            dt = time.perf_counter() - t0
            print(f"step {step}/{a.iters}  loss {window / done:.4f}  "
                  f"{a.batch_size * done / dt:.1f} img/s", flush=True)
            window, t0 = 0.0, time.perf_counter()
    seconds = time.perf_counter() - start
    print(f"trained {a.iters} steps in {seconds:.0f} s", flush=True)
    out = a.out or f"{a.method}_twin.pt"
    torch.save({"model": net.state_dict(), "ema": ema.state_dict(), "method": a.method,
                "iters": a.iters, "seconds": seconds, "losses": losses}, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
