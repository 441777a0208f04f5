"""Proximal operators: optimality of prox, values, conjugates, validation."""

import numpy as np
import pytest
from _utils import random_array, tol

from sparsela.penalties import (
    L0,
    L1,
    Box,
    ElasticNet,
    GroupL1,
    NonNegL1,
    Prox,
    WeightedL1,
)

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


# ---- the registry: one table of names -------------------------------------------
def test_registry_is_the_one_table():
    import sparsela.prox
    from sparsela.penalties import PENALTIES

    assert PENALTIES == {
        "l1": L1, "weighted_l1": WeightedL1, "l0": L0, "nonneg_l1": NonNegL1,
        "elastic_net": ElasticNet, "box": Box, "group_l1": GroupL1,
    }  # fmt: skip
    assert sparsela.prox.PENALTIES is PENALTIES
    for name in ("L0", "L1", "Box", "ElasticNet", "GroupL1", "NonNegL1", "Prox",
                 "WeightedL1"):  # fmt: skip
        assert getattr(sparsela.prox, name) is getattr(sparsela.penalties, name)


def test_make_penalty_by_name():
    from sparsela.penalties import make_penalty

    none = dict(weights=None, groups=None, l1_ratio=None, lower=None, upper=None)
    g = make_penalty("group_l1", 0.5, {**none, "groups": [[0, 1], [2]]})
    assert isinstance(g, GroupL1) and g.lam == 0.5 and g.n_groups == 2
    assert make_penalty("Elastic_Net", 1.0, none).l1_ratio == 0.5  # any case
    b = make_penalty("box", None, {**none, "upper": 2.0})
    assert isinstance(b, Box) and float(b.upper) == 2.0
    with pytest.raises(ValueError, match=r"one of \['box', 'elastic_net'"):
        make_penalty("l2", 1.0, none)
    with pytest.raises(ValueError, match="'l1' does not use groups"):
        make_penalty("l1", 1.0, {**none, "groups": [0]})
    with pytest.raises(TypeError, match="'group_l1' needs groups"):
        make_penalty("group_l1", 1.0, none)
    with pytest.raises(TypeError, match="lam is required"):
        make_penalty("l1", None, none)
    with pytest.raises(ValueError, match="lam must be None for penalty 'box'"):
        make_penalty("box", 1.0, none)


def test_a_registered_penalty_reaches_the_solvers(rng):
    """The solvers read names only from the registry: a new entry is usable."""
    from sparsela.penalties import PENALTIES, register
    from sparsela.solvers.proximal import fista, lambda_max

    @register
    class ScaledL1(L1):  # lam * 2 ||x||_1 through the weighted kernel
        name = "scaled_l1_test"
        options = ("weights",)

        def __init__(self, lam=1.0, *, weights=2.0):
            super().__init__(lam)
            self.w = float(weights)

        def _prox(self, V, steps, lam):
            return super()._prox(V, steps, self.w * lam)

        def _value(self, X, lam):
            return super()._value(X, self.w * lam)

        def _dual_norm(self, Z):  # the dual ball of lam h is ||z||_inf <= 2 lam
            return super()._dual_norm(Z) / self.w

    try:
        A = rng.standard_normal((20, 30))
        y = rng.standard_normal(20)
        res = fista(A, y, lam=0.3, penalty="scaled_l1_test", tol=1e-12)
        ref = fista(A, y, lam=0.6, tol=1e-12)
        assert res.converged and res.gap is not None
        assert res.objective == pytest.approx(ref.objective, rel=1e-10)
        assert lambda_max(A, y, penalty="scaled_l1_test") == pytest.approx(
            lambda_max(A, y) / 2
        )
    finally:
        del PENALTIES["scaled_l1_test"]


