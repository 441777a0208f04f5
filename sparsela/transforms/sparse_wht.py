"""Sub-linear sparse Walsh-Hadamard transform: SPRIGHT and SparseFHT."""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np
from scipy.special import gammainccinv, gammaincinv

from .._result import SparseWHTResult, Status
from .._scaling import max_abs, shifts
from .._validation import (
    check_array,
    check_positive_int,
    check_power_of_two,
    check_scalar,
)
from ..kernels.cpu.sparse_wht import (
    bin_energies,
    bin_observations,
    bin_residuals,
    peel,
    random_gl2,
    sample_plan,
)
from ..kernels.cpu.wht import ORDERINGS, _bit_reverse

__all__ = ["density_evolution_threshold", "sparse_wht"]

METHODS = ("spright", "sparsefht")
HASHINGS = ("random", "bits")
MAX_BITS = 62
#: default number of random-offset delay chains of SPRIGHT
DEFAULT_CHAINS = 5
#: false-alarm probability of the zero-ton test, over all bins of one call
FALSE_ALARM = 1e-5
#: noise floor, in units of the precision's machine epsilon (amplitude)
FLOOR_EPS = 100.0
#: fewest observations per bin for a blind decode of noisy samples
BLIND_MIN_OBS = 4
#: smallest share of the bins that the jump rule may call zero-tons
JUMP_MIN_FRACTION = 0.02
#: least-squares refit sweeps after a complete SPRIGHT decode
N_REFINE = 1
#: largest bin power (per observation) decoded without rescaling: beyond it
#: (or below its inverse) the bin energies, squares of up to N times the
#: samples, over- or underflow, and the samples are scaled by a power of two
SAFE_POWER = 2.0**500


def _ldexp(v, e):
    """``v * 2**e``: exact (a change of exponent), real or complex."""
    if v.dtype.kind == "c":
        out = np.empty_like(v)
        out.real, out.imag = np.ldexp(v.real, e), np.ldexp(v.imag, e)
        return out
    return np.ldexp(v.astype(np.result_type(v.dtype, np.float32), copy=False), e)


def _unscaled_square(v, shift):
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(v, -2 * shift))


def _scale_shift(vals):
    """The exponent ``e`` with ``max |vals| * 2**e`` in ``[0.5, 1)`` (0 for
    zeros)."""
    return int(shifts(max_abs(vals.reshape(-1))))


# ---------------------------------------------------------------------------
# stage design (n <= 62 bits, GF(2) matrices as arrays of integer column masks)
# ---------------------------------------------------------------------------


def _stage_matrices(n, b, n_stages, hashing, seed):
    """Columns of ``G_c`` and of ``(G_c^T)^{-1}`` for every stage: two int64
    arrays of shape ``(C, n)``."""
    if hashing == "bits":
        # SparseFHT deterministic design: bucket = b cyclic bits from a_c
        G = np.empty((n_stages, n), dtype=np.int64)
        for c in range(n_stages):
            a_c = round(c * n / n_stages)
            G[c] = [1 << ((a_c + t) % n) for t in range(n)]
        return G, G.copy()  # permutation matrices: (G^T)^{-1} = G
    # uniform on GL(n, 2), drawn in Numba
    return random_gl2(seed, n, n_stages)


# ---------------------------------------------------------------------------
# orderings of the output index
# ---------------------------------------------------------------------------


def _natural_to_ordered(k, n, ordering):
    """Index ``s`` of natural row ``k`` in ``ordering`` (inverse permutation)."""
    if ordering == "natural":
        return k
    r = _bit_reverse(k, n)
    if ordering == "dyadic":
        return r
    # sequency: k = bitrev(gray(s)) -> s = gray^{-1}(bitrev(k)) (prefix xor)
    shift = 1
    while shift < n:
        r = r ^ (r >> shift)
        shift *= 2
    return r


