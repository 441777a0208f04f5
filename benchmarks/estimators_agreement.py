"""Print the agreement of sparsela.estimators with scikit-learn (issue 19).

    python benchmarks/estimators_agreement.py    (from the repository root)

Same data as tests/estimators/test_estimators.py.
"""

import importlib.util
import time
import warnings

import numpy as np
from sklearn import decomposition as skd
from sklearn import linear_model as sklm

import sparsela.estimators as E

spec = importlib.util.spec_from_file_location(
    "t", "tests/estimators/test_estimators.py"
)
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
warnings.simplefilter("ignore")
rows = []


def row(name, ref, diff, extra=""):
    rows.append((name, ref, f"{diff:.1e}", extra))


X, y = t._regression()
Xs = t._standardized(X)
for k in (1, 7):
    a = E.OrthogonalMatchingPursuit(n_nonzero_coefs=k).fit(Xs, y)
    b = sklm.OrthogonalMatchingPursuit(n_nonzero_coefs=k).fit(Xs, y)
    row(
        f"OMP n_nonzero_coefs={k}",
        "OrthogonalMatchingPursuit",
        np.abs(a.coef_ - b.coef_).max(),
    )
X3, y3 = t._regression(n_targets=3)
a = E.OrthogonalMatchingPursuit(tol=1.0).fit(t._standardized(X3), y3)
b = sklm.OrthogonalMatchingPursuit(tol=1.0).fit(t._standardized(X3), y3)
row(
    "OMP tol=1, 3 targets",
    "OrthogonalMatchingPursuit",
    np.abs(a.coef_ - b.coef_).max(),
    f"n_iter {a.n_iter_.tolist()} vs {b.n_iter_}",
)
for solver in ("fista", "bcd"):
    for alpha in (0.01, 0.1, 0.5):
        t0 = time.perf_counter()
        a = E.Lasso(alpha, solver=solver, tol=1e-10, max_iter=100_000).fit(X, y)
        ta = time.perf_counter() - t0
        b = sklm.Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(X, y)
        row(
            f"Lasso {solver} alpha={alpha}",
            "Lasso (tol=1e-12)",
            max(np.abs(a.coef_ - b.coef_).max(), abs(a.intercept_ - b.intercept_)),
            f"n_iter {a.n_iter_}, nnz {np.count_nonzero(a.coef_)}",
        )
Xc, yc = t._classification()
for C in (0.05, 0.5, 5.0):
    a = E.LogisticRegressionL1(C=C, tol=1e-9, max_iter=10_000).fit(Xc, yc)
    b = sklm.LogisticRegression(
        l1_ratio=1.0, C=C, solver="saga", tol=1e-12, max_iter=200_000
    ).fit(Xc, yc)
    row(
        f"LogisticRegressionL1 C={C}",
        "LogisticRegression saga",
        max(np.abs(a.coef_ - b.coef_).max(), np.abs(a.intercept_ - b.intercept_).max()),
        f"nnz {np.count_nonzero(a.coef_)}",
    )
    a = E.LogisticRegressionL1(C=C, fit_intercept=False, tol=1e-9, max_iter=10_000).fit(
        Xc, yc
    )
    b = sklm.LogisticRegression(
        l1_ratio=1.0,
        C=C,
        solver="liblinear",
        fit_intercept=False,
        tol=1e-12,
        max_iter=200_000,
    ).fit(Xc, yc)
    row(
        f"LogisticRegressionL1 C={C}, no intercept",
        "LogisticRegression liblinear",
        np.abs(a.coef_ - b.coef_).max(),
    )
rng = np.random.default_rng(0)
Xb = rng.standard_normal((300, 12)) + 2.0
w = np.zeros(12)
w[[1, 4, 7]] = [2.0, -3.0, 1.5]
yb = Xb @ w + 1.0 + 0.2 * rng.standard_normal(300)
ard_all = sklm.ARDRegression(max_iter=5000, tol=1e-12).fit(Xb, yb)
for method in ("em", "fast"):
    a = E.SparseBayesianRegression(method=method, tol=1e-10, max_iter=5000).fit(Xb, yb)
    b = sklm.ARDRegression(max_iter=5000, tol=1e-12).fit(Xb[:, a.support_], yb)
    rel = np.abs(a.coef_[a.support_] / b.coef_ - 1).max()
    rows.append(
        (
            f"SBL {method} (support {a.support_.tolist()})",
            "ARDRegression on that support",
            f"{rel:.1e} (rel)",
            f"alpha_ rel {abs(a.alpha_ / b.alpha_ - 1):.1e}",
        )
    )
    rows.append(
        (
            f"SBL {method}",
            "ARDRegression on all columns",
            f"{np.abs(a.coef_ - ard_all.coef_).max():.1e}",
            f"ARD keeps {np.count_nonzero(np.abs(ard_all.coef_) > 1e-3)} columns",
        )
    )
rng = np.random.default_rng(3)
D = t._unit_rows(rng, 30, 16)
Xd = rng.standard_normal((25, 16))
a = E.SparseCoder(D, transform_n_nonzero_coefs=4).transform(Xd)
b = skd.SparseCoder(
    D, transform_algorithm="omp", transform_n_nonzero_coefs=4
).transform(Xd)
row("SparseCoder omp", "SparseCoder omp", np.abs(a - b).max())
a = E.SparseCoder(D, transform_algorithm="lasso", transform_alpha=0.2).transform(Xd)
b = skd.SparseCoder(D, transform_algorithm="lasso_cd", transform_alpha=0.2).transform(
    Xd
)
tight = sklm.Lasso(alpha=0.2 / 16, fit_intercept=False, tol=1e-14, max_iter=10**6)
exact = np.array([tight.fit(D.T, x).coef_ for x in Xd])
row(
    "SparseCoder lasso",
    "SparseCoder lasso_cd",
    np.abs(a - b).max(),
    f"vs tight Lasso {np.abs(a - exact).max():.1e}; "
    f"lasso_cd vs tight {np.abs(b - exact).max():.1e}",
)
a = E.SparseCoder(D, transform_algorithm="threshold", transform_alpha=0.3).transform(Xd)
b = skd.SparseCoder(D, transform_algorithm="threshold", transform_alpha=0.3).transform(
    Xd
)
row("SparseCoder threshold", "SparseCoder threshold", np.abs(a - b).max())
print("| estimator | scikit-learn reference | max abs difference | note |")
print("| --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
