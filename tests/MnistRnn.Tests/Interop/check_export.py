"""Loads a model exported by `mnist-rnn export` in PyTorch and compares its logits with the C# model's.

Usage: check_export.py MODEL (.safetensors or .pt) CELL INPUT HIDDEN LAYERS BIDIRECTIONAL CLASSES
                       TEST_IMAGES_GZ TEST_LABELS_GZ CSHARP_LOGITS
CSHARP_LOGITS holds the C# model's logits for every test image, float32, row-major. Prints one JSON line.
safetensors is read by its published layout (8-byte little-endian header length, JSON header, raw data),
since Debian ships no safetensors package.
"""
import gzip
import json
import struct
import sys

import torch
from torch import nn


class Classifier(nn.Module):
    """The module the export's state_dict names describe: `recurrent` and `classifier`."""

    def __init__(self, cell, input_size, hidden_size, layers, bidirectional, classes):
        super().__init__()
        if cell in ("lstm", "gru"):
            self.recurrent = getattr(nn, cell.upper())(input_size, hidden_size, layers, batch_first=True, bidirectional=bidirectional)
        else:
            self.recurrent = nn.RNN(input_size, hidden_size, layers, nonlinearity="relu" if cell == "irnn" else "tanh",
                                    batch_first=True, bidirectional=bidirectional)
        self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), classes)

    def forward(self, x):
        out, _ = self.recurrent(x)
        h = self.recurrent.hidden_size
        final = torch.cat([out[:, -1, :h], out[:, 0, h:]], 1) if self.recurrent.bidirectional else out[:, -1]
        return self.classifier(final)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + begin:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(entry["shape"]).clone()
    return tensors, metadata


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def main(args):
    model_path, cell, input_size, hidden, layers, bidirectional, classes, images_path, labels_path, logits_path = args
    model = Classifier(cell, int(input_size), int(hidden), int(layers), bidirectional == "true", int(classes))
    if model_path.endswith(".safetensors"):
        state, metadata = read_safetensors(model_path)
    else:
        state, metadata = torch.load(model_path), {}
    model.load_state_dict(state)
    model.eval()
    images = read_idx(images_path).float() / 255
    labels = read_idx(labels_path).long()
    with torch.no_grad():
        logits = model(images)
    with open(logits_path, "rb") as f:
        theirs = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(logits.shape)
    print(json.dumps({
        "max_abs_diff": (logits - theirs).abs().max().item(),
        "python_accuracy": (logits.argmax(1) == labels).float().mean().item(),
        "csharp_accuracy": (theirs.argmax(1) == labels).float().mean().item(),
        "metadata": metadata,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
