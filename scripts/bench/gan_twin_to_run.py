"""Turns the PyTorch GAN twin's weights (scripts/bench/gan_torch.py --out FILE) into a handgrad
`generate` run folder, so that `./handgrad generate sample` and `generate eval` judge the twin with
the same classifier and the same code as a handgrad GAN run.

  /usr/bin/python3 scripts/bench/gan_twin_to_run.py --twin gan_twin.pt --like runs/gan \
      --out runs/gan-twin
  ./handgrad generate eval --checkpoint runs/gan-twin --classifier runs/<bn-cnn run> ...

--like is a handgrad GAN run of the same configuration (its config.json is copied, and the model
description that GanTrainer.save records is taken from its newest checkpoint, so that a mismatch
is refused when the folder is loaded). The weights are written as
checkpoints/gan_step_<S>.safetensors in GanTrainer.save's names and layouts: generator.<name> with
the BatchNorm running statistics, discriminator.<name> where PyTorch's unnamed Sequential layers 0,
2 and 5 are handgrad's conv1, conv2 and fc, and nn.Linear weights (out, in) become (in, out). Adam's
state is not carried over (only its learning rate, which the format requires), so the folder can be
sampled and evaluated; resuming it would restart Adam, and the JSON says so.
"""
import argparse
import glob
import json
import os
import re
import shutil
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch"))
from torch_io import write_safetensors  # noqa: E402

DISCRIMINATOR = {"0": "conv1", "2": "conv2", "5": "fc"}


def newest_checkpoint(run):
    found = []
    for path in glob.glob(os.path.join(run, "checkpoints", "gan_step_*.json")):
        m = re.search(r"gan_step_(\d+)\.json$", path)
        found.append((int(m.group(1)), path))
    if not found:
        sys.exit(f"{run}: no checkpoints/gan_step_<S>.json (is it a handgrad GAN run?)")
    return max(found)[1]


def safetensors_metadata(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n).decode("utf-8")).get("__metadata__", {})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--twin", required=True, help="file written by gan_torch.py --out")
    p.add_argument("--like", required=True, help="a handgrad generate run with --method gan")
    p.add_argument("--out", required=True, help="run folder to create")
    a = p.parse_args()

    saved = torch.load(a.twin, map_location="cpu")
    cfg_path = os.path.join(a.like, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if cfg.get("method") != "gan":
        sys.exit(f"{cfg_path} is a {cfg.get('method')} run, not a gan run")
    want = cfg["gan"]
    if saved["classes"] != want["num_classes"] or saved["ls"] != (want["loss"] == "ls"):
        sys.exit(f"{a.twin}: classes {saved['classes']}, least squares {saved['ls']}; "
                 f"{cfg_path}: num_classes {want['num_classes']}, loss {want['loss']}")
    like_meta = safetensors_metadata(newest_checkpoint(a.like).replace(".json", ".safetensors"))

    tensors = {}
    for k, v in saved["generator"].items():
        arr = v.detach().cpu().numpy()
        if k.endswith("num_batches_tracked"):
            arr = arr.astype(np.int32)
        else:
            arr = arr.astype(np.float32)
            if k == "fc.weight":
                arr = arr.T.copy()
        tensors["generator." + k] = arr
    for k, v in saved["discriminator"].items():
        layer, kind = k.split(".")
        arr = v.detach().cpu().numpy().astype(np.float32)
        if DISCRIMINATOR[layer] == "fc" and kind == "weight":
            arr = arr.T.copy()
        tensors[f"discriminator.{DISCRIMINATOR[layer]}.{kind}"] = arr
    for net in ("g", "d"):
        tensors[f"optim.{net}.learning_rate"] = np.array(cfg["lr"], dtype=np.float64)

    step = int(saved["steps"])
    ckpt = os.path.join(a.out, "checkpoints")
    os.makedirs(ckpt, exist_ok=False)
    shutil.copyfile(cfg_path, os.path.join(a.out, "config.json"))
    stem = f"gan_step_{step}"
    write_safetensors(os.path.join(ckpt, stem + ".safetensors"), tensors,
                      {"format": "handgrad-gan", "config": like_meta["config"],
                       "epoch": str(saved["epochs"]), "step": str(step),
                       "rng_state": "1,2,3,4"})
    meta = {
        "format": "handgrad-generate-latent-checkpoint",
        "step": step,
        "seconds": float(saved["seconds"]),
        "losses": saved["losses"],
        "origin": f"PyTorch twin {os.path.basename(a.twin)} (no Adam state: a resume restarts it)",
    }
    with open(os.path.join(ckpt, stem + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"wrote {a.out}: {len(tensors)} tensors, step {step}")


if __name__ == "__main__":
    main()
