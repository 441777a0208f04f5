"""k-sparse autoencoder and MP-SAE on scikit-learn's digits."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sparsela.nn import KSparseAutoencoder, MatchingPursuitAutoencoder


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _r2(X, Xhat):
    return 1.0 - ((X - Xhat) ** 2).sum() / ((X - X.mean(axis=0)) ** 2).sum()


def test_ksparse_autoencoder_on_digits(digits):
    Xtr, Xte, ytr, yte = digits
    ae = KSparseAutoencoder(64, 128, 24, random_state=0)
    ae.fit(Xtr, n_epochs=20, lr=1e-2)
    Hte, Htr = ae.encode(Xte), ae.encode(Xtr)
    assert ((Hte != 0).sum(axis=1) <= 24).all()
    # explained variance of the test reconstruction (PCA with 24
    # components: 0.926) and logistic regression on the codes
    r2 = _r2(Xte, ae.decode(Hte))
    with threadpool_limits(1):  # small problem: BLAS threads only wait
        clf = LogisticRegression(max_iter=2000).fit(Htr, ytr)
    acc = clf.score(Hte, yte)
    assert r2 >= 0.9, r2
    assert acc >= 0.9, acc
    assert ae.loss_[-1] < ae.loss_[0]


@pytest.mark.parametrize("tied", [True, False])
def test_ksparse_gradients(tied):
    rng = np.random.default_rng(1)
    ae = KSparseAutoencoder(5, 7, 3, tied=tied, random_state=0, dtype=np.float64)
    for p in ae.parameters():
        p[...] = rng.standard_normal(p.shape)
    X = rng.standard_normal((4, 5))

    def loss():
        return float(((ae.forward(X) - X) ** 2).sum())

    E = ae.forward(X) - X
    ae.backward(2 * E)
    h = 1e-6
    for p, g in zip(ae.parameters(), [g.copy() for g in ae.grads()], strict=True):
        for i in range(p.size):
            old = p.flat[i]
            p.flat[i] = old + h
            up = loss()
            p.flat[i] = old - h
            down = loss()
            p.flat[i] = old
            assert abs((up - down) / (2 * h) - g.flat[i]) < 1e-5


def _naive_mp(D, x, steps):
    """Textbook matching pursuit with non-negative picks (signed argmax)."""
    r, z = x.astype(np.float64).copy(), np.zeros(D.shape[0])
    for _ in range(steps):
        c = D @ r
        j = int(np.argmax(c))
        if c[j] <= 0:
            break
        z[j] += c[j]
        r -= c[j] * D[j]
    return z


def test_mp_autoencoder_on_digits(digits):
    Xtr, Xte, _, _ = digits
    sae = MatchingPursuitAutoencoder(64, 128, 8, random_state=0, dtype=np.float64)
    before = sae.reconstruction_error(Xte)
    sae.fit(Xtr, n_epochs=10)
    np.testing.assert_allclose(np.linalg.norm(sae.D, axis=1), 1.0, rtol=1e-12)
    errs = [sae.reconstruction_error(Xte, n_steps=t) for t in range(1, 13)]
    assert all(b < a for a, b in zip(errs, errs[1:], strict=False)), errs
    assert errs[7] < 0.2 * before
    # the encoder is matching pursuit: compare with the textbook loop
    Z = sae.encode(Xte[:20])
    for z, x in zip(Z, Xte[:20], strict=True):
        np.testing.assert_allclose(z, _naive_mp(sae.D, x - sae.b_pre, 8), atol=1e-9)
    assert (Z >= 0).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="k must be at most n_latents=4"):
        KSparseAutoencoder(3, 4, 5)
    with pytest.raises(ValueError, match="k_start must be at most"):
        KSparseAutoencoder(3, 4, 2).fit(np.ones((5, 3)), k_start=9)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\)"):
        KSparseAutoencoder(3, 4, 2).encode(np.ones((5, 4)))
    with pytest.raises(ValueError, match="n_steps must be >= 1"):
        MatchingPursuitAutoencoder(3, 4, 0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\)"):
        MatchingPursuitAutoencoder(3, 4, 2).encode(np.ones((5, 2)))
    with pytest.raises(TypeError, match="dtype"):
        MatchingPursuitAutoencoder(3, 4, 2, dtype=np.int64)