# ---------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _zero_quantile(P, is_complex, n_bins):
    """``tau / nu^2`` such that a noise-only bin exceeds it with probability
    ``FALSE_ALARM / n_bins``: ``||U||^2 / nu^2`` is Gamma(P, 1) for complex
    noise and ``2 Gamma(P/2, 1)`` for real noise."""
    y = FALSE_ALARM / n_bins
    if is_complex:
        return float(gammainccinv(P, y))
    return 2.0 * float(gammainccinv(P / 2.0, y))


def _blind_noise_var(U, E, P, floor, is_complex, kmap, dmasks, n_chains, b):
    """Per-observation noise variance estimated from the bins alone.

    Two estimates, the smaller kept (an underestimate makes the decoder report
    failure, an overestimate would hide coefficients):

    * C++ SPRIGHT rule: sort the bin energies, accumulate from the smallest
      until the next one is at least ten times the previous; those are
      zero-tons (needs some empty bins; the group must hold at least 2% of
      the bins, else a chance step in the lower tail of the noise passes
      for it);
    * median over all bins of the residual after the detector's best
      single-ton fit, which is pure noise for zero- and single-tons (needs
      half the bins not to be multi-tons), scaled by the median of its
      Gamma law.
    """
    e = np.sort(np.maximum(E.ravel(), P * floor))
    # the zero-ton group must be a real group: in the lower tail of the
    # noise energies (few observations per bin, many bins) a tenfold step
    # between the two smallest happens by chance
    k_min = max(2, math.ceil(JUMP_MIN_FRACTION * e.size))
    jump = e[k_min:] >= 10.0 * e[k_min - 1 : -1]
    nu_jump = math.inf
    if e.size > k_min and jump.any():
        k = int(jump.argmax()) + k_min
        nu_jump = float(e[:k].sum()) / (k * P)
    if nu_jump <= floor * (1.0 + 1e-9):  # (round-off of the mean)
        # nu_jump is at least the floor: at the floor (clean data) the
        # minimum is known without the residual pass over every bin
        return floor
    nu_res = math.inf
    if P >= 2:
        r = bin_residuals(U, kmap, dmasks, n_chains, b)
        shape, scale = (P - 1.0, 1.0) if is_complex else ((P - 1.0) / 2.0, 2.0)
        nu_res = float(np.median(r)) / (scale * _gamma_median(shape))
    nu = min(nu_jump, nu_res)
    if not math.isfinite(nu):  # one bin per stage and one observation per bin
        nu = float(e[0]) / P
    return nu


@functools.lru_cache(maxsize=64)
def _gamma_median(shape):
    return float(gammainccinv(shape, 0.5))


@functools.lru_cache(maxsize=32)
def density_evolution_threshold(n_stages: int) -> float:
    """Largest load ``beta = K/B`` for which peeling succeeds asymptotically:
    ``(1 - exp(-beta p))**(C - 1) < p`` for all ``p`` in (0, 1].

    Examples
    --------
    >>> from sparsela.transforms.sparse_wht import density_evolution_threshold
    >>> [round(density_evolution_threshold(c), 3) for c in (2, 3, 4)]
    [1.0, 2.455, 3.089]
    """
    if n_stages < 2:
        return 0.0
    p = np.linspace(1e-6, 1.0, 200_001)

    def ok(beta):
        return bool(np.all((1.0 - np.exp(-beta * p)) ** (n_stages - 1) < p))

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def _unexplained_energy(residual, n_bins, P, n_found, noise_var, is_complex):
    """Residual energy over the most that noise of variance ``noise_var``
    explains at the false-alarm level (above 1: signal left in the bins).

    Each zero-ton test looks at one bin: a coefficient below its threshold
    passes for noise there, in every one of its ``C`` bins. Summed over all
    bins the noise energy is a Gamma law with ``n_bins P`` (complex) degrees
    of freedom, less one per fitted amplitude, and hidden coefficients stand
    out of it.
    """
    if noise_var <= 0 or n_bins * P <= n_found:
        return 0.0
    dof = n_bins * P - n_found
    shape, scale = (dof, 1.0) if is_complex else (dof / 2.0, 2.0)
    return residual / (scale * float(gammainccinv(shape, FALSE_ALARM)) * noise_var)