# ---- the trusted fast path ----------------------------------------------------------
def test_trusted_core_takes_one_lam_per_column(rng, dtype):
    dtype = np.dtype(dtype)
    V = random_array(rng, (N, 3), dtype)
    steps, lam = np.array([0.2, 1.0, 3.0]), np.array([0.1, 0.7, 2.0])
    w = np.linspace(0.5, 2.0, N)
    makers = [
        lambda l: L1(l),
        lambda l: WeightedL1(l, weights=w),
        lambda l: GroupL1(l, groups=GROUPS),
        lambda l: ElasticNet(l, l1_ratio=0.3),
        lambda l: L0(l),
    ]
    if dtype.kind == "f":
        makers.append(lambda l: NonNegL1(l))
    for make in makers:
        g = make(1.0)
        assert type(g)._has_fast_path()
        P = g._prox(np.ascontiguousarray(V), steps, lam)
        vals = g._value(P, lam)
        assert P.dtype == dtype and vals.dtype == np.float64
        for j in range(3):
            gj = make(lam[j])
            np.testing.assert_allclose(P[:, j], gj.prox(V[:, j], steps[j]),
                                       rtol=tol(dtype))  # fmt: skip
            assert vals[j] == pytest.approx(gj.value(P[:, j]), rel=1e-6)
            if gj.has_dual:
                s, c = g._dual_scale(np.ascontiguousarray(V), lam)
                sj, cj = gj.dual_scale(V[:, j])
                assert s[j] == pytest.approx(sj[0]) and c[j] == pytest.approx(cj[0])


def test_fast_path_only_when_not_overridden():
    class Ridge(Prox):
        def prox(self, v, step):
            return v / (1.0 + np.asarray(step))

        def value(self, x):
            return 0.5 * (np.abs(x) ** 2).sum(axis=0)

    class MyL1(L1):
        def prox(self, v, step):
            return super().prox(v, step)

    class MyFastL1(L1):
        def _prox(self, V, steps, lam):
            return super()._prox(V, steps, lam)

    assert all(c._has_fast_path() for c in (L1, WeightedL1, L0, NonNegL1, ElasticNet,
                                             Box, GroupL1))  # fmt: skip
    assert not Ridge._has_fast_path() and not MyL1._has_fast_path()
    assert MyFastL1._has_fast_path()


def test_alpha_max_and_dual_norm(rng):
    A = rng.standard_normal((20, N))
    Y = rng.standard_normal((20, 2))
    G0 = -A.T @ Y  # gradient of 1/2 ||A x - y||^2 at 0
    w = rng.uniform(0.5, 2.0, N)
    np.testing.assert_allclose(L1(1.0).alpha_max(G0), np.abs(A.T @ Y).max(axis=0))
    np.testing.assert_allclose(
        WeightedL1(1.0, weights=w).alpha_max(G0), (np.abs(A.T @ Y) / w[:, None]).max(0)
    )
    np.testing.assert_allclose(
        NonNegL1(1.0).alpha_max(G0), np.maximum((A.T @ Y).max(axis=0), 0)
    )
    np.testing.assert_allclose(
        ElasticNet(1.0, l1_ratio=0.25).alpha_max(G0), np.abs(A.T @ Y).max(0) / 0.25
    )
    gl = GroupL1(1.0, groups=GROUPS)
    want = max(np.linalg.norm(A[:, g].T @ Y[:, 0]) / np.sqrt(len(g)) for g in GROUPS)
    assert gl.alpha_max(G0[:, 0]) == pytest.approx(want)
    assert isinstance(L1(1.0).alpha_max(G0[:, 0]), float)
    with pytest.raises(NotImplementedError):
        L0(1.0).alpha_max(G0)


# ---- per-block pieces ------------------------------------------------------------
def _blockwise_prox(g, v, step):
    prox_block, _ = g.block_kernels()
    params = g.block_params(v.shape[0])
    perm, ptr = g.blocks(v.shape[0])
    out = v.copy()
    for j in range(ptr.size - 1):
        idx = perm[ptr[j] : ptr[j + 1]]
        block = np.ascontiguousarray(v[idx])
        prox_block(block, step, params, j)
        out[idx] = block
    return out


