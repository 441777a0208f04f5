"""A two-layer ReLU MLP trained with SGD-momentum on any layer objects."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


class Dense:
    """Plain dense layer with the layers' interface (the dense twin)."""

    def __init__(self, W, b):
        self.W, self.b = W.copy(), b.copy()
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def forward(self, X):
        self.X = X
        return X @ self.W.T + self.b

    def backward(self, dY):
        self.dW[...] = dY.T @ self.X
        self.db[...] = dY.sum(axis=0)
        return dY @ self.W

    def parameters(self):
        return [self.W, self.b]

    def grads(self):
        return [self.dW, self.db]


def digits_split(dtype=np.float64):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(dtype)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def init_weights(rng, sizes, dtype=np.float64):
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
        out.append((W.astype(dtype), np.zeros(fan_out, dtype=dtype)))
    return out


def predict(layers, X):
    H = np.asarray(layers[0].forward(X))
    return np.asarray(layers[1].forward(np.maximum(H, 0))).argmax(axis=1)


def train(layers, X, y, *, epochs=30, lr=0.05, batch=64, seed=0, callback=None):
    """SGD with momentum 0.9 on softmax cross-entropy; returns the layers."""
    rng = np.random.default_rng(seed)
    velocity = [np.zeros_like(p) for lay in layers for p in lay.parameters()]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for s in range(0, X.shape[0], batch):
            idx = order[s : s + batch]
            H = np.asarray(layers[0].forward(X[idx]))
            A = np.maximum(H, 0)
            Z = np.asarray(layers[1].forward(A))
            P = np.exp(Z - Z.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            P[np.arange(idx.size), y[idx]] -= 1
            dA = np.asarray(layers[1].backward(P / idx.size))
            layers[0].backward(dA * (H > 0))
            params = [p for lay in layers for p in lay.parameters()]
            grads = [g for lay in layers for g in lay.grads()]
            for p, g, v in zip(params, grads, velocity, strict=True):
                v *= 0.9
                v -= lr * g
                p += v
            step += 1
            if callback is not None:
                callback(step, layers)
    return layers
