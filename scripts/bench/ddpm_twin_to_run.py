"""Turns the PyTorch twin's weights (scripts/bench/ddpm_torch.py --out FILE) into a handgrad
`generate` run folder, so that `./handgrad generate sample` and `generate eval` judge the twin with
the same sampler, the same classifier and the same code as a handgrad run.

  /usr/bin/python3 scripts/bench/ddpm_twin_to_run.py --twin ddpm_twin.pt --like runs/ddpm \
      --out runs/ddpm-twin
  ./handgrad generate eval --checkpoint runs/ddpm-twin --classifier runs/<bn-cnn run> ...

--like is a handgrad run of the same method (its config.json is copied: method, schedule, T,
U-Net shape; the twin trains the reference U-Net with handgrad's default hyper-parameters, so the
two configs agree). The weights are written as checkpoints/gen_step_<S>.safetensors with the raw
weights under model.<name> and the EMA under ema.<name>, in handgrad's names and layouts:
nn.Linear weights (out, in) become (in, out); nn.MultiheadAttention's packed in_proj (3C, C) is split
into query, key and value, each transposed, and out_proj becomes proj. Adam's state is not carried
over (the folder can be sampled and evaluated, not resumed), and the JSON says so.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch"))
from torch_io import write_safetensors  # noqa: E402


def is_linear_weight(name):
    return name in ("t1.weight", "t2.weight") or name.endswith(".film.weight")


def to_handgrad(state):
    """name -> float32 array in handgrad's names and layouts (see the module docstring)."""
    out = {}
    for k, v in state.items():
        a = v.detach().cpu().numpy().astype(np.float32)
        if k.startswith("attn.mha.in_proj_"):
            kind = k.rsplit("_", 1)[1]  # weight or bias
            c = a.shape[0] // 3
            for i, part in enumerate(("query", "key", "value")):
                block = a[i * c:(i + 1) * c]
                out[f"attn.mha.{part}.{kind}"] = block.T.copy() if kind == "weight" else block
        elif k.startswith("attn.mha.out_proj."):
            kind = k.rsplit(".", 1)[1]
            out[f"attn.mha.proj.{kind}"] = a.T.copy() if kind == "weight" else a
        else:
            out[k] = a.T.copy() if is_linear_weight(k) else a
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--twin", required=True, help="file written by ddpm_torch.py --out")
    p.add_argument("--like", required=True, help="a handgrad generate run of the same method")
    p.add_argument("--out", required=True, help="run folder to create")
    a = p.parse_args()

    saved = torch.load(a.twin, map_location="cpu")
    cfg_path = os.path.join(a.like, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if saved.get("method", cfg["method"]) != cfg["method"]:
        sys.exit(f"{a.twin} is a {saved['method']} twin, {cfg_path} a {cfg['method']} run")
    step = int(saved.get("iters", 0))
    if step < 1:
        sys.exit(f"{a.twin}: no 'iters' (written by an older ddpm_torch.py? train it again)")
    ckpt = os.path.join(a.out, "checkpoints")
    os.makedirs(ckpt, exist_ok=False)
    shutil.copyfile(cfg_path, os.path.join(a.out, "config.json"))
    tensors = {}
    for prefix, key in (("model.", "model"), ("ema.", "ema")):
        for k, v in to_handgrad(saved[key]).items():
            tensors[prefix + k] = v
    stem = f"gen_step_{step}"
    write_safetensors(os.path.join(ckpt, stem + ".safetensors"), tensors,
                      {"format": "handgrad-generate-checkpoint"})
    meta = {
        "format": "handgrad-generate-checkpoint",
        "step": step,
        "rng_state": ["0x0"] * 4,
        "seconds": float(saved.get("seconds", 0.0)),
        "tensors": stem + ".safetensors",
        "loss_history": [float(x) for x in saved.get("losses", [])],
        "origin": f"PyTorch twin {os.path.basename(a.twin)} (no optimizer state: not resumable)",
    }
    with open(os.path.join(ckpt, stem + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"wrote {a.out}: {len(tensors)} tensors, step {step}")


if __name__ == "__main__":
    main()
