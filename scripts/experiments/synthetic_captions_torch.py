"""Is the synthetic captioning data learnable from the image, and not without it?

Trains a small CS231n-style captioner in PyTorch (Debian python3-torch 1.13, python3-nltk) on the
output of ExportSyntheticCaptions.java: a 3-layer convnet (16/32/64 channels, BatchNorm, ReLU,
2x2 max-pool) whose 1024 features are projected to the LSTM's initial hidden state h0 (CS231n's
image-to-h0 projection), a 64-d word embedding, an LSTM of 128 units and a vocabulary projection;
cross-entropy on every token after <START>, <NULL> masked (CS231n's temporal softmax loss),
Adam 2e-3, batch 64, teacher forcing. "blind" replaces the image features by zeros: a language
model that sees no pixels. Evaluation: greedy decoding, NLTK corpus BLEU-4 against all references
of each image, exact match.

  python3 synthetic_captions_torch.py image 30 /tmp   # or: blind 30 /tmp
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
from nltk.translate.bleu_score import corpus_bleu  # noqa: E402

NULL, START, END = 0, 1, 2


class Captioner(nn.Module):
    def __init__(self, vocab_size, blind):
        super().__init__()
        self.blind = blind
        layers = []
        for cin, cout in ((3, 16), (16, 32), (32, 64)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                       nn.MaxPool2d(2)]
        self.cnn = nn.Sequential(*layers, nn.Flatten())
        self.proj = nn.Linear(1024, 128)
        self.embed = nn.Embedding(vocab_size, 64)
        self.lstm = nn.LSTM(64, 128, batch_first=True)
        self.out = nn.Linear(128, vocab_size)

    def initial_state(self, x):
        f = torch.zeros(x.shape[0], 1024) if self.blind else self.cnn((x - 0.25) / 0.3)
        h = self.proj(f)[None]
        return h, torch.zeros_like(h)

    def forward(self, x, captions_in):
        y, _ = self.lstm(self.embed(captions_in), self.initial_state(x))
        return self.out(y)

    def greedy(self, x, steps):
        state = self.initial_state(x)
        word = torch.full((x.shape[0], 1), START, dtype=torch.long)
        words = []
        for _ in range(steps):
            y, state = self.lstm(self.embed(word), state)
            word = self.out(y).argmax(-1)
            words.append(word)
        return torch.cat(words, 1).numpy()


def decode(row, vocab):
    words = []
    for t in row:
        if t == END:
            break
        if t not in (NULL, START):
            words.append(vocab[t])
    return words


def evaluate(model, data, split, vocab):
    x = torch.tensor(data[split + "_images"])
    refs = [[] for _ in range(x.shape[0])]
    for c, i in zip(data[split + "_captions"], data[split + "_image_idxs"]):
        refs[i].append(decode(c, vocab))
    model.eval()
    with torch.no_grad():
        hyps = [decode(r, vocab) for r in model.greedy(x, data[split + "_captions"].shape[1] - 1)]
    model.train()
    exact = float(np.mean([h in r for h, r in zip(hyps, refs)]))
    return corpus_bleu(refs, hyps), exact


def main():
    mode, epochs = sys.argv[1], int(sys.argv[2])
    folder = sys.argv[3] if len(sys.argv) > 3 else "."
    torch.manual_seed(0)
    torch.set_num_threads(1)
    data = np.load(os.path.join(folder, "synthetic_captions.npz"))
    with open(os.path.join(folder, "synthetic_captions_vocab.json")) as f:
        vocab = json.load(f)["idx_to_word"]
    model = Captioner(len(vocab), mode == "blind")
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=NULL)
    x = torch.tensor(data["train_images"])
    captions = torch.tensor(data["train_captions"]).long()
    owners = torch.tensor(data["train_image_idxs"]).long()
    start = time.time()
    for epoch in range(epochs):
        perm = torch.randperm(captions.shape[0])
        total = 0.0
        for b in range(0, captions.shape[0], 64):
            rows = perm[b:b + 64]
            c = captions[rows]
            logits = model(x[owners[rows]], c[:, :-1])
            loss = loss_fn(logits.reshape(-1, len(vocab)), c[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        print("epoch %d loss %.4f (%.0f s)" % (epoch + 1, total / captions.shape[0],
                                               time.time() - start), flush=True)
    for split in ("train", "test", "novel"):
        bleu, exact = evaluate(model, data, split, vocab)
        print("%s %s: BLEU-4 %.3f exact %.3f" % (mode, split, bleu, exact), flush=True)


if __name__ == "__main__":
    main()
