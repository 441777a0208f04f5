"""KroSBL at default arguments: the IRS-MIMO study with known and learned noise.

The IRS-MIMO channel-estimation study of He & Joseph (2024) (ALGORITHMS.md
§1.11(b), :func:`sparsela.datasets.irs_mimo_channel`) with every method at
its default arguments (no per-SNR or per-method pruning), each run twice:
with the true noise variance and with the noise variance learned (omitted,
as a user without an oracle calls it). Prints the mean and median channel
NMSE per SNR, the learned/true noise variance ratio and, with
``--synthetic``, the synthetic study of §1.11(a) (K = 3, m_1 = 8, 25 dB) at
defaults against oracle least squares. A script, not a test::

    python benchmarks/irs_learned_noise.py                    # 50 trials
    python benchmarks/irs_learned_noise.py --trials 10 --csbl-trials 4
    python benchmarks/irs_learned_noise.py --synthetic 100 --trials 0

Methods: SVD-KroSBL (``kron_sbl`` default), AM-KroSBL (``method="am"``),
PC-KroSBL with the default (SVD) M-step (``block=(0, 2)``), PC-KroSBL with
the AM M-step of the authors' code (``method="am", block=(0, 2)``, β = 0.8),
cSBL (``sbl`` EM on the full 288 x 5832 dictionary, about 1.5 s per run,
on the first ``--csbl-trials`` trials) and oracle least squares on the true
support. Every run is single-threaded (threadpoolctl).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from functools import reduce

import numpy as np

from sparsela import kron_sbl, sbl
from sparsela.datasets import irs_mimo_channel, make_kron_problem
from sparsela.metrics import nmse, support_recovery

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

KRON = {
    "SVD-KroSBL": {},
    "AM-KroSBL": {"method": "am"},
    "PC-KroSBL (SVD)": {"block": (0, 2)},
    "PC-KroSBL (AM)": {"method": "am", "block": (0, 2)},
}


def _quiet(fn, *args, **kw):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kw)


def irs_study(n_trials, snrs, n_csbl, seed):
    rng = np.random.default_rng(seed)
    names = [*KRON, "cSBL", "oracle LS"]
    out = {
        (n, noise): np.full((n_trials, len(snrs)), np.nan)
        for n in names
        for noise in ("known", "learned")
    }
    ratio = {n: np.full((n_trials, len(snrs)), np.nan) for n in names}
    t0 = time.perf_counter()
    for t in range(n_trials):
        for j, snr in enumerate(snrs):
            p = irs_mimo_channel(snr_db=snr, random_state=rng)
            for name, kw in KRON.items():
                for noise, nv in (("known", p.noise_var), ("learned", None)):
                    res = kron_sbl(p.factors, p.y, noise_var=nv, **kw)
                    out[name, noise][t, j] = p.channel_nmse(res.x)
                    if nv is None:
                        ratio[name][t, j] = res.noise_var / p.noise_var
            H = reduce(np.kron, p.factors)
            if t < n_csbl:
                for noise, nv in (("known", p.noise_var), ("learned", None)):
                    res = _quiet(sbl, H, p.y, noise_var=nv, max_iter=150)
                    out["cSBL", noise][t, j] = p.channel_nmse(res.x)
                    if nv is None:
                        ratio["cSBL"][t, j] = res.noise_var / p.noise_var
            x = np.zeros(H.shape[1], dtype=complex)
            x[p.support] = np.linalg.lstsq(H[:, p.support], p.y, rcond=None)[0]
            out["oracle LS", "known"][t, j] = p.channel_nmse(x)
        dt = time.perf_counter() - t0
        print(f"trial {t + 1}/{n_trials} ({dt:.0f} s)", flush=True)
    head = "".join(f"{s:>9d} dB" for s in snrs)
    for stat, fn in (("mean", np.nanmean), ("median", np.nanmedian)):
        print(f"\nchannel NMSE, {stat} over the trials")
        print(f"{'method':18s} {'noise':8s}{head}   trials")
        for name in names:
            for noise in ("known", "learned"):
                v = out[name, noise]
                if np.all(np.isnan(v)):
                    continue
                row = "".join(f"{c:12.2e}" for c in fn(v, axis=0))
                n = int(np.sum(~np.isnan(v[:, 0])))
                print(f"{name:18s} {noise:8s}{row}   {n:6d}")
    print("\nlearned / true noise variance, median (min-max)")
    for name in names:
        v = ratio[name]
        if np.all(np.isnan(v)):
            continue
        cells = "".join(
            f"  {np.nanmedian(c):.2f} ({np.nanmin(c):.2f}-{np.nanmax(c):.2f})"
            for c in v.T
        )
        print(f"{name:18s}{cells}")
    print("\norder at each SNR (mean / median), known and learned noise")
    for j, snr in enumerate(snrs):
        for noise in ("known", "learned"):
            for stat, fn in (("mean", np.nanmean), ("median", np.nanmedian)):
                val = {
                    n: fn(out[n, noise][:, j])
                    for n in [*KRON, "cSBL"]
                    if not np.all(np.isnan(out[n, noise][:, j]))
                }
                order = " < ".join(sorted(val, key=val.get))
                print(f"{snr} dB {noise} ({stat}): {order}")
    return out


def synthetic_study(n_trials, snr, seed):
    rng = np.random.default_rng(seed)
    rec = {"SVD-KroSBL": [], "AM-KroSBL": [], "oracle LS": []}
    for _ in range(n_trials):
        p = make_kron_problem(snr_db=snr, random_state=rng)
        for name, kw in (("SVD-KroSBL", {}), ("AM-KroSBL", {"method": "am"})):
            t0 = time.perf_counter()
            res = kron_sbl(p.factors, p.y, noise_var=p.noise_var, **kw)
            dt = time.perf_counter() - t0
            rec[name].append((nmse(p.x, res.x), support_recovery(p.x, res.x), dt))
        parts = zip(p.factors, p.supports, strict=True)
        Hs = reduce(np.kron, [A[:, s] for A, s in parts])
        x = np.zeros_like(p.x)
        x[p.x != 0] = np.linalg.lstsq(Hs, p.y, rcond=None)[0]
        rec["oracle LS"].append((nmse(p.x, x), support_recovery(p.x, x), 0.0))
    orc = np.array(rec["oracle LS"])[:, 0]
    print(f"\nsynthetic study, K = 3, m1 = 8, {snr} dB, {n_trials} trials, seed {seed}")
    print(
        f"{'method':12s} {'mean NMSE':>10s} {'median':>10s} {'mean SRR':>9s} "
        f"{'<=2x oracle':>12s} {'NMSE>1e-2':>10s} {'s/trial':>8s}"
    )
    for name, v in rec.items():
        v = np.array(v)
        e = v[:, 0]
        print(
            f"{name:12s} {e.mean():10.2e} {np.median(e):10.2e} {v[:, 1].mean():9.3f} "
            f"{np.mean(e <= 2 * orc):12.2f} {int(np.sum(e > 1e-2)):10d} "
            f"{v[:, 2].mean():8.3f}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--snrs", default="12,16,20")
    ap.add_argument("--csbl-trials", type=int, default=None, help="default: all")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--synthetic", type=int, default=0, help="trials (0: skip)")
    args = ap.parse_args()
    snrs = [int(s) for s in args.snrs.split(",")]
    n_csbl = args.trials if args.csbl_trials is None else args.csbl_trials
    ctx = threadpool_limits(1) if threadpool_limits else contextlib.nullcontext()
    with ctx:
        if args.trials:
            irs_study(args.trials, snrs, n_csbl, args.seed)
        if args.synthetic:
            synthetic_study(args.synthetic, 25, args.seed)


if __name__ == "__main__":
    main()
