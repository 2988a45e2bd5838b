"""Turns a PyTorch VAE or GAN twin's weights (scripts/bench/vae_torch.py --out FILE or
scripts/bench/gan_torch.py --out FILE) into a handgrad `generate` run folder, so that
`./handgrad generate sample` and `generate eval` judge the twin with the same classifier and the same
code as a handgrad run of that method.

  /usr/bin/python3 scripts/bench/vae_gan_twin_to_run.py --twin gan_twin.pt --like runs/gan \
      --out runs/gan-twin
  ./handgrad generate eval --checkpoint runs/gan-twin --classifier runs/<bn-cnn run> ...

--like is a handgrad run of the same method and configuration (its config.json is copied, and the
model description that VaeTrainer.save / GanTrainer.save record is taken from its newest
checkpoint, so that a mismatch is refused when the folder is loaded). The weights are written as
checkpoints/<method>_step_<S>.safetensors in the trainers' names and layouts: nn.Linear weights
(out, in) become (in, out); the VAE's names are PyTorch's; the GAN's are generator.<name> with the
BatchNorm running statistics and discriminator.<name>, where PyTorch's unnamed Sequential layers 0,
2 and 5 are handgrad's conv1, conv2 and fc. Adam's state is not carried over (only its learning
rate, which the format requires), so the folder can be sampled and evaluated; resuming it would
restart Adam, and the JSON says so.
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


def newest_checkpoint(run, method):
    found = []
    for path in glob.glob(os.path.join(run, "checkpoints", f"{method}_step_*.json")):
        m = re.search(r"_step_(\d+)\.json$", path)
        found.append((int(m.group(1)), path))
    if not found:
        sys.exit(f"{run}: no checkpoints/{method}_step_<S>.json")
    return max(found)[1]


def safetensors_metadata(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n).decode("utf-8")).get("__metadata__", {})


def linear_weight(name, arr, linears):
    """(out, in) -> (in, out) for the nn.Linear weights named in `linears`."""
    return arr.T.copy() if name in linears else arr


def vae_tensors(saved, cfg):
    linears = {"encoder.0.weight", "mu.weight", "logvar.weight", "decoder.0.weight",
               "decoder.2.weight"}
    out = {k: linear_weight(k, v.detach().cpu().numpy().astype(np.float32), linears)
           for k, v in saved["model"].items()}
    out["optim.learning_rate"] = np.array(cfg["lr"], dtype=np.float64)
    return out


def gan_tensors(saved, cfg):
    want = cfg["gan"]
    if saved["classes"] != want["num_classes"] or saved["ls"] != (want["loss"] == "ls"):
        sys.exit(f"the twin has classes {saved['classes']}, least squares {saved['ls']}; "
                 f"the --like run num_classes {want['num_classes']}, loss {want['loss']}")
    out = {}
    for k, v in saved["generator"].items():
        arr = v.detach().cpu().numpy()
        if k.endswith("num_batches_tracked"):
            out["generator." + k] = arr.astype(np.int32)
        else:
            out["generator." + k] = linear_weight(k, arr.astype(np.float32), {"fc.weight"})
    for k, v in saved["discriminator"].items():
        layer, kind = k.split(".")
        name = f"{DISCRIMINATOR[layer]}.{kind}"
        out["discriminator." + name] = linear_weight(
            name, v.detach().cpu().numpy().astype(np.float32), {"fc.weight"})
    for net in ("g", "d"):
        out[f"optim.{net}.learning_rate"] = np.array(cfg["lr"], dtype=np.float64)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--twin", required=True, help="file written by vae_torch.py or gan_torch.py --out")
    p.add_argument("--like", required=True, help="a handgrad generate run with --method vae or gan")
    p.add_argument("--out", required=True, help="run folder to create")
    a = p.parse_args()

    saved = torch.load(a.twin, map_location="cpu")
    cfg_path = os.path.join(a.like, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    method = cfg.get("method")
    if method not in ("vae", "gan") or saved.get("method") != method:
        sys.exit(f"{cfg_path} is a {method} run and {a.twin} a {saved.get('method')} twin")
    like_meta = safetensors_metadata(
        newest_checkpoint(a.like, method).replace(".json", ".safetensors"))
    tensors = vae_tensors(saved, cfg) if method == "vae" else gan_tensors(saved, cfg)

    step = int(saved["steps"])
    ckpt = os.path.join(a.out, "checkpoints")
    os.makedirs(ckpt, exist_ok=False)
    shutil.copyfile(cfg_path, os.path.join(a.out, "config.json"))
    stem = f"{method}_step_{step}"
    write_safetensors(os.path.join(ckpt, stem + ".safetensors"), tensors,
                      {"format": like_meta["format"], "config": like_meta["config"],
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