def _blind_estimate_doubt(
    U, P, floor, noise_var, is_complex, kmap, dmasks, n_chains, b
):
    """Reason to distrust a blind noise estimate after a complete decode.

    Every bin's residual after the detector's best single-ton fit must look
    like noise of the estimated level. A bin far quieter than that (below
    the ``FALSE_ALARM / n_bins`` quantile of its Gamma law, with two degrees
    of freedom spared for the fits) means the estimate is inflated:
    overloaded bins were mistaken for noise, and a coefficient explains that
    bin although it stayed below the threshold.
    """
    C, B, _ = U.shape
    if P < 3:
        return ""
    R = np.maximum(bin_residuals(U, kmap, dmasks, n_chains, b), P * floor)
    shape, scale = (P - 2.0, 1.0) if is_complex else ((P - 2.0) / 2.0, 2.0)
    q_lo = scale * float(gammaincinv(shape, FALSE_ALARM / (C * B)))
    n_quiet = int(np.count_nonzero(R < q_lo * noise_var))
    if n_quiet:
        return (
            f"blind noise estimate inconsistent: {n_quiet} of {C * B} bins are "
            "far quieter than the estimated noise"
        )
    return ""


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------


def _make_sampler(signal, N):
    if callable(signal):
        if N is None:
            raise ValueError("N must be given when signal is a callable")
        n = check_power_of_two(N, "N")
        if n > MAX_BITS:
            raise ValueError(f"N must be at most 2**{MAX_BITS}, got 2**{n}")

        def sample(idx):
            try:
                vals = signal(idx)
            except Exception as exc:
                raise ValueError(
                    f"signal (callable) failed on an int64 index array: {exc}"
                ) from exc
            vals = check_array(vals, "signal(idx)", allow_int=True)
            if vals.shape != idx.shape:
                raise ValueError(
                    f"signal(idx) must return an array of shape {idx.shape} "
                    f"(one sample per index), got shape {vals.shape}"
                )
            return vals

        return sample, int(N), n
    # NaN/Inf are checked on the samples read, not on all N values: the
    # transform stays sub-linear for array input too
    arr = check_array(
        signal, "signal", ndim=1, allow_int=True, allow_empty=False, finite=False
    )
    n_len = arr.shape[0]
    if n_len & (n_len - 1):
        raise ValueError(
            f"signal must have a power-of-two length, got {n_len}; for a "
            "function pass a callable and N"
        )
    if N is not None:
        check_positive_int(N, "N")
        if int(N) != n_len:
            raise ValueError(f"N={N} does not match len(signal)={n_len}")

    def sample_array(idx):
        vals = arr[idx]
        if not np.isfinite(vals).all():
            raise ValueError("signal contains NaN or Inf (among the samples read)")
        return vals

    return sample_array, n_len, n_len.bit_length() - 1


def _splitmix64(z):
    z = (z + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def _seeds(random_state):
    """Two 32-bit seeds for the Numba generator of the design."""
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, (bool, np.bool_)
    ):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        # a fixed integer mix (SplitMix64): same int, same design; far cheaper
        # than a SeedSequence for this sub-millisecond transform
        z = _splitmix64(int(random_state) & 0xFFFFFFFFFFFFFFFF)
        return z & 0xFFFFFFFF, z >> 32
    if isinstance(random_state, np.random.Generator):
        return random_state.integers(2**32, size=2)
    if not isinstance(random_state, np.random.SeedSequence):
        try:
            random_state = np.random.SeedSequence(random_state)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "random_state must be None, an int, a SeedSequence or a "
                f"Generator, got {random_state!r}"
            ) from exc
    return random_state.generate_state(2)


def _check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


# ---------------------------------------------------------------------------
# public function
# ---------------------------------------------------------------------------


