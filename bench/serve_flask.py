"""The textbook baseline of bench/serve: the same published network served by a minimal Flask app
(under gunicorn), with NumPy for the forward pass. It reads the model.json that ServeBench exports
(the dequantized weights and the feature encoding, as lakeloop's compact predictor uses them) and
answers the same KServe v1 body with the same fields. It logs nothing: lakeloop's server also
fsyncs every answered row, so the comparison favours this one."""
from __future__ import annotations

import json
import os
import uuid

import numpy as np
from flask import Flask, jsonify, request

MODEL = json.load(open(os.environ["LAKELOOP_BENCH_MODEL"]))
NUMERIC = MODEL["numeric"]
CATEGORICAL = [(c["name"], {v: i for i, v in enumerate(c["vocabulary"])}) for c in MODEL["categorical"]]
LAYERS = [
    (np.array(l["W"], dtype=np.float64).reshape(l["in"], l["out"]), np.array(l["b"], dtype=np.float64), l["activation"])
    for l in MODEL["layers"]
]
WIDTH = 2 * len(NUMERIC) + sum(len(v) + 2 for _, v in CATEGORICAL)
CLASSES = ["stay", "churn"]

app = Flask(__name__)


def encode(instance: dict) -> np.ndarray:
    x = np.zeros(WIDTH)
    at = 0
    for f in NUMERIC:
        v = instance.get(f["name"])
        if v is None:
            x[at + 1] = 1.0
        else:
            x[at] = (float(v) - f["mean"]) / f["std"] if f["std"] > 0 else float(v) - f["mean"]
        at += 2
    for name, slots in CATEGORICAL:
        v = instance.get(name)
        x[at + (len(slots) + 1 if v is None else slots.get(str(v), len(slots)))] = 1.0
        at += len(slots) + 2
    return x


def forward(x: np.ndarray) -> np.ndarray:
    a = x
    for w, b, activation in LAYERS:
        z = a @ w + b
        if activation == "relu":
            a = np.maximum(z, 0)
        elif activation == "tanh":
            a = np.tanh(z)
        elif activation == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif activation == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            a = e / e.sum(axis=-1, keepdims=True)
        else:
            a = z
    return a


@app.post("/v1/models/<name>:predict")
def predict(name):
    instances = request.get_json()["instances"]
    probs = forward(np.stack([encode(i) for i in instances]))
    out = []
    for inst, p in zip(instances, probs):
        k = int(np.argmax(p))
        out.append({
            "request_id": inst.get("request_id") or str(uuid.uuid4()),
            "model_name": MODEL["model_name"], "model_version": MODEL["model_version"],
            "label": CLASSES[k], "class_index": k,
            "probabilities": {c: float(v) for c, v in zip(CLASSES, p)},
        })
    return jsonify({"predictions": out})