def test_block_prox_equals_the_vector_prox(rng, dtype):
    dtype = np.dtype(dtype)
    for g in _penalties(dtype):
        for step in (0.3, 1.7):
            v = 1.5 * random_array(rng, N, dtype)
            np.testing.assert_allclose(
                _blockwise_prox(g, v, step), g.prox(v, step),
                rtol=tol(dtype), atol=tol(dtype), err_msg=type(g).__name__,
            )  # fmt: skip


def test_block_params_and_blocks():
    w = np.linspace(0.0, 2.0, N)
    np.testing.assert_array_equal(L1(0.7).block_params(N), [0.7])
    np.testing.assert_array_equal(L1(0.7).block_params(N, lam=0.2), [0.2])
    np.testing.assert_array_equal(WeightedL1(0.7, weights=w).block_params(N),
                                  np.r_[0.7, w])  # fmt: skip
    gl = GroupL1(0.7, groups=GROUPS)
    np.testing.assert_allclose(gl.block_params(N), np.r_[0.7, gl.weights])
    perm, ptr = gl.blocks(N)
    assert [sorted(perm[ptr[j] : ptr[j + 1]].tolist()) for j in range(4)] == [
        sorted(g.tolist()) for g in GROUPS
    ]
    box = Box(lower=-1.0, upper=np.arange(N, dtype=float))
    np.testing.assert_array_equal(box.block_params(N), np.r_[np.full(N, -1.0),
                                                             np.arange(N)])  # fmt: skip
    with pytest.raises(ValueError, match="weights"):
        WeightedL1(0.7, weights=w).block_params(N + 1)
    with pytest.raises(ValueError, match="partition"):
        gl.blocks(N + 1)


def test_subdiff_distance_vanishes_at_the_solution(rng):
    """At a FISTA solution every block is stationary; at a random point not."""
    from sparsela.solvers.proximal import fista, lambda_max

    A = rng.standard_normal((20, N))
    y = A[:, :3] @ np.array([1.0, -2.0, 1.5]) + 0.05 * rng.standard_normal(20)
    cases = [
        ("l1", L1, {}),
        ("weighted_l1", WeightedL1, {"weights": np.linspace(0.2, 2.0, N)}),
        ("nonneg_l1", NonNegL1, {}),
        ("elastic_net", ElasticNet, {"l1_ratio": 0.4}),
        ("group_l1", GroupL1, {"groups": GROUPS}),
    ]
    for name, cls, params in cases:
        lam = 0.2 * lambda_max(A, y, penalty=name, **params)
        res = fista(A, y, lam=lam, penalty=name, tol=1e-14, max_iter=50000, **params)
        g = cls(lam, **params)
        _, dist = g.block_kernels()
        bp = g.block_params(N)
        perm, ptr = g.blocks(N)
        grad = A.T @ (A @ res.x - y)

        def worst(x, grad=grad, dist=dist, bp=bp, perm=perm, ptr=ptr):
            return max(
                dist(np.ascontiguousarray(x[perm[ptr[j] : ptr[j + 1]]]),
                     np.ascontiguousarray(grad[perm[ptr[j] : ptr[j + 1]]]), bp, j)
                for j in range(ptr.size - 1)
            )  # fmt: skip

        assert worst(res.x) <= 1e-6 * lam, name
        assert worst(np.abs(rng.standard_normal(N))) > 1e-2 * lam, name
    # box-constrained least squares, and an l0 fixed point
    res = fista(A, y, penalty="box", lower=-0.2, upper=0.3, tol=1e-13, max_iter=50000)
    box = Box(lower=-0.2, upper=0.3)
    grad = A.T @ (A @ res.x - y)
    _, dist = box.block_kernels()
    bp = box.block_params(N)
    assert max(dist(res.x[j : j + 1], grad[j : j + 1], bp, j) for j in range(N)) < 1e-6
