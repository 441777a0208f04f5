"""Problem generators: structure, seeding and the IRS-MIMO model."""

from functools import reduce

import numpy as np
import pytest

from sparsela.datasets import (
    irs_mimo_channel,
    make_kron_problem,
    make_sparse_problem,
    steering_dictionary,
)


def _khatri_rao(A, B):
    return np.einsum("ik,jk->ijk", A, B).reshape(A.shape[0] * B.shape[0], -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_make_sparse_problem(dtype):
    A, y, x, nv = make_sparse_problem(40, 90, 6, snr_db=15, dtype=dtype, random_state=3)
    assert A.shape == (40, 90) and y.shape == (40,) and x.shape == (90,)
    assert A.dtype == y.dtype == x.dtype == np.dtype(dtype)
    assert np.count_nonzero(x) == 6
    clean = A.astype(np.complex128) @ x
    assert nv == pytest.approx(np.mean(np.abs(clean) ** 2) / 10**1.5, rel=1e-5)
    # same seed, same problem
    A2, y2, x2, _ = make_sparse_problem(
        40, 90, 6, snr_db=15, dtype=dtype, random_state=3
    )
    np.testing.assert_array_equal(A, A2)
    np.testing.assert_array_equal(y, y2)


def test_make_sparse_problem_shared_support_and_noiseless():
    A, Y, X, nv = make_sparse_problem(
        30, 50, 4, n_signals=5, snr_db=None, random_state=0
    )
    assert Y.shape == (30, 5) and X.shape == (50, 5)
    rows = np.flatnonzero(np.abs(X).sum(axis=1))
    assert rows.size == 4
    assert nv == 0.0
    np.testing.assert_allclose(Y, A @ X)


def test_make_sparse_problem_bad_inputs():
    with pytest.raises(ValueError, match="n_nonzero"):
        make_sparse_problem(10, 5, 6)
    with pytest.raises(TypeError, match="dtype"):
        make_sparse_problem(10, 20, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="random_state"):
        make_sparse_problem(10, 20, 2, random_state="seed")


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_make_kron_problem_structure(dtype):
    shapes = ((3, 5), (4, 6), (2, 4))
    p = make_kron_problem(shapes, (2, 3, 1), snr_db=20, dtype=dtype, random_state=1)
    H = reduce(np.kron, p.factors)
    assert H.shape == (24, 120)
    # x is Kronecker-supported on the product of the per-mode supports
    mask = reduce(
        np.kron,
        [
            np.isin(np.arange(n), s)
            for (_, n), s in zip(shapes, p.supports, strict=True)
        ],
    )
    np.testing.assert_array_equal(p.x != 0, mask)
    # the residual is the noise: its power matches noise_var on average
    clean = H @ p.x
    assert p.noise_var == pytest.approx(np.mean(np.abs(clean) ** 2) / 100, rel=1e-10)
    assert p.y.dtype == np.dtype(dtype)


def test_make_kron_problem_defaults_are_the_study():
    p = make_kron_problem(random_state=0)
    assert [A.shape for A in p.factors] == [(8, 15), (12, 15), (15, 15)]
    assert np.count_nonzero(p.x) == 27
    with pytest.raises(ValueError, match="n_nonzero"):
        make_kron_problem(((3, 4), (3, 4)), (1, 2, 3))
    with pytest.raises(ValueError, match="exceeds"):
        make_kron_problem(((3, 4), (3, 4)), 5)


def test_steering_dictionary_formula():
    D = steering_dictionary(5, 7)
    n = np.arange(5)[:, None]
    ref = np.exp(1j * np.pi * (2 * np.arange(7) / 7 - 1) * n) / np.sqrt(5)
    np.testing.assert_allclose(D, ref)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_irs_mimo_kronecker_model_matches_physical_channel(seed):
    p = irs_mimo_channel(snr_db=15, random_state=seed)
    # received pilots from the physical channels, as the authors' code builds
    # them: y_bar = kr(X^T H1^T, H2) θ, stacked configuration by configuration
    y_bar = _khatri_rao(p.pilots.T @ p.H1.T, p.H2) @ p.irs_phases
    y_phys = y_bar.reshape(-1, order="F")
    y_kron = reduce(np.kron, p.factors) @ p.x
    np.testing.assert_allclose(y_kron, y_phys, atol=1e-10 * np.abs(y_phys).max())
    # noise at the requested SNR
    assert p.noise_var == pytest.approx(
        np.mean(np.abs(y_phys) ** 2) / 10**1.5, rel=1e-10
    )
    # 3 x 1 x 3 block support, cyclic blocks of width 3 in modes 0 and 2
    assert p.support.size == 9
    assert [s.size for s in p.mode_supports] == [3, 1, 3]
    for mode in p.block_modes:
        s = p.mode_supports[mode]
        gaps = np.diff(np.sort(np.r_[s, s[0] + 18]))
        assert sorted(gaps.tolist()) == [1, 1, 16]
    # the channel NMSE is computed against H_t = H2 diag(θ_t) H1
    H_t = np.stack([p.H2 @ np.diag(p.irs_phases[:, t]) @ p.H1 for t in range(6)])
    np.testing.assert_allclose(p.true_channels(), H_t)
    np.testing.assert_allclose(p.channels_from_x(p.x), H_t, atol=1e-10)
    assert p.channel_nmse(p.x) < 1e-20
    assert p.channel_nmse(np.zeros_like(p.x)) == pytest.approx(1.0)


def test_irs_mimo_given_pilots_and_phases():
    rng = np.random.default_rng(0)
    X = np.exp(2j * np.pi * rng.random((4, 2))) / 2
    theta = np.sign(rng.standard_normal((16, 3))) / 4
    p = irs_mimo_channel(
        n_ms=4,
        n_bs=8,
        n_irs=16,
        grid=10,
        n_pilots=2,
        n_configs=3,
        angle_spread=2,
        pilots=X,
        irs_phases=theta,
        random_state=1,
    )
    np.testing.assert_array_equal(p.pilots, X)
    np.testing.assert_array_equal(p.irs_phases, theta)
    assert p.y.shape == (3 * 2 * 8,)
    with pytest.raises(ValueError, match="pilots"):
        irs_mimo_channel(pilots=np.ones((2, 2)))
    with pytest.raises(ValueError, match="angle_spread"):
        irs_mimo_channel(grid=4, angle_spread=5)
