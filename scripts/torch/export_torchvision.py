"""Exports torchvision's resnet18 to safetensors for `./handgrad import --model resnet18`, with
its logits on a fixed input batch, so the import can be checked against PyTorch end to end.

No pretrained weights are downloaded (the machine is offline): the model is torchvision's random
initialization under a fixed seed, or, with --formula, the deterministic weights of
torch_io.formula_weights that handgrad's tests rebuild in Java.

  /usr/bin/python3 scripts/torch/export_torchvision.py --out /tmp/resnet18.safetensors \
      --logits /tmp/resnet18_logits.npz [--size 64] [--formula]
  ./handgrad import --from /tmp/resnet18.safetensors --model resnet18 --data cifar10 \
      --set input_shape=3,64,64 --set num_classes=1000 --out runs/resnet18-torch

The .npz holds x (2, 3, S, S) float32 and logits (2, 1000) from model.eval().
"""
import argparse

import numpy as np
import torch
import torchvision

from torch_io import formula_weights, write_safetensors

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--out", required=True, help="safetensors file to write")
p.add_argument("--logits", help="npz file for the input batch and the logits")
p.add_argument("--size", type=int, default=64, help="image size of the logits batch")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--formula", action="store_true", help="formula weights instead of random init")
args = p.parse_args()

torch.manual_seed(args.seed)
net = torchvision.models.resnet18()
if args.formula:
    sd = net.state_dict()
    w = formula_weights({k: tuple(v.shape) for k, v in sd.items()})
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in w.items()})
net.eval()
state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
write_safetensors(args.out, state, {"format": "pt", "source": "torchvision.models.resnet18",
                                    "seed": args.seed, "formula": args.formula})
print(f"wrote {args.out}: {len(state)} tensors, "
      f"{sum(v.size for k, v in state.items() if 'num_batches' not in k)} values")
if args.logits:
    g = torch.Generator().manual_seed(args.seed + 1)
    x = torch.randn(2, 3, args.size, args.size, generator=g)
    with torch.no_grad():
        logits = net(x)
    np.savez(args.logits, x=x.numpy(), logits=logits.numpy())
    print(f"wrote {args.logits}: logits {tuple(logits.shape)}, argmax {logits.argmax(1).tolist()}")
