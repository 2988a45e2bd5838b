"""Shared pieces of the PyTorch-side scripts: a safetensors writer and reader in plain numpy, the
small CIFAR-style ResNet with torchvision's names, and the weight formula that handgrad's tests
reproduce in Java.

safetensors layout (https://github.com/huggingface/safetensors): an unsigned 64-bit little-endian
header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets":
[begin, end]}, ..., "__metadata__": {...}} padded with spaces to a multiple of 8, then the raw
little-endian data of every tensor, row-major, back to back. Written here with numpy because the
`safetensors` package is not installed on the build machine (and reading must not need it either).
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, conv1x1

_DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64",
           np.dtype("int32"): "I32"}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """Writes name -> numpy array (or torch tensor) in the given order."""
    header, chunks, offset = {}, [], 0
    for name, value in tensors.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        # ascontiguousarray makes a 0-d array 1-d; keep scalars (BatchNorm's step count) scalars
        value = np.ascontiguousarray(value).reshape(np.shape(value))
        data = value.astype(value.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[value.dtype], "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    """Reads a safetensors file into name -> numpy array (header order)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + end], dtype=_NUMPY[e["dtype"]].newbyteorder("<"))
        out[name] = arr.reshape(e["shape"]).astype(_NUMPY[e["dtype"]])
    return out


class SmallResNet(nn.Module):
    """He et al.'s CIFAR ResNet (3x3 stem, no max pool) built from torchvision's BasicBlock, with
    torchvision's names: conv1, bn1, layer1..layerS, fc. handgrad's `resnet-small`."""

    def __init__(self, in_channels=1, widths=(16, 32, 64), blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        inplanes = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                down = None
                if stride != 1 or inplanes != w:
                    down = nn.Sequential(conv1x1(inplanes, w, stride), nn.BatchNorm2d(w))
                layers.append(BasicBlock(inplanes, w, stride, down))
                inplanes = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))
        self.stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(inplanes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def formula_weights(state_dict_shapes):
    """Deterministic weights for a torchvision-named state_dict, from an integer hash that Java
    reproduces exactly (org.handgrad.models.resnet.TorchFormula in the tests):

        s = sum((k + 1) * ord(c) for k, c in enumerate(name))
        u[i] = ((i * 2654435761 + s * 40503 + 12345) mod 2^32) / 2^32     in [0, 1), float64
        conv / linear weight: (u - 0.5) * 2 * sqrt(3 / fan_in)   (variance 1 / fan_in)
        1-D weight (BatchNorm gamma): 0.5 + 0.5 u;   any bias, running_mean: 0.2 (u - 0.5)
        running_var: 0.5 + u;   num_batches_tracked: 0
    rounded to float32. Used instead of committing ResNet-18's 47 MB of weights."""
    out = {}
    for name, shape in state_dict_shapes.items():
        if name.endswith("num_batches_tracked"):
            out[name] = np.zeros((), dtype=np.int64)
            continue
        s = sum((k + 1) * ord(c) for k, c in enumerate(name))
        n = int(np.prod(shape)) if len(shape) else 1
        i = np.arange(n, dtype=np.uint64)
        h = (i * np.uint64(2654435761) + np.uint64(s * 40503 + 12345)) % np.uint64(2 ** 32)
        u = h.astype(np.float64) / 2.0 ** 32
        if name.endswith("running_var"):
            v = 0.5 + u
        elif name.endswith("running_mean") or name.endswith("bias"):
            v = 0.2 * (u - 0.5)
        elif len(shape) == 1:
            v = 0.5 + 0.5 * u
        else:
            fan_in = int(np.prod(shape[1:]))
            v = (u - 0.5) * 2.0 * math.sqrt(3.0 / fan_in)
        out[name] = v.reshape(shape).astype(np.float32)
    return out
