# FunctionBench cnn_serving (cnn_image_classification): classify an image with a small convolutional network. The
# original ran SqueezeNet in TensorFlow, which Debian lacks; this is PyTorch (as SeBS's image-recognition benchmark),
# and a network small enough for emulated VMs: blocks of 3x3 convolution, ReLU and 2x2 max-pooling, global average
# pooling and one linear layer. The model object (make_inputs.py writes it from a fixed torch seed) is
# torch.save({"config": {"input", "channels", "classes"}, "state_dict"}); loading it and building the network, and
# preprocessing the image plus the forward pass, are timed; the downloads are not.
import io
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

import kiln_store

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # ImageNet's normalization, as torchvision's models use
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class SmallCnn(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        layers, previous = [], 3
        for width in channels:
            layers += [nn.Conv2d(previous, width, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(previous, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def build(config):
    return SmallCnn(config["channels"], config["classes"])


def preprocess(image, side):
    pixels = np.asarray(image.convert("RGB").resize((side, side), Image.BILINEAR), dtype=np.float32) / 255.0
    return torch.from_numpy(((pixels - MEAN) / STD).transpose(2, 0, 1).copy()).unsqueeze(0)


def lambda_handler(event, context):
    model_data = kiln_store.get(event["model_key"])
    image_data = kiln_store.get(event["key"])
    start = time.perf_counter()
    saved = torch.load(io.BytesIO(model_data), map_location="cpu")
    model = build(saved["config"])
    model.load_state_dict(saved["state_dict"])
    model.eval()
    loaded = time.perf_counter()
    image = Image.open(io.BytesIO(image_data))
    with torch.no_grad():
        probabilities = torch.softmax(model(preprocess(image, saved["config"]["input"])), dim=1)[0]
    top = torch.topk(probabilities, min(5, probabilities.numel()))
    latency = time.perf_counter() - start
    return {"latency_s": latency, "load_s": loaded - start, "inference_s": latency - (loaded - start),
            "classes": probabilities.numel(), "class_index": int(top.indices[0]),
            "top5": [{"index": int(i), "probability": float(p)} for p, i in zip(top.values, top.indices)],
            "probability_sum": float(probabilities.sum()), "image_width": image.size[0],
            "image_height": image.size[1], "input": saved["config"]["input"]}