def sparse_wht(
    signal: Any,
    N: int | None = None,
    *,
    sparsity: int,
    method: str = "spright",
    normalized: bool = False,
    ordering: str = "natural",
    snr_db: float | None = None,
    stages: int | None = None,
    bins: int | None = None,
    delays: str | int = "auto",
    hashing: str = "random",
    max_iter: int = 100,
    return_dense: bool = False,
    random_state: Any = None,
) -> SparseWHTResult:
    """Sparse Walsh-Hadamard transform from a sub-linear number of samples.

    Recovers the ``K`` non-zero coefficients of ``X = fwht(x, normalized=...,
    ordering=...)`` by reading ``O(K log N)`` samples of ``x`` (SPRIGHT, or
    the noiseless SparseFHT design) instead of all ``N``.

    Parameters
    ----------
    signal : array_like of shape (N,) or callable
        The time-domain signal ``x`` (one signal, real or complex; ``N`` a
        power of two), or a function returning ``x[idx]`` for an int64 array
        ``idx`` of indices in ``[0, N)`` (same shape out as in), so that a
        signal of ``2**40`` points never has to be held in memory.
    N : int, optional
        Length of the signal; required with a callable (a power of two, at
        most ``2**62``), checked against ``len(signal)`` otherwise.
    sparsity : int
        Target number ``K`` of non-zero coefficients, ``1 <= K < N``. Sets
        the default number of bins; the decoder finds up to about
        ``3 B`` coefficients (4 stages) whatever ``K`` says.
    method : {"spright", "sparsefht"}, default="spright"
        ``"spright"``: robust design for noisy samples (random-offset delay
        chains, soft detector, blind noise estimation, single-ton
        re-verification, least-squares refit). ``"sparsefht"``: the noiseless
        design of Scheibler et al. (``n - b + 1`` delays per stage, exact
        single-ton tests at the rounding level): fewest samples, exact data.
    normalized : bool, default=False
        Convention of the coefficients, as in :func:`~sparsela.fwht`:
        ``X = H x`` (False) or ``X = H x / sqrt(N)`` (True).
    ordering : {"natural", "sequency", "dyadic"}, default="natural"
        Index order of the coefficients, as in :func:`~sparsela.fwht`.
    snr_db : float, optional
        Known signal-to-noise ratio: average power of one non-zero
        coefficient over the total noise power, both in the orthonormal
        transform domain (equivalently the time-domain SNR
        ``||x_clean||^2 / ||w||^2`` divided by ``K``). Sets the noise level
        of the thresholds; when omitted SPRIGHT estimates it blindly from the
        bins and SparseFHT assumes noiseless data.
    stages : int, optional
        Number ``C`` of subsampling stages, default 4. Peeling succeeds up to
        a load ``K/B`` of 2.455 with 3 stages and 3.089 with 4; at the default
        load (``K/B <= 1``) 3 stages also fail in about 1% of the draws, when
        two coefficients share their bin in every stage, and 4 stages bring
        that below 0.1% for a third more samples.
    bins : int, optional
        Bins per stage ``B`` (a power of two, at most ``N``); default the
        smallest power of two ``>= K``.
    delays : {"auto", "noiseless"} or int, default="auto"
        ``"noiseless"``: one chain ``{0, delta_1, ..., delta_{n-b}}`` per
        stage; an int: that many chains with random offsets (robust to noise;
        the samples grow in proportion). ``"auto"``: noiseless for SparseFHT;
        for SPRIGHT 5 chains, read adaptively when the noise level is blind
        (no ``snr_db``): the first chain of every stage is read, and the
        other four only if its bins are not clean to the rounding level or
        the one-chain decode fails (so exact data cost what SparseFHT costs,
        noisy data the full robust design). Chains are drawn so that every
        delay of a stage reads its own samples (a delay in the coset of
        another would repeat its noise); with many bins (``n - b`` small)
        fewer chains fit, down to one.
    hashing : {"random", "bits"}, default="random"
        Subsampling matrices: independent uniformly random invertible GF(2)
        matrices, or cyclic windows of ``b`` index bits (the deterministic
        SparseFHT design of [1]_). Random hashing is the default for both
        methods: bit windows are correlated across stages and leave small
        stopping sets (four coefficients pairwise colliding) at loads well
        below the threshold when ``b`` is a large fraction of ``n``, and they
        fail on supports concentrated in a few index bits.
    max_iter : int, default=100
        Maximal number of peeling rounds.
    return_dense : bool, default=False
        Also return the dense length-``N`` coefficient vector in ``x``.
    random_state : int, SeedSequence, Generator or None, default=None
        Seed of the random hashing matrices and delay offsets.

    Returns
    -------
    result : SparseWHTResult
        ``support`` (sorted int64 indices in ``ordering``), ``coefficients``
        (their values; real for real input, float32/complex64 precision kept),
        ``x`` (dense coefficients with ``return_dense=True``, else None),
        ``n_samples`` (samples read, ``C * P * B`` for the ``P`` delays
        used, repeats included),
        ``n_iter`` (peeling rounds), ``converged`` (every bin explained at the
        end: no multi-ton or unpeeled single-ton left, and with ``snr_db`` no
        more energy left than the noise explains), ``status`` (a
        :class:`~sparsela.Status`: 0 converged, 1 round limit reached while
        still peeling, 5 ``PEELING_STALLED``: unexplained bins left, or a
        blind decode whose noise level cannot be trusted), ``message``,
        ``residual_norm`` (RMS over the observations of the bin residual, in
        the coefficients' normalisation; noise level when all is explained)
        and ``history``
        (``peeled``: single-tons peeled per round; ``noise_var``: the
        per-observation noise variance used, a square of the signal's units,
        ``inf`` or 0 where that is not representable; ``bins``, ``stages``,
        ``delays_per_stage``).

    Raises
    ------
    ValueError
        For ``sparsity >= N``, a length or ``N`` that is not a power of two,
        a callable returning the wrong shape or NaN/Inf, NaN/Inf among the
        samples read from an array (values never read are not checked),
        unknown options, coefficients not representable in the output
        precision.
    TypeError
        For non-numeric samples or options of the wrong type.

    Notes
    -----
    Stage ``c`` reads ``u[l] = x[M_c l ^ d]`` for ``l < B = 2**b`` and each
    delay ``d``; by the aliasing property of the transform [1]_ [2]_,
    ``(N / B) FWHT_B(u)[j] = sum_{k: M_c^T k = j} X[k] (-1)**<d, k>``: every
    bin sums the coefficients hashed to it, signed by the delay. A bin with a
    single coefficient (single-ton) reveals its index bit by bit from the
    sign flips between delays ``r`` and ``r ^ delta_i``, and its value by
    least squares; it is then subtracted from its bins in the other stages
    (peeling), which turns multi-tons into single-tons. The decoding is a
    peeling decoder on a random sparse graph: it succeeds with high
    probability while the load ``K/B`` is below the density-evolution
    threshold (2.455 for 3 stages, 3.089 for 4).

    Bins are classified against the noise variance ``nu^2`` of one
    observation (from ``snr_db``, estimated blindly, or the rounding floor
    ``(100 eps)^2`` times the largest bin power, whichever is larger): a bin
    is a zero-ton when ``||U||^2`` lies below the ``1 - 1e-5 / (C B)``
    quantile of the energy of a noise-only bin (a Gamma law), a single-ton
    when one signature explains it to within the same threshold, a multi-ton
    otherwise. SPRIGHT peels a single-ton only if that lowers the energy of
    its bins in at least half of the other stages (re-verification), and
    refits every amplitude by least squares once all bins are explained.
    Coefficients with ``P |X[k]|^2`` below the threshold are not detected.

    Samples: ``C * P * B`` with ``P = chains * (n - b + 1)`` (``history``
    reports ``P`` as ``delays_per_stage``); time:
    ``C P B log B`` for the small transforms plus ``O(K C P n)`` for peeling.
    The transform is computed in double precision; ``float32`` input keeps
    ``float32`` output and sets the detection floor at ``100 eps32``.

    With ``snr_db`` given the noise level is known, and a complete decode is
    checked as a whole: the residual energy of all bins (plus that of
    peeled amplitudes dropped below the threshold) must lie below the
    ``1 - 1e-5`` quantile of the noise energy (a Gamma law with ``C B P``
    degrees of freedom). A coefficient too weak for the zero-ton test of each
    of its bins still stands out of that sum; the decode then reports
    ``PEELING_STALLED`` instead of claiming a complete support.

    A failed decode (load above the threshold, SNR too low) is reported by
    ``converged=False`` and ``message``; the coefficients found so far are
    returned but should not be trusted.

    The result does not depend on the scale of the signal: samples whose bin
    energies over- or underflow (bin powers beyond ``2**±500``) are scaled by
    a power of two, exactly, and the coefficients scaled back; coefficients
    that are not representable raise ``ValueError``.

    References
    ----------
    .. [1] R. Scheibler, S. Haghighatshoar, M. Vetterli, "A Fast Hadamard
       Transform for Signals With Sublinear Sparsity in the Transform
       Domain", IEEE Trans. Inf. Theory 61(4), 2115-2132, 2015.
    .. [2] X. Li, J. K. Bradley, S. Pawar, K. Ramchandran, "SPRIGHT: A Fast
       and Robust Framework for Sparse Walsh-Hadamard Transform",
       arXiv:1508.06336, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.transforms.fwht import fwht
    >>> from sparsela.transforms.sparse_wht import sparse_wht
    >>> N = 2**16
    >>> X = np.zeros(N)
    >>> X[[3, 1000, 40000]] = [2.0, -1.0, 0.5]
    >>> x = fwht(X) / N                      # so that fwht(x) == X
    >>> res = sparse_wht(x, sparsity=3, random_state=0)
    >>> res.support, res.coefficients
    (array([    3,  1000, 40000]), array([ 2. , -1. ,  0.5]))
    >>> res.converged, res.n_samples < N
    (True, True)

    A signal given as a function of its index (never stored):

    >>> def f(idx):  # X = 1 at k = 5 and 3 at k = 2**30 + 7 (orthonormal)
    ...     out = np.zeros(idx.shape)
    ...     for k, a in [(5, 1.0), (2**30 + 7, 3.0)]:
    ...         v, par = idx & k, np.zeros_like(idx)
    ...         while v.any():
    ...             par ^= v & 1
    ...             v >>= 1
    ...         out += a * (1 - 2 * par)
    ...     return out * 2**-20                  # 1 / sqrt(N)
    >>> res = sparse_wht(f, 2**40, sparsity=2, normalized=True, random_state=0)
    >>> res.support
    array([         5, 1073741831])
    >>> np.allclose(res.coefficients, [1.0, 3.0])
    True
    """
    method = _check_choice(method, "method", METHODS)
    ordering = _check_choice(ordering, "ordering", ORDERINGS)
    if not isinstance(normalized, (bool, np.bool_)):
        raise TypeError(f"normalized must be a bool, got {normalized!r}")
    sample, N, n = _make_sampler(signal, N)
    sparsity = check_positive_int(sparsity, "sparsity")
    if sparsity >= N:
        raise ValueError(f"sparsity must be smaller than N={N}, got {sparsity}")
    C = 4 if stages is None else check_positive_int(stages, "stages")
    if bins is None:
        b = min(n, max(0, (sparsity - 1).bit_length()))
    else:
        b = check_power_of_two(bins, "bins")
        if b > n:
            raise ValueError(f"bins must be at most N={N}, got {bins}")
    B = 1 << b
    auto_delays = isinstance(delays, str) and delays == "auto"
    if auto_delays:
        delays = "noiseless" if method == "sparsefht" else DEFAULT_CHAINS
    if isinstance(delays, str):
        _check_choice(delays, "delays", ("auto", "noiseless"))
        n_chains, noiseless = 1, True
    else:
        n_chains, noiseless = check_positive_int(delays, "delays"), False
    hashing = _check_choice(hashing, "hashing", HASHINGS)
    if snr_db is not None:
        snr_db = float(check_scalar(snr_db, "snr_db"))
    max_iter = check_positive_int(max_iter, "max_iter")
    seeds = _seeds(random_state)

    # ---- front end: subsample, small transforms ----------------------------
    G, kmap = _stage_matrices(n, b, C, hashing, int(seeds[0]))
    mcols = G[:, :b].copy()
    # idx[c, p, l] = M_c l ^ d_{c,p}
    dmasks, idx = sample_plan(G, kmap, b, n_chains, noiseless, int(seeds[1]))
    D = n - b + 1
    # chains whose delays would re-read the samples of another are not drawn
    n_chains = dmasks.shape[1] // D
    blind = snr_db is None and method == "spright"
    # blind SPRIGHT with its default chains reads one chain first: if the bins
    # are clean to the rounding level, one chain decodes (the noiseless design
    # with a random offset); the others are read only if noise shows or that
    # decode fails (C++ SPRIGHT: 1 chain noiseless, 5 noisy)
    attempts = [1, n_chains] if blind and auto_delays and n_chains > 1 else [n_chains]
    vals = sample(idx[:, : attempts[0] * D].reshape(-1)).reshape(C, -1, B)
    out_dtype = np.result_type(vals.dtype, np.float32)
    shift = 0  # badly scaled samples are multiplied by 2**shift (below)
    is_complex = out_dtype.kind == "c"
    eps = float(np.finfo(out_dtype).eps)
    # real signals keep real bins: half the arithmetic of the decoder
    work = np.complex128 if is_complex else np.float64
    verify = method == "spright" and C > 1
    for attempt, chains in enumerate(attempts):
        P = chains * D
        if vals.shape[1] < P:
            more = sample(idx[:, vals.shape[1] : P].reshape(-1)).reshape(C, -1, B)
            if shift:
                more = _ldexp(more, shift)
            vals = np.concatenate([vals, more.astype(vals.dtype, copy=False)], axis=1)
        dm = dmasks[:, :P]
        with np.errstate(over="ignore", under="ignore"):  # checked below
            U = bin_observations(vals, P, N / B, work)
            E = bin_energies(U)
        e_max = float(E.max()) / P
        if shift == 0 and not 1.0 / SAFE_POWER <= e_max <= SAFE_POWER:
            # the bin energies (squares) over- or underflow, and the decoder
            # would see inf or nothing: decode 2**shift x (exact), scale back
            shift = _scale_shift(vals)
            if shift:
                vals = _ldexp(vals, shift)
                U = bin_observations(vals, P, N / B, work)
                E = bin_energies(U)
                e_max = float(E.max()) / P

        # ---- noise level and thresholds --------------------------------------
        floor = (FLOOR_EPS * eps) ** 2 * e_max
        if snr_db is not None:
            rho = 10.0 ** (-snr_db / 10.0)
            e_tot = float(E.sum()) / (C * P)
            noise_var = rho * e_tot / ((sparsity + rho) * B)
        elif blind:
            noise_var = _blind_noise_var(
                U, E, P, floor, is_complex, kmap, dm, chains, b
            )
        else:
            noise_var = 0.0
        last = attempt == len(attempts) - 1
        if not last and noise_var > floor:
            continue  # noise: read the other chains
        noise_var = max(noise_var, floor)
        tau = noise_var * _zero_quantile(P, is_complex, C * B)

        if e_max == 0.0:
            ks = np.zeros(0, dtype=np.int64)
            amps = np.zeros(0, dtype=work)
            n_rounds, peeled, n_left, stalled = 0, np.zeros(0, np.int64), 0, False
        else:
            # the refit averages noise down; on data clean to the rounding
            # level the single-ton amplitudes are exact already
            refine = N_REFINE if method == "spright" and noise_var > floor else 0
            ks, amps, n_rounds, peeled, n_left, stalled = peel(
                U, kmap, mcols, dm, chains, b, tau, tau, tau, verify, max_iter, refine
            )
        if last or (n_left == 0 and not stalled):
            break
    n_chains = chains

    # ---- result --------------------------------------------------------------
    keep = P * np.abs(amps) ** 2 >= tau
    # coefficients peeled but below the detection threshold are dropped; their
    # energy (C bins of P observations each) counts as unexplained
    dropped_energy = C * P * float(np.sum(np.abs(amps[~keep]) ** 2))
    ks, amps = ks[keep], amps[keep]
    scale = 1.0 / math.sqrt(N) if normalized else 1.0
    support = _natural_to_ordered(ks, n, ordering)
    order = np.argsort(support)
    support = support[order]
    coefs = amps[order] * scale
    with np.errstate(over="ignore", under="ignore"):  # checked below
        if shift:
            coefs = _ldexp(coefs, -shift)
        coefs = coefs.astype(out_dtype) if is_complex else coefs.real.astype(out_dtype)
    lost = (amps[order] != 0) & ((coefs == 0) | ~np.isfinite(coefs))
    if lost.any():
        raise ValueError(
            f"the coefficients are not representable in {out_dtype}: the "
            f"transform of this signal over- or underflows (samples up to about "
            f"1e{-shift * math.log10(2):.0f}); rescale the signal"
        )
    residual_energy = float(bin_energies(U).sum())
    with np.errstate(over="ignore", under="ignore"):
        residual = float(np.ldexp(math.sqrt(residual_energy / (C * P)) * scale, -shift))
    if stalled:
        status = Status.MAX_ITER
        message = (
            f"peeling still progressing after max_iter={max_iter} rounds; "
            f"{n_left} bins unexplained"
        )
    elif n_left:
        status = Status.PEELING_STALLED
        message = (
            f"peeling stalled with {n_left} of {C * B} bins unexplained "
            f"(load K/B too high for {C} stages, or SNR too low): "
            "the coefficients found are incomplete"
        )
    else:
        status = Status.CONVERGED
        message = f"all {C * B} bins explained by {support.size} coefficients"
        excess = 0.0
        if snr_db is not None:
            excess = _unexplained_energy(
                residual_energy + dropped_energy, C * B, P, support.size,
                noise_var, is_complex,
            )  # fmt: skip
        if excess > 1.0:
            # every bin passed its own zero-ton test, yet together they hold
            # more than the noise that snr_db implies: coefficients hidden
            status = Status.PEELING_STALLED
            message = (
                f"{support.size} coefficient(s) found, but the bins keep "
                f"{excess:.3g} times the energy that noise at snr_db={snr_db:g} "
                "explains: coefficients are hidden below the detection threshold "
                f"(SNR too low for {B} bins and {P} observations per bin); the "
                "coefficients found are incomplete"
            )
        elif blind and noise_var > floor and P < BLIND_MIN_OBS:
            # a single-ton fits so few observations (almost) exactly: noise
            # cannot be told from coefficients without knowing its level
            status = Status.PEELING_STALLED
            message = (
                f"only {P} observation(s) per bin ({B} bins leave {n - b} delay "
                "bits): the noise level cannot be checked blindly and noise "
                "may pass for coefficients; pass snr_db, or fewer bins"
            )
        elif blind and noise_var > floor:
            doubt = _blind_estimate_doubt(
                U, P, floor, noise_var, is_complex, kmap, dm, n_chains, b
            )
            if C >= 2 and sparsity / B > density_evolution_threshold(C):
                doubt = doubt or (
                    f"load K/B above the peeling threshold "
                    f"{density_evolution_threshold(C):.3f} of {C} stages"
                )
            if doubt or support.size == 0:
                status = Status.PEELING_STALLED
                message = (
                    (doubt or "no coefficient stands out of the estimated noise")
                    + f" (K/B = {sparsity / B:.3g}): the samples are pure noise, "
                    "or too many coefficients share every bin for the noise "
                    "level to be estimated blindly; pass snr_db or more bins"
                )
    x = None
    if return_dense:
        x = np.zeros(N, dtype=out_dtype)
        x[support] = coefs
    return SparseWHTResult(
        x=x,
        converged=status == Status.CONVERGED,
        status=status,
        message=message,
        n_iter=int(n_rounds),
        residual_norm=residual,
        history={
            "peeled": [int(v) for v in peeled],
            # a square of the signal's units: inf or 0 where not representable
            "noise_var": [_unscaled_square(noise_var * scale**2, shift)],
            "bins": [B],
            "stages": [C],
            "delays_per_stage": [P],
        },
        support=support,
        coefficients=coefs,
        n_samples=int(C * P * B),
    )
