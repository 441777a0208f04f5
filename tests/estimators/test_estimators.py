"""sparsela.estimators: scikit-learn's checks and agreement with its peers."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import decomposition as skd  # noqa: E402
from sklearn import linear_model as sklm  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from sparsela.estimators import (  # noqa: E402
    DictionaryLearning,
    Lasso,
    LogisticRegressionL1,
    OrthogonalMatchingPursuit,
    SparseBayesianRegression,
    SparseCoder,
)

# SparseCoder's dictionary fixes n_features; these checks fit data of other
# widths (scikit-learn gives its own SparseCoder a dictionary per check).
_WIDTH = "the dictionary fixes n_features; the check uses data of another width"
_CODER_XFAIL = dict.fromkeys(
    (
        "check_estimators_dtypes",
        "check_dtype_object",
        "check_estimators_fit_returns_self",
        "check_estimators_overwrite_params",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_transformers_unfitted_stateless",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
    ),
    _WIDTH,
)

ESTIMATORS = [
    OrthogonalMatchingPursuit(),
    Lasso(),
    Lasso(solver="bcd"),
    SparseBayesianRegression(),
    LogisticRegressionL1(),
    DictionaryLearning(max_iter=5),
    DictionaryLearning(method="online", max_iter=2),
    SparseCoder(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]])),
]


def _expected_failed(estimator):
    return _CODER_XFAIL if isinstance(estimator, SparseCoder) else {}


# the checks fit tiny random problems with default iteration limits, on which
# an honest ConvergenceWarning is expected (and scikit-learn's own checks allow)
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_import_hint_without_sklearn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import sparsela.estimators\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "needs scikit-learn" in out.stdout
    assert "sparsela[sklearn]" in out.stdout


def _regression(seed=0, n=120, p=40, n_targets=None):
    rng = np.random.default_rng(seed)
    # unequal scales and non-zero means: the centring and the intercept matter
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.standard_normal(p)
    w = np.zeros(p)
    w[[1, 5, 9, 20, 33]] = [2.0, -3.0, 1.5, 1.0, -2.0]
    y = X @ w + 3.0 + 0.1 * rng.standard_normal(n)
    if n_targets:
        y = np.column_stack(
            [y] + [X @ rng.standard_normal(p) for _ in range(1, n_targets)]
        )
    return X, y


def _standardized(X):
    Xs = X - X.mean(axis=0)
    return Xs / np.linalg.norm(Xs, axis=0)


@pytest.mark.parametrize("n_targets", [None, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "params", [{"n_nonzero_coefs": 1}, {"n_nonzero_coefs": 7}, {"tol": 1.0}, {}]
)
@pytest.mark.filterwarnings(
    "ignore:.*did not converge:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.filterwarnings("ignore:Orthogonal matching pursuit ended:RuntimeWarning")
def test_omp_matches_sklearn(params, fit_intercept, n_targets):
    # tol=1 without the intercept is out of reach: both stop at the last
    # independent atom and warn
    X, y = _regression(n_targets=n_targets)
    # equal column norms: scikit-learn's argmax |x_j^T r| is then ours
    Xs = _standardized(X)
    ours = OrthogonalMatchingPursuit(fit_intercept=fit_intercept, **params).fit(Xs, y)
    ref = sklm.OrthogonalMatchingPursuit(fit_intercept=fit_intercept, **params)
    ref.fit(Xs, y)
    assert ours.coef_.shape == ref.coef_.shape
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours.n_iter_, ref.n_iter_)
    np.testing.assert_allclose(ours.predict(Xs), ref.predict(Xs), atol=1e-9)


def test_omp_selection_ignores_feature_units():
    X, y = _regression()
    scale = np.random.default_rng(1).uniform(0.01, 100.0, X.shape[1])
    a = OrthogonalMatchingPursuit(n_nonzero_coefs=5).fit(X, y)
    b = OrthogonalMatchingPursuit(n_nonzero_coefs=5).fit(X * scale, y)
    np.testing.assert_allclose(b.coef_ * scale, a.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(np.flatnonzero(a.coef_), [1, 5, 9, 20, 33])


def test_omp_constant_feature_gets_zero():
    X, y = _regression()
    X[:, 3] = 7.0  # centred to rounding noise: must not be picked
    model = OrthogonalMatchingPursuit(n_nonzero_coefs=6).fit(X, y)
    assert model.coef_[3] == 0.0


@pytest.mark.parametrize("solver", ["fista", "bcd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5])
def test_lasso_matches_sklearn(solver, fit_intercept, alpha):
    X, y = _regression()
    ours = Lasso(
        alpha, solver=solver, fit_intercept=fit_intercept, tol=1e-10, max_iter=100_000
    ).fit(X, y)
    ref = sklm.Lasso(
        alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=1_000_000
    ).fit(X, y)
    # a relative gap of 1e-10 bounds ||w - w*|| near 1e-5 |w| in the worst case;
    # both solvers land far closer
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ours.coef_ != 0, ref.coef_ != 0)


@pytest.mark.parametrize("solver", ["fista", "bcd"])
def test_lasso_multi_target_and_positive(solver):
    X, y = _regression(n_targets=2)
    ours = Lasso(0.1, solver=solver, tol=1e-10, max_iter=100_000).fit(X, y)
    ref = sklm.Lasso(alpha=0.1, tol=1e-12, max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    ours = Lasso(0.1, solver=solver, positive=True, tol=1e-10, max_iter=100_000).fit(
        X, y[:, 0]
    )
    ref = sklm.Lasso(alpha=0.1, positive=True, tol=1e-12, max_iter=1_000_000).fit(
        X, y[:, 0]
    )
    assert ours.coef_.min() >= 0
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


def test_lasso_float32_and_bad_options():
    X, y = _regression()
    model = Lasso(0.1).fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="solver"):
        Lasso(solver="cd").fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        Lasso(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="n_nonzero_coefs"):
        OrthogonalMatchingPursuit(n_nonzero_coefs=41).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        Lasso(0.001, max_iter=2, tol=1e-12).fit(X, y)


def _classification(seed=0, n=120, p=40):
    X, _ = _regression(seed, n, p)
    rng = np.random.default_rng(seed + 10)
    w = np.zeros(p)
    w[[1, 5, 9, 20, 33]] = [2.0, -3.0, 1.5, 1.0, -2.0]
    score = (X - X.mean(0)) @ w
    y = np.where(score + score.std() * rng.standard_normal(n) > 0, "b", "a")
    return X, y


@pytest.mark.parametrize("C", [0.05, 0.5, 5.0])
def test_logistic_matches_sklearn(C):
    X, y = _classification()
    with warnings.catch_warnings():  # saga warns about its long run
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        saga = sklm.LogisticRegression(
            l1_ratio=1.0, C=C, solver="saga", tol=1e-12, max_iter=200_000
        ).fit(X, y)
        liblinear = sklm.LogisticRegression(
            l1_ratio=1.0,
            C=C,
            solver="liblinear",
            fit_intercept=False,
            tol=1e-12,
            max_iter=200_000,
        ).fit(X, y)
    # a relative gap of 1e-9: the gap of bcd floors near 2e-10 in float64
    ours = LogisticRegressionL1(C=C, tol=1e-9, max_iter=10_000).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, saga.classes_)
    np.testing.assert_allclose(ours.coef_, saga.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, saga.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), saga.predict_proba(X), atol=1e-6)
    ours = LogisticRegressionL1(
        C=C, fit_intercept=False, tol=1e-9, max_iter=10_000
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, liblinear.coef_, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), liblinear.predict(X))
    np.testing.assert_allclose(np.exp(ours.predict_log_proba(X)), ours.predict_proba(X))


def test_logistic_refuses_multiclass():
    X, _ = _classification()
    y = np.arange(X.shape[0]) % 3
    with pytest.raises(ValueError, match="Only binary"):
        LogisticRegressionL1().fit(X, y)


@pytest.mark.parametrize(
    ("method", "rtol_coef", "rtol_noise"),
    # the fast method stops when its basis is stable, with its noise estimate
    # 3.3% off the evidence's fixed point here (measured); EM reaches it
    [("em", 1e-8, 1e-5), ("fast", 1e-4, 5e-2)],
)
def test_sbl_matches_ard_on_its_support(method, rtol_coef, rtol_noise):
    # Comparable where both maximise the same evidence over the same columns:
    # ARD's near-flat gamma hyperpriors (1e-6) on the columns SBL kept. ARD
    # on all columns keeps extra noise coefficients that SBL's significance
    # test removes, so the whole-design fits differ by ~1e-2.
    rng = np.random.default_rng(0)
    n, p = 300, 12
    X = rng.standard_normal((n, p)) + 2.0
    w = np.zeros(p)
    w[[1, 4, 7]] = [2.0, -3.0, 1.5]
    y = X @ w + 1.0 + 0.2 * rng.standard_normal(n)
    ours = SparseBayesianRegression(method=method, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_array_equal(ours.support_, [1, 4, 7])
    ard = sklm.ARDRegression(max_iter=5000, tol=1e-12).fit(X[:, ours.support_], y)
    np.testing.assert_allclose(ours.coef_[ours.support_], ard.coef_, rtol=rtol_coef)
    np.testing.assert_allclose(ours.intercept_, ard.intercept_, rtol=rtol_coef)
    np.testing.assert_allclose(ours.alpha_, ard.alpha_, rtol=rtol_noise)
    np.testing.assert_allclose(
        ours.lambda_[ours.support_], ard.lambda_, rtol=100 * rtol_noise
    )
    assert np.all(np.isinf(np.delete(ours.lambda_, ours.support_)))
    mean, std = ours.predict(X[:5], return_std=True)
    ard_mean, ard_std = ard.predict(X[:5, ours.support_], return_std=True)
    np.testing.assert_allclose(mean, ard_mean, rtol=rtol_coef)
    np.testing.assert_allclose(std, ard_std, rtol=rtol_noise)


def _unit_rows(rng, k, n):
    D = rng.standard_normal((k, n))
    return D / np.linalg.norm(D, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            {"transform_algorithm": "omp", "transform_n_nonzero_coefs": 4},
            {"transform_algorithm": "omp", "transform_n_nonzero_coefs": 4},
        ),
        (
            {
                "transform_algorithm": "lasso",
                "transform_alpha": 0.2,
                "transform_max_iter": 20_000,
            },
            {
                "transform_algorithm": "lasso_cd",
                "transform_alpha": 0.2,
                "transform_max_iter": 20_000,
            },
        ),
        (
            {"transform_algorithm": "threshold", "transform_alpha": 0.3},
            {"transform_algorithm": "threshold", "transform_alpha": 0.3},
        ),
    ],
)
def test_sparse_coder_matches_sklearn(ours, theirs):
    rng = np.random.default_rng(3)
    D = _unit_rows(rng, 30, 16)
    X = rng.standard_normal((25, 16))
    codes = SparseCoder(D, **ours).fit(X).transform(X)
    ref = skd.SparseCoder(D, **theirs).transform(X)
    # lasso_cd stops at scikit-learn's Lasso tol=1e-4 (~1e-6 off here)
    atol = 1e-5 if ours["transform_algorithm"] == "lasso" else 1e-10
    np.testing.assert_allclose(codes, ref, atol=atol)
    if ours["transform_algorithm"] == "lasso":  # against a tight minimiser
        tight = sklm.Lasso(
            alpha=0.2 / 16, fit_intercept=False, tol=1e-14, max_iter=1_000_000
        )
        exact = np.array([tight.fit(D.T, x).coef_ for x in X])
        np.testing.assert_allclose(codes, exact, atol=1e-7)
    assert SparseCoder(D).transform(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("method", ["ksvd", "mod", "online"])
@pytest.mark.filterwarnings(
    "ignore:DictionaryLearning did not:sklearn.exceptions.ConvergenceWarning"
)
def test_dictionary_learning_transform_matches_sklearn_coder(method):
    rng = np.random.default_rng(0)
    D = _unit_rows(rng, 20, 12)
    C = np.zeros((400, 20))
    for i in range(400):
        C[i, rng.choice(20, 3, replace=False)] = rng.standard_normal(3)
    X = C @ D + 0.01 * rng.standard_normal((400, 12))
    model = DictionaryLearning(20, method=method, n_nonzero_coefs=3, random_state=0)
    codes = model.fit_transform(X)
    assert model.components_.shape == (20, 12)
    norms = np.linalg.norm(model.components_, axis=1)
    if method == "online":  # Mairal's update keeps atoms in the unit ball
        assert np.all(norms <= 1.0 + 1e-12) and norms.min() > 0.5
    else:
        np.testing.assert_allclose(norms, 1.0)
    # our OMP selects by |d^T r| / ||d|| (scikit-learn: |d^T r|), so compare on
    # unit atoms and map the codes back to the atoms' own scale
    ref = (
        skd.SparseCoder(
            model.components_ / norms[:, None],
            transform_algorithm="omp",
            transform_n_nonzero_coefs=3,
        ).transform(X)
        / norms
    )
    np.testing.assert_allclose(codes, ref, atol=1e-10)
    err = np.linalg.norm(X - model.inverse_transform(codes)) / np.linalg.norm(X)
    R = _unit_rows(rng, 20, 12)  # what a dictionary that learned nothing gives
    err_random = np.linalg.norm(
        X
        - SparseCoder(R, transform_n_nonzero_coefs=3).inverse_transform(
            SparseCoder(R, transform_n_nonzero_coefs=3).transform(X)
        )
    ) / np.linalg.norm(X)
    assert err < 0.5 * err_random  # measured: 0.18, 0.12, 0.22 against 0.57
    assert not hasattr(DictionaryLearning(method=method), "partial_fit") or (
        method == "online"
    )


def test_dictionary_learning_partial_fit():
    rng = np.random.default_rng(0)
    model = DictionaryLearning(16, method="online", n_nonzero_coefs=2, random_state=0)
    for _ in range(4):
        model.partial_fit(rng.standard_normal((100, 8)))
    assert model.components_.shape == (16, 8) and model.n_iter_ == 4
    assert model.n_features_in_ == 8
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(rng.standard_normal((10, 9)))
    assert not hasattr(DictionaryLearning(method="ksvd"), "partial_fit")


def test_gridsearch_over_alpha_in_pipeline():
    X, y = _regression(n=150)
    pipe = make_pipeline(StandardScaler(), Lasso(tol=1e-8, max_iter=10_000))
    search = GridSearchCV(pipe, {"lasso__alpha": [1e-3, 1e-2, 0.1, 1.0, 10.0]}, cv=3)
    search.fit(X, y)
    # 0.1 noise: the small penalties fit best; 10 zeroes every coefficient
    assert search.best_params_["lasso__alpha"] <= 0.1
    scores = search.cv_results_["mean_test_score"]
    assert scores[-1] < 0.1 < scores[0]
    assert search.best_estimator_[-1].n_features_in_ == X.shape[1]
    # the same search over scikit-learn's Lasso picks the same alpha
    ref = GridSearchCV(
        make_pipeline(StandardScaler(), sklm.Lasso(tol=1e-10)),
        {"lasso__alpha": [1e-3, 1e-2, 0.1, 1.0, 10.0]},
        cv=3,
    ).fit(X, y)
    assert ref.best_params_ == search.best_params_
    np.testing.assert_allclose(scores, ref.cv_results_["mean_test_score"], atol=1e-6)


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    X, y = _regression()
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    for model in (OrthogonalMatchingPursuit(), Lasso(0.1), SparseBayesianRegression()):
        model.fit(frame, y)
        np.testing.assert_array_equal(model.feature_names_in_, frame.columns)


@pytest.mark.filterwarnings(
    "ignore:DictionaryLearning did not:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("method", ["orthogonal", "online_orthogonal"])
def test_orthogonal_dictionary_recovers_planted_basis(method):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    X = (rng.standard_normal((2000, 8)) * (rng.random((2000, 8)) < 0.2)) @ Q.T
    model = DictionaryLearning(method=method, n_nonzero_coefs=2, random_state=0)
    if method == "orthogonal":
        model.fit(X)
    else:  # a stream of five batches
        for batch in np.split(X, 5):
            model.partial_fit(batch)
        assert model.n_iter_ == 5
    np.testing.assert_allclose(
        model.components_ @ model.components_.T, np.eye(8), atol=1e-8
    )
    # every planted atom found up to sign (measured 0.998 or more)
    assert np.abs(model.components_ @ Q).max(axis=1).min() > 0.99
