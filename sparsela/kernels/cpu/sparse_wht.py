"""Peeling decoder of the sparse Walsh-Hadamard transform (private kernels).

The front end and peeling back end of SparseFHT [1]_ and SPRIGHT [2]_; the
public wrapper is :func:`sparsela.transforms.sparse_wht`.

Notation: ``N = 2**n``, indices are n-bit integers.
Stage ``c`` uses an invertible GF(2) matrix ``G_c = [M_c | Delta_c]`` (``n x n``,
columns stored as n-bit integer masks): ``M_c`` (``n x b``) subsamples,
``Delta_c`` (``n x (n-b)``) holds the informative delay directions. Its bins
(``B = 2**b`` of them) observe, for each delay ``d``,

    U[c, j, p] = sum_{k : M_c^T k = j} X[k] * (-1)**<d_{c,p}, k>  (+ noise)

Delays are laid out in ``n_chains`` chains of ``D = n - b + 1``: chain ``q``
holds ``r_q`` then ``r_q ^ delta_i`` for ``i < n - b``, so that the sign
flip between the two reveals bit ``i`` of ``Delta_c^T k``; with the bin index
``j = M_c^T k`` this gives ``G_c^T k`` and ``k = (G_c^T)^{-1} [j; bits]``.

Kernels here work on raw arrays only:

* ``U`` : float64 (real signals) or complex128 ``(C, B, P)`` bin
  observations, modified in place (the residual after peeling); amplitudes
  come out in the same type;
* ``kmap`` : int64 ``(C, n)`` columns of ``(G_c^T)^{-1}``;
* ``mcols`` : int64 ``(C, b)`` columns of ``M_c`` (the hash);
* ``dmasks`` : int64 ``(C, P)`` delays.

Classification of a bin (the soft version of SPRIGHT's chain detector):
``E = ||U||^2``; zero-ton if ``E <= tau0``; otherwise detect ``k`` (bit ``i``
of ``Delta_c^T k`` is set when ``Re sum_q U[r_q] conj(U[r_q ^ delta_i]) < 0``,
the sum over the chains), fit the least-squares amplitude
``a = s_k^T U / P`` and the residual ``r = ||U - a s_k||^2``: multi-ton if
``r > tau1``, single-ton if ``P |a|^2 >= e_min``, zero-ton otherwise
(noise-level energy explained by one signature).

References
----------
.. [1] R. Scheibler, S. Haghighatshoar, M. Vetterli, "A Fast Hadamard
   Transform for Signals With Sublinear Sparsity in the Transform Domain",
   IEEE Trans. Inf. Theory 61(4), 2115-2132, 2015.
.. [2] X. Li, J. K. Bradley, S. Pawar, K. Ramchandran, "SPRIGHT: A Fast and
   Robust Framework for Sparse Walsh-Hadamard Transform", arXiv:1508.06336,
   2015.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._llvm import popcount
from .wht import fwht_rows_inplace

__all__ = [
    "ZERO_TON",
    "MULTI_TON",
    "SINGLE_TON",
    "bin_energies",
    "bin_observations",
    "bin_hash",
    "bin_residuals",
    "gf2_dual_basis",
    "random_gl2",
    "sample_plan",
    "classify_bins",
    "peel",
]

ZERO_TON = 0
SINGLE_TON = 1
MULTI_TON = 2


@njit(cache=True, inline="always")
def _parity(x):
    return popcount(x) & 1


@njit(cache=True, inline="always")
def _sign(mask, k):
    return 1.0 - 2.0 * _parity(mask & k)


@njit(cache=True)
def _hash(mcols, c, k):
    j = 0
    for t in range(mcols.shape[1]):
        j |= _parity(mcols[c, t] & k) << t
    return j


def gf2_dual_basis(cols):
    """Columns of ``(G^T)^{-1}`` for the GF(2) matrix ``G`` with integer column
    masks ``cols`` (``n <= 62``); returns ``(ok, dual)``, ``ok`` False when
    ``G`` is singular.

    Gauss-Jordan elimination on the rows of ``G^T`` (= ``cols``) augmented
    with the identity: at the end row ``t`` reads ``e_t^T = a_t^T G^T``, so
    the ``a_t`` are the rows of ``(G^T)^{-1}``, transposed into columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.kernels.cpu.sparse_wht import gf2_dual_basis
    >>> ok, dual = gf2_dual_basis(np.array([1, 3], dtype=np.int64))
    >>> bool(ok), dual.tolist()
    (True, [3, 2])
    """
    n = cols.size
    dual = np.zeros(n, dtype=np.int64)
    aug = np.empty(n, dtype=np.int64)
    ok = _dual_basis(cols, cols.copy(), aug, dual)
    return ok, (dual if ok else aug)


@njit(cache=True)
def _dual_basis(cols, rows, aug, dual):
    """:func:`gf2_dual_basis` into ``dual`` (zeros on entry); ``rows`` (a copy
    of ``cols``) and ``aug`` are workspace. Returns ``ok``."""
    n = cols.size
    for t in range(n):
        aug[t] = 1 << t
    for bit in range(n):
        piv = -1
        for i in range(bit, n):
            if (rows[i] >> bit) & 1:
                piv = i
                break
        if piv < 0:
            return False
        rows[bit], rows[piv] = rows[piv], rows[bit]
        aug[bit], aug[piv] = aug[piv], aug[bit]
        for i in range(n):
            if i != bit and (rows[i] >> bit) & 1:
                rows[i] ^= rows[bit]
                aug[i] ^= aug[bit]
    for r in range(n):
        for t in range(n):
            dual[t] |= ((aug[r] >> t) & 1) << r
    return True


def random_gl2(seed, n, n_stages):
    """``n_stages`` independent uniformly random invertible ``n x n`` GF(2)
    matrices (column masks, ``n <= 62``) and their dual bases: two int64
    ``(C, n)`` arrays.

    Columns are drawn one at a time, each uniform outside the span of the
    previous ones (redrawn while it reduces to zero against an echelon basis
    keyed by leading bit): that is the uniform law on GL(n, 2), at about
    ``n + 2`` draws per matrix. Numba's generator, seeded by ``seed``.
    """
    G = np.empty((n_stages, n), dtype=np.int64)
    K = np.zeros((n_stages, n), dtype=np.int64)
    ws = np.empty((3, n), dtype=np.int64)  # echelon basis, two for the dual
    _random_gl2(seed, G, K, ws)
    return G, K


@njit(cache=True)
def _random_gl2(seed, G, K, ws):
    np.random.seed(seed)  # noqa: NPY002 (Numba's generator, seeded per call)
    n_stages, n = G.shape
    echelon = ws[0]  # echelon[p]: vector with top bit p
    hi = np.int64(1) << n
    for c in range(n_stages):
        for p in range(n):
            echelon[p] = 0
        t = 0
        while t < n:
            v = np.random.randint(0, hi)  # noqa: NPY002
            r = v
            for p in range(n - 1, -1, -1):
                if (r >> p) & 1:
                    if echelon[p] == 0:
                        echelon[p] = r
                        break
                    r ^= echelon[p]
            if r == 0:
                continue  # in the span of the previous columns: redraw
            G[c, t] = v
            t += 1
        rows = ws[1]
        for p in range(n):
            rows[p] = G[c, p]
        _dual_basis(G[c], rows, ws[2], K[c])


@njit(cache=True)
def _coset(kmap, c, b, r):
    """Coordinates of ``r`` along ``G[c, b:]`` (its coset modulo the span of
    ``M_c``): bit ``i`` is ``<K[c, b + i], r>``."""
    t = 0
    for i in range(kmap.shape[1] - b):
        t |= _parity(kmap[c, b + i] & r) << i
    return t


def sample_plan(G, kmap, b, n_chains, noiseless, seed):
    """Delays and sample indices of the front end.

    Returns ``dmasks`` ``(C, q * D)`` with ``D = n - b + 1`` (chain ``q``:
    ``r_q, r_q ^ G[:, b], ..., r_q ^ G[:, n-1]``; ``r_q = 0`` when
    ``noiseless``, else random) and ``idx`` ``(C, q * D, 2**b)``:
    ``idx[c, p, l] = M_c l ^ dmasks[c, p]``.

    A delay ``d`` reads the coset ``d + span(M_c)``: two delays in one coset
    read the same samples, and their noise is the same, not independent. The
    random offsets are therefore drawn so that all ``q * D`` delays of a
    stage lie in distinct cosets (the coset coordinates of the offsets at
    Hamming distance 3 or more). When ``n - b`` is too small for
    ``n_chains`` such chains, fewer are returned (``q < n_chains``, at least
    one); ``kmap`` holds the dual bases (``(G_c^T)^{-1}``).
    """
    C, n = G.shape
    D = n - b + 1
    B = 1 << b
    offsets = np.zeros((C, n_chains), dtype=np.int64)
    n_eff = _draw_offsets(G, kmap, b, n_chains, bool(noiseless), seed, offsets,
                          np.zeros(n_chains, dtype=np.int64))  # fmt: skip
    P = n_eff * D
    dmasks = np.empty((C, P), dtype=np.int64)
    idx = np.empty((C, P, B), dtype=np.int64)
    _fill_plan(G, b, n_eff, offsets, dmasks, np.empty(B, dtype=np.int64), idx)
    return dmasks, idx


@njit(cache=True)
def _draw_offsets(G, kmap, b, n_chains, noiseless, seed, offsets, cosets):
    """The random chain offsets of :func:`sample_plan` (rows of ``offsets``,
    zeros on entry); returns the number of chains kept."""
    np.random.seed(seed)  # noqa: NPY002 (Numba's generator, seeded per call)
    C, n = G.shape
    hi = np.int64(1) << n
    n_eff = n_chains
    if not noiseless:
        for c in range(C):
            got = 0
            tries = 0
            while got < n_eff and tries < 200 * n_chains:
                tries += 1
                r = np.random.randint(0, hi)  # noqa: NPY002
                t = _coset(kmap, c, b, r)
                ok = True
                for q in range(got):  # radius-1 balls must not meet
                    if popcount(t ^ cosets[q]) < 3:
                        ok = False
                        break
                if ok:
                    offsets[c, got] = r
                    cosets[got] = t
                    got += 1
            n_eff = max(1, min(n_eff, got))
    return n_eff


@njit(cache=True)
def _fill_plan(G, b, n_eff, offsets, dmasks, base, idx):
    """Delays and sample indices of :func:`sample_plan` for ``n_eff`` chains."""
    C, n = G.shape
    D = n - b + 1
    B = base.size
    P = dmasks.shape[1]
    for c in range(C):
        for q in range(n_eff):
            r = offsets[c, q]
            dmasks[c, q * D] = r
            for i in range(D - 1):
                dmasks[c, q * D + 1 + i] = r ^ G[c, b + i]
        # M_c l for every l: flip the column of l's lowest set bit
        base[0] = 0
        for ell in range(1, B):
            low = ell & -ell
            base[ell] = base[ell ^ low] ^ G[c, popcount(low - 1)]
        for p in range(P):
            d = dmasks[c, p]
            for ell in range(B):
                idx[c, p, ell] = base[ell] ^ d


def bin_observations(vals, P, scale, work):
    """Bins of the front end: ``U[c, j, p] = scale * FWHT_B(vals[c, p])[j]``.

    ``vals`` ``(C, >= P, B)`` holds the samples of each stage and delay (any
    numeric type); ``U`` ``(C, B, P)`` is float64 or complex128 (``work``).
    Bins of up to :data:`SMALL_BINS` entries run through
    :func:`_small_fwht_rows` (0.25 s to compile, against 1.3 s for the
    blocked kernel of :func:`sparsela.fwht`; as fast on such short rows),
    larger ones through the dense FWHT kernel (3-6x faster there); both
    apply the same butterflies in the same order, so the bins are the same
    bit for bit.
    """
    C, _, B = vals.shape
    # a copy (never a view of vals: the transform runs in place)
    V = np.array(vals[:, :P, :], dtype=work, order="C").reshape(C * P, B)
    if V.size:
        # the kernels see float64 rows (complex: interleaved pairs)
        q = 2 if V.dtype.kind == "c" else 1
        if B <= SMALL_BINS:
            _small_fwht_rows(V.view(np.float64), q, float(scale))
        else:
            fwht_rows_inplace(V.view(np.float64), q, float(scale))
    U = np.empty((C, B, P), dtype=work)
    U[...] = V.reshape(C, P, B).transpose(0, 2, 1)
    return U


#: bins of at most this many entries are transformed by :func:`_small_fwht_rows`
#: (210 rows of 4, 8, 16, 64: 3.1, 5.1, 9.2, 32 us, against 3.0, 5.3, 6.5,
#: 12 us with the blocked kernel)
SMALL_BINS = 16


@njit(cache=True)
def _small_fwht_rows(V, q, scale):
    """In-place FWHT of the rows of the C-contiguous float ``V`` ``(R, B q)``
    (each row viewed as ``(B, q)``, transformed along its first axis), then
    multiplied by ``scale``: plain radix-2 stages, for rows that fit in cache.
    The NumPy twin is :func:`sparsela.kernels.reference.fwht_reference`."""
    R, L = V.shape
    for r in range(R):
        row = V[r]
        h = q
        while h < L:
            for i in range(0, L, 2 * h):
                lo = row[i : i + h]
                hi = row[i + h : i + 2 * h]
                for j in range(h):
                    x = lo[j]
                    y = hi[j]
                    lo[j] = x + y
                    hi[j] = x - y
            h *= 2
        if scale != 1.0:
            for j in range(L):
                row[j] *= scale


def bin_energies(U):
    """``||U[c, j, :]||^2`` for every bin: ``(C, B)``."""
    return _bin_energies(U, np.empty(U.shape[:2]))


@njit(cache=True)
def _bin_energies(U, E):
    C, B, P = U.shape
    for c in range(C):
        for j in range(B):
            e = 0.0
            for p in range(P):
                u = U[c, j, p]
                e += u.real * u.real + u.imag * u.imag
            E[c, j] = e
    return E


@njit(cache=True)
def bin_hash(mcols, k):
    """Bin ``M_c^T k`` of every index of ``k`` in every stage: ``(C, len(k))``."""
    C = mcols.shape[0]
    out = np.empty((C, k.size), dtype=np.int64)
    for c in range(C):
        for i in range(k.size):
            out[c, i] = _hash(mcols, c, k[i])
    return out


@njit(cache=True)
def _signature(dmasks, c, k, n_chains, D, sig):
    """``sig[p] = (-1)**<d_{c,p}, k>`` for every delay of stage ``c``.

    With the chain layout, ``<r_q ^ delta_i, k> = <r_q, k> + <delta_i, k>``:
    ``n_chains + D - 1`` parities instead of one per delay.
    """
    r0 = dmasks[c, 0]
    for i in range(D - 1):  # (-1)**<delta_i, k>, kept in chain 0's slots
        sig[1 + i] = 1.0 - 2.0 * _parity((dmasks[c, 1 + i] ^ r0) & k)
    for q in range(n_chains - 1, -1, -1):  # chain 0 last: it overwrites them
        p0 = q * D
        s0 = 1.0 - 2.0 * _parity(dmasks[c, p0] & k)
        sig[p0] = s0
        for i in range(D - 1):
            sig[p0 + 1 + i] = s0 * sig[1 + i]
    return sig


@njit(cache=True)
def _classify(U, c, j, kmap, dmasks, n_chains, b, tau0, tau1, emin, sig):
    """Return (type, k, a) for bin ``(c, j)``; ``sig`` is a work buffer (P,)."""
    P = U.shape[2]
    n = kmap.shape[1]
    D = n - b + 1
    E = 0.0
    for p in range(P):
        u = U[c, j, p]
        E += u.real * u.real + u.imag * u.imag
    zero = U[c, j, 0] * 0.0  # 0 of U's type: real data stay real
    if E <= tau0:
        return ZERO_TON, -1, zero
    v = j
    for i in range(n - b):
        acc = 0.0
        for q in range(n_chains):
            p0 = q * D
            u0 = U[c, j, p0]
            u1 = U[c, j, p0 + 1 + i]
            acc += u0.real * u1.real + u0.imag * u1.imag
        v |= np.int64(acc < 0.0) << (b + i)
    # branch-free: the bits of v are random, branches on them mispredict.
    # np.int64: a literal 0 would type the call below twice (Literal[int](0)
    # before the loop's type is known, then int64), compiling _signature twice
    k = np.int64(0)
    for t in range(n):
        k ^= kmap[c, t] & -((v >> t) & 1)
    _signature(dmasks, c, k, n_chains, D, sig)
    a = zero
    for p in range(P):
        a += sig[p] * U[c, j, p]
    a /= P
    r = 0.0
    for p in range(P):
        e = U[c, j, p] - sig[p] * a
        r += e.real * e.real + e.imag * e.imag
    if r > tau1:
        return MULTI_TON, k, a
    if P * (a.real * a.real + a.imag * a.imag) < emin:
        return ZERO_TON, -1, zero
    return SINGLE_TON, k, a


def classify_bins(U, kmap, dmasks, n_chains, b, tau0, tau1, emin):
    """Classify every bin: returns ``types, ks, amplitudes`` of shape ``(C, B)``."""
    C, B, P = U.shape
    types = np.empty((C, B), dtype=np.int64)
    ks = np.empty((C, B), dtype=np.int64)
    amps = np.empty((C, B), dtype=U.dtype)
    args = (U, kmap, dmasks, n_chains, b, float(tau0), float(tau1), float(emin))
    _classify_bins(*args, np.empty(P), types, ks, amps)
    return types, ks, amps


@njit(cache=True)
def _classify_bins(
    U, kmap, dmasks, n_chains, b, tau0, tau1, emin, sig, types, ks, amps
):
    C, B, _ = U.shape
    for c in range(C):
        for j in range(B):
            t, k, a = _classify(
                U, c, j, kmap, dmasks, n_chains, b, tau0, tau1, emin, sig
            )
            types[c, j] = t
            ks[c, j] = k
            amps[c, j] = a


def bin_residuals(U, kmap, dmasks, n_chains, b):
    """``||U - a s_k||^2`` of every bin after the detector's best single-ton
    fit (``k`` from the chain detector, ``a`` by least squares), summed
    directly (no cancellation): noise only for zero- and single-tons."""
    C, B, P = U.shape
    return _bin_residuals(U, kmap, dmasks, n_chains, b, np.empty(P), np.empty((C, B)))


@njit(cache=True)
def _bin_residuals(U, kmap, dmasks, n_chains, b, sig, out):
    C, B, P = U.shape
    n = kmap.shape[1]
    D = n - b + 1
    for c in range(C):
        for j in range(B):
            _, k, a = _classify(
                U, c, j, kmap, dmasks, n_chains, b, -1.0, np.inf, 0.0, sig
            )
            _signature(dmasks, c, k, n_chains, D, sig)
            r = 0.0
            for p in range(P):
                e = U[c, j, p] - sig[p] * a
                r += e.real * e.real + e.imag * e.imag
            out[c, j] = r
    return out


@njit(cache=True)
def _projection(U, c, j, sig):
    P = U.shape[2]
    a = U[c, j, 0] * 0.0
    for p in range(P):
        a += sig[p] * U[c, j, p]
    return a / P


@njit(cache=True, inline="always")
def _subtract(U, mcols, dmasks, n_chains, D, k, a, changed, sig):
    C, _, P = U.shape
    for c in range(C):
        j = _hash(mcols, c, k)
        _signature(dmasks, c, k, n_chains, D, sig)
        for p in range(P):
            U[c, j, p] -= sig[p] * a
        changed[c, j] = True


@njit(cache=True, inline="always")
def _verified(U, mcols, dmasks, n_chains, D, c0, k, a, sig):
    """Peeling ``a`` at ``k`` lowers the energy of its bin in at least half of
    the other stages (rounded up).

    ``||V - a s||^2 < ||V||^2`` iff ``Re(conj(a) s^T V / P) > |a|^2 / 2``. A
    false single-ton hits unrelated bins and raises their energy; a true one
    can fail the test only in a stage where it collides with a larger
    coefficient of strongly anti-correlated signature, hence the majority.
    """
    C = U.shape[0]
    need = C // 2
    half = 0.5 * (a.real * a.real + a.imag * a.imag)
    n_ok = 0
    for c in range(C):
        if c == c0:
            continue
        j = _hash(mcols, c, k)
        _signature(dmasks, c, k, n_chains, D, sig)
        pr = _projection(U, c, j, sig)
        if a.real * pr.real + a.imag * pr.imag > half:
            n_ok += 1
    return n_ok >= need


@njit(cache=True, inline="always")
def _refresh(U, kmap, dmasks, n_chains, b, tau0, tau1, emin, changed, state, sig):
    """Re-classify the changed bins; return the number of non-zero-tons."""
    C, B, _ = U.shape
    n_left = 0
    for c in range(C):
        for j in range(B):
            if changed[c, j]:
                changed[c, j] = False
                t, _, _ = _classify(
                    U, c, j, kmap, dmasks, n_chains, b, tau0, tau1, emin, sig
                )
                state[c, j] = t
            if state[c, j] != ZERO_TON:
                n_left += 1
    return n_left


@njit(cache=True)
def _slot(table, ks, k):
    """Slot of ``k`` in the open-addressing hash ``table`` (positions into
    ``ks``, -1 for empty; size a power of two, never full): the slot holding
    ``k``, or the empty one where it goes. A typed Dict would do, at about
    2 s more compile time on first use."""
    mask = table.size - 1
    i = ((k * 0x2545F4914F6CDD1D) >> 29) & mask  # multiplicative hash
    while table[i] >= 0 and ks[table[i]] != k:
        i = (i + 1) & mask  # linear probing
    return i


@njit(cache=True, inline="always")
def _grown(table, ks, n_found):
    """A table of twice the size holding the first ``n_found`` entries of ``ks``."""
    new = np.full(2 * table.size, -1, dtype=np.int64)
    for i in range(n_found):
        new[_slot(new, ks, ks[i])] = i
    return new


def peel(
    U, kmap, mcols, dmasks, n_chains, b, tau0, tau1, emin, verify, max_iter, n_refine
):
    """Peeling decoder; ``U`` is overwritten with the residual.

    Rounds visit the bins changed since their last visit (all bins at first).
    A single-ton ``(k, a)`` is subtracted from its bin in every stage (for a
    ``k`` already decoded, ``a`` is a correction added to it). With
    ``verify`` a single-ton is peeled only if that lowers the energy of its
    bin in most other stages (else it is retried next round). Stops when a
    round peels nothing or after ``max_iter`` rounds. Then, if every bin is
    explained, ``n_refine`` least-squares sweeps re-fit every amplitude on the
    residual of all its bins.

    Returns
    -------
    ks : int64 array, decoded indices (natural order, unsorted)
    amps : array of U.dtype, their amplitudes
    n_rounds : int, peeling rounds run
    peeled : int64 array (n_rounds,), single-tons peeled per round
    n_left : int, bins that are not zero-tons at the end
    stalled : bool, True if the round limit was hit while still peeling
    """
    C, B, P = U.shape
    cap = 16
    # the work arrays are allocated here, not in the kernel: less to compile
    ks, amps, n_found, n_rounds, peeled, n_left, stalled = _peel(
        U, kmap, mcols, dmasks, n_chains, b, float(tau0), float(tau1),
        float(emin), bool(verify), max_iter, n_refine, np.empty(P), np.empty(P),
        np.ones((C, B), dtype=np.bool_), np.zeros((C, B), dtype=np.int8),
        np.zeros(max(max_iter, 1), dtype=np.int64), np.empty((C, P)),
        np.empty(C, dtype=np.int64), np.empty(cap, dtype=np.int64),
        np.empty(cap, dtype=U.dtype), np.full(2 * cap, -1, dtype=np.int64),
    )  # fmt: skip
    return (
        ks[:n_found].copy(),
        amps[:n_found].copy(),
        n_rounds,
        peeled[:n_rounds].copy(),
        n_left,
        stalled,
    )


@njit(cache=True)
def _peel(
    U, kmap, mcols, dmasks, n_chains, b, tau0, tau1, emin, verify, max_iter,
    n_refine, sig, sig2, changed, state, peeled, sigs, bins, ks, amps, table,
):  # fmt: skip
    """:func:`peel` on work arrays allocated by the caller; ``ks``, ``amps``
    and ``table`` (index of each decoded ``k``) grow by doubling."""
    C, B, P = U.shape
    D = kmap.shape[1] - b + 1
    cap = ks.size
    n_found = 0
    n_rounds = 0
    progress = True
    while progress and n_rounds < max_iter:
        progress = False
        count = 0
        for c in range(C):
            for j in range(B):
                if not changed[c, j]:
                    continue
                changed[c, j] = False
                t, k, a = _classify(
                    U, c, j, kmap, dmasks, n_chains, b, tau0, tau1, emin, sig
                )
                state[c, j] = t
                if t != SINGLE_TON:
                    continue
                if verify and not _verified(
                    U, mcols, dmasks, n_chains, D, c, k, a, sig2
                ):
                    changed[c, j] = True
                    continue
                slot = _slot(table, ks, k)
                if table[slot] >= 0:
                    amps[table[slot]] += a
                else:
                    if n_found == cap:
                        cap *= 2
                        ks2 = np.empty(cap, dtype=np.int64)
                        amps2 = np.empty(cap, dtype=U.dtype)
                        for i in range(n_found):
                            ks2[i] = ks[i]
                            amps2[i] = amps[i]
                        ks = ks2
                        amps = amps2
                        table = _grown(table, ks, n_found)
                        slot = _slot(table, ks, k)
                    table[slot] = n_found
                    ks[n_found] = k
                    amps[n_found] = a
                    n_found += 1
                _subtract(U, mcols, dmasks, n_chains, D, k, a, changed, sig2)
                count += 1
                progress = True
        peeled[n_rounds] = count
        n_rounds += 1
    stalled = progress
    # bins still flagged were changed after their last visit (or deferred)
    n_left = _refresh(
        U, kmap, dmasks, n_chains, b, tau0, tau1, emin, changed, state, sig
    )
    if n_left == 0 and n_refine > 0:
        # least-squares re-fit only once everything is explained: with
        # unresolved multi-tons left it would leak them into the amplitudes
        for _ in range(n_refine):
            for i in range(n_found):
                k = ks[i]
                d = U[0, 0, 0] * 0.0
                for c in range(C):
                    _signature(dmasks, c, k, n_chains, D, sigs[c])
                    bins[c] = _hash(mcols, c, k)
                    d += _projection(U, c, bins[c], sigs[c])
                d /= C
                amps[i] += d
                for c in range(C):
                    for p in range(P):
                        U[c, bins[c], p] -= sigs[c, p] * d
                    changed[c, bins[c]] = True
        n_left = _refresh(
            U, kmap, dmasks, n_chains, b, tau0, tau1, emin, changed, state, sig
        )
    return ks, amps, n_found, n_rounds, peeled, n_left, stalled
