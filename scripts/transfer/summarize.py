"""Table and plot of the transfer experiment (scripts/transfer/experiment.sh): test accuracy on
Fashion-MNIST classes 5-9 against labels per class, for the three arms (scratch, finetune, probe).

  /usr/bin/python3 scripts/transfer/summarize.py RUNS [--png docs/images/transfer.png]

Reads the newest finished run folder of each arm and N (its result.json), prints a Markdown table
and writes RUNS/transfer.png (or --png). Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import glob
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ARMS = [
    ("scratch", "from scratch (nothing frozen)"),
    ("finetune", "fine-tuned (stem + layer1 frozen, body lr x0.1)"),
    ("probe", "linear probe (whole body frozen)"),
]
LABELS = [10, 100, 1000]


def result(runs, name):
    for d in sorted(glob.glob(os.path.join(runs, name + "-*")), reverse=True):
        f = os.path.join(d, "result.json")
        if os.path.exists(f):
            r = json.load(open(f))
            if "test_acc" in r:
                return r
    return None


p = argparse.ArgumentParser()
p.add_argument("runs")
p.add_argument("--png")
args = p.parse_args()

print("| labels per class | " + " | ".join(a for a, _ in ARMS) + " |")
print("|---|" + "---|" * len(ARMS))
curves = {}
for n in LABELS:
    cells = []
    for arm, _ in ARMS:
        r = result(args.runs, f"{arm}-{n}")
        acc = None if r is None else 100 * r["test_acc"]
        curves.setdefault(arm, []).append(acc)
        cells.append("not run" if acc is None else f"{acc:.2f}%")
    print(f"| {n} | " + " | ".join(cells) + " |")

plt.figure(figsize=(5.5, 3.6), dpi=100)
for arm, label in ARMS:
    xs = [n for n, a in zip(LABELS, curves[arm]) if a is not None]
    ys = [a for a in curves[arm] if a is not None]
    plt.plot(xs, ys, marker="o", label=label)
plt.xscale("log")
plt.xticks(LABELS, [str(n) for n in LABELS])
plt.xlabel("labels per class (classes 5-9)")
plt.ylabel("test accuracy (%)")
plt.title("resnet-small pretrained on classes 0-4")
plt.grid(alpha=0.3)
plt.legend(fontsize=8)
plt.tight_layout()
out = args.png or os.path.join(args.runs, "transfer.png")
plt.savefig(out)
print("plot:", out)
