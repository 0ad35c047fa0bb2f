"""Trains the exported module's architecture in PyTorch for a few steps and saves it for MnistRnn to import.

Usage: train_in_pytorch.py OUT_PREFIX CELL INPUT HIDDEN LAYERS BIDIRECTIONAL CLASSES IMAGES_GZ LABELS_GZ
Writes OUT_PREFIX.pt (torch.save of the state_dict), OUT_PREFIX.safetensors (by the published layout) and
OUT_PREFIX.logits (float32 logits of the first 1,000 images, row-major), all from the same weights.
"""
import json
import struct
import sys

import torch

from check_export import Classifier, read_idx


def write_safetensors(path, state):
    header, offset, blobs = {}, 0, []
    for name, tensor in state.items():
        data = tensor.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def main(args):
    prefix, cell, input_size, hidden, layers, bidirectional, classes, images_path, labels_path = args
    torch.manual_seed(0)
    model = Classifier(cell, int(input_size), int(hidden), int(layers), bidirectional == "true", int(classes))
    images = read_idx(images_path).float() / 255
    labels = read_idx(labels_path).long()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(20):
        batch = slice(1000 + step * 100, 1100 + step * 100)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
        optimizer.step()
    model.eval()
    state = model.state_dict()
    torch.save(state, prefix + ".pt")
    write_safetensors(prefix + ".safetensors", state)
    with torch.no_grad():
        logits = model(images[:1000])
    with open(prefix + ".logits", "wb") as f:
        f.write(logits.contiguous().numpy().tobytes())


if __name__ == "__main__":
    main(sys.argv[1:])
