"""Proximal operators: optimality of prox, values, conjugates, validation."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.prox import L0, L1, Box, ElasticNet, GroupL1, NonNegL1, Prox, WeightedL1

N = 12
GROUPS = [
    np.array([0, 5, 6]),
    np.array([1, 2]),
    np.array([3, 4, 7, 8, 9]),
    np.array([10, 11]),
]


def _penalties(dtype):
    w = np.linspace(0.0, 2.0, N)
    out = [
        L1(0.7),
        WeightedL1(0.7, weights=w),
        GroupL1(0.7, groups=GROUPS),
        GroupL1(0.7, groups=np.array([0, 1, 1, 2, 2, 0, 0, 2, 2, 2, 3, 3])),
        ElasticNet(0.7, l1_ratio=0.3),
        L0(0.7),
    ]
    if np.dtype(dtype).kind == "f":
        out += [NonNegL1(0.7), Box(lower=-0.5, upper=np.linspace(0.1, 1.0, N))]
    return out


def _phi(g, p, v, step):
    return 0.5 * np.sum(np.abs(p - v) ** 2) + step * g.value(p)


@pytest.mark.parametrize("step", [0.3, 1.7])
def test_prox_minimises_its_objective(rng, dtype, step):
    """``prox(v)`` beats random perturbations and random points (all penalties)."""
    dtype = np.dtype(dtype)
    rtol = 50 * tol(dtype)
    for g in _penalties(dtype):
        v = 1.5 * random_array(rng, N, dtype)
        p = g.prox(v, step)
        assert p.shape == v.shape and p.dtype == dtype
        best = _phi(g, p, v, step)
        for scale in (1e-3, 1e-1, 1.0):
            for _ in range(30):
                q = p + scale * random_array(
                    rng, N, np.float64 if dtype.kind == "f" else np.complex128
                )
                if isinstance(g, L0):  # compare with sparsity patterns too
                    q[rng.random(N) < 0.5] = 0
                assert best <= _phi(g, q, v, step) * (1 + rtol) + rtol, type(g).__name__


def test_l1_family_closed_forms(rng):
    v = np.array([3.0, -0.2, -1.0, 0.5])
    np.testing.assert_allclose(L1(0.5).prox(v, 2.0), [2.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(
        WeightedL1(1.0, weights=[0.0, 1.0, 0.5, 0.1]).prox(v, 1.0),
        [3.0, 0.0, -0.5, 0.4],
    )
    np.testing.assert_allclose(NonNegL1(0.25).prox(v, 2.0), [2.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(
        ElasticNet(1.0, l1_ratio=0.5).prox(v, 1.0), [2.5 / 1.5, 0.0, -0.5 / 1.5, 0.0]
    )
    # hard threshold at sqrt(2 * step * lam) = 1
    np.testing.assert_allclose(L0(0.25).prox(v, 2.0), [3.0, 0.0, 0.0, 0.0])
    z = np.array([3.0 + 4.0j, 1.0j])
    np.testing.assert_allclose(L1(1.0).prox(z, 1.0), [2.4 + 3.2j, 0.0])


def test_group_prox_closed_form():
    g = GroupL1(1.0, groups=[[0, 1], [2, 3]], weights=[1.0, 2.0])
    v = np.array([3.0, 4.0, 1.0, 1.0])
    np.testing.assert_allclose(g.prox(v, 1.0), [2.4, 3.2, 0.0, 0.0])
    assert g.value(v) == pytest.approx(5.0 + 2.0 * np.sqrt(2.0))
    # default weights: sqrt(group size)
    assert GroupL1(1.0, groups=[[0, 1], [2]]).weights == pytest.approx(
        [np.sqrt(2), 1.0]
    )


def test_values(rng):
    x = rng.standard_normal(N)
    w = rng.uniform(0, 2, N)
    assert L1(0.5).value(x) == pytest.approx(0.5 * np.abs(x).sum())
    assert WeightedL1(0.5, weights=w).value(x) == pytest.approx(0.5 * w @ np.abs(x))
    assert L0(0.5).value(np.array([0.0, 2.0, -1.0])) == pytest.approx(1.0)
    assert ElasticNet(2.0, l1_ratio=0.25).value(x) == pytest.approx(
        2.0 * (0.25 * np.abs(x).sum() + 0.375 * x @ x)
    )
    gl = GroupL1(0.5, groups=GROUPS)
    want = 0.5 * sum(np.sqrt(len(gi)) * np.linalg.norm(x[gi]) for gi in GROUPS)
    assert gl.value(x) == pytest.approx(want)
    assert NonNegL1(1.0).value(np.abs(x)) == pytest.approx(np.abs(x).sum())
    assert NonNegL1(1.0).value(x) == np.inf
    assert Box(lower=0.0).value(np.abs(x)) == 0.0
    assert Box(upper=0.0).value(np.abs(x)) == np.inf


def test_conjugates_fenchel_young(rng):
    """``g(x) + g*(z) = <x, z>`` for ``z`` a subgradient of ``g`` at ``x``."""
    x = rng.standard_normal(N)
    x[:3] = 0
    lam, a = 0.8, 0.4
    en = ElasticNet(lam, l1_ratio=a)
    u = rng.uniform(-1, 1, N)  # subgradient of |.| at 0
    z = lam * a * np.where(x != 0, np.sign(x), u) + lam * (1 - a) * x
    s, c = en.dual_scale(z)
    assert s[0] == 1.0
    assert en.value(x) + c[0] == pytest.approx(x @ z)
    # norm penalties: the conjugate is the indicator of the dual ball and the
    # scaling puts z on the ball when it is outside
    for g in (
        L1(lam),
        WeightedL1(lam, weights=rng.uniform(0.5, 2, N)),
        GroupL1(lam, groups=GROUPS),
    ):
        z = rng.standard_normal(N) * 10
        s, c = g.dual_scale(z)
        assert c[0] == 0.0 and 0 < s[0] < 1
        assert g.dual_norm(s[0] * z) == pytest.approx(lam)
        s_in, _ = g.dual_scale(z * 1e-6)
        assert s_in[0] == 1.0
    nn = NonNegL1(lam)
    z = rng.standard_normal(N)
    s, _ = nn.dual_scale(z)
    assert np.max(s[0] * z) <= lam * (1 + 1e-12)


def test_batch_prox_equals_columns(rng, dtype):
    dtype = np.dtype(dtype)
    steps = np.array([0.1, 1.0, 3.0])
    for g in _penalties(dtype):
        V = random_array(rng, (N, 3), dtype)
        P = g.prox(V, steps)
        vals = g.value(P)
        assert vals.shape == (3,)
        for j in range(3):
            np.testing.assert_allclose(
                P[:, j], g.prox(V[:, j], steps[j]), rtol=tol(dtype)
            )
            assert vals[j] == pytest.approx(g.value(P[:, j]), rel=1e-6)


def test_prox_subclass_protocol():
    class Ridge(Prox):
        def __init__(self, lam):
            self.lam = lam

        def prox(self, v, step):
            return v / (1.0 + np.asarray(step) * self.lam)

        def value(self, x):
            return 0.5 * self.lam * (np.abs(x) ** 2).sum(axis=0)

    r = Ridge(1.0)
    np.testing.assert_allclose(r(np.array([2.0, 4.0]), 1.0), [1.0, 2.0])
    assert not r.has_dual
    with pytest.raises(NotImplementedError):
        Prox().prox(np.ones(2), 1.0)


def test_has_dual():
    assert L1(1.0).has_dual and not L1(0.0).has_dual
    assert not WeightedL1(1.0, weights=[0.0, 1.0]).has_dual
    assert WeightedL1(1.0, weights=[0.5, 1.0]).has_dual
    assert ElasticNet(1.0, l1_ratio=0.0).has_dual
    assert not L0(1.0).has_dual and not Box(0.0, 1.0).has_dual
    assert not L0(1.0).convex


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: L1(-1.0), "lam"),
        (lambda: L1(np.nan), "lam"),
        (lambda: WeightedL1(1.0, weights=[1.0, -1.0]), "weights"),
        (lambda: WeightedL1(1.0, weights=[1.0, np.nan]), "weights"),
        (lambda: GroupL1(1.0, groups=[[0, 1], [1, 2]]), "partition"),
        (lambda: GroupL1(1.0, groups=[[0, 1], [3]]), "partition"),
        (lambda: GroupL1(1.0, groups=[[0, 1], []]), "empty"),
        (lambda: GroupL1(1.0, groups=[[0, -1], [1]]), "partition"),
        (lambda: GroupL1(1.0, groups=[[0], [1]], weights=[1.0]), "weights"),
        (lambda: GroupL1(1.0, groups=[[0], [1]], weights=[1.0, -2.0]), "weights"),
        (lambda: ElasticNet(1.0, l1_ratio=1.5), "l1_ratio"),
        (lambda: Box(lower=1.0, upper=0.0), "lower"),
        (lambda: Box(lower=np.nan), "lower"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_sizes_and_types():
    with pytest.raises(ValueError, match="weights"):
        WeightedL1(1.0, weights=np.ones(3)).prox(np.ones(4), 1.0)
    with pytest.raises(ValueError, match="partition"):
        GroupL1(1.0, groups=[[0, 1], [2]]).check_size(4)
    with pytest.raises(ValueError, match="lower"):
        Box(lower=np.zeros(3)).check_size(4)
    with pytest.raises(TypeError, match="real"):
        NonNegL1(1.0).prox(np.ones(3, dtype=complex), 1.0)
    with pytest.raises(TypeError, match="real"):
        Box(0.0, 1.0).prox(np.ones(3, dtype=complex), 1.0)
    with pytest.raises(TypeError, match="integers"):
        GroupL1(1.0, groups=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="step"):
        L1(1.0).prox(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="lam_max"):
        ElasticNet(1.0, l1_ratio=0.0).dual_norm(np.ones(3))
