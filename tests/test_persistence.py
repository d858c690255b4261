"""Fitted estimators survive skops (with explicit trusted types) and pickle."""

import builtins
import io
import json
import pickle
import sys
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KernelDensity, KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    SIRResampler,
    WeightedGenerativeTrainer,
)
from skratio.datasets import make_gaussian_shift

skops_io = pytest.importorskip("skops.io")
from skratio.io import dump, load, untrusted_types  # noqa: E402 (needs skops)

X, y, _ = make_gaussian_shift(n_source=300, n_target=150, n_features=3, random_state=0)
X_new = np.random.default_rng(1).normal(size=(50, 3))


def _ratio_estimators():
    return {
        "default": DensityRatioEstimator(random_state=0),
        "pipeline": DensityRatioEstimator(
            make_pipeline(StandardScaler(), LogisticRegression()), power=0.5, clip=10.0
        ),
        "boosting": DensityRatioEstimator(HistGradientBoostingClassifier(max_iter=5)),
        "neighbours": DensityRatioEstimator(KNeighborsClassifier(15)),
        "sigmoid": CalibratedRatio(method="sigmoid"),
        "isotonic": CalibratedRatio(method="isotonic"),
        "temperature": CalibratedRatio(method="temperature"),
    }


def _skops_round_trip(estimator):
    buffer = io.BytesIO()
    dump(estimator, buffer)
    return load(io.BytesIO(buffer.getvalue()))


def _pickle_round_trip(estimator):
    return pickle.loads(pickle.dumps(estimator))


ROUND_TRIPS = [_skops_round_trip, _pickle_round_trip]


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("name", list(_ratio_estimators()))
def test_ratio_estimators_predict_identically_after_reloading(name, round_trip):
    estimator = _ratio_estimators()[name].fit(X, y)
    loaded = round_trip(estimator)
    assert type(loaded) is type(estimator)
    np.testing.assert_array_equal(
        loaded.predict_weight(X_new), estimator.predict_weight(X_new)
    )
    np.testing.assert_array_equal(
        loaded.predict_proba(X_new), estimator.predict_proba(X_new)
    )
    assert loaded.prior_ratio_ == estimator.prior_ratio_


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_sir_resampler_resamples_identically_after_reloading(round_trip):
    ratio = DensityRatioEstimator().fit(X, y)
    sir = SIRResampler(ratio, k=5, random_state=0)
    expected = sir.fit_resample(X_new)
    loaded = round_trip(sir)
    np.testing.assert_array_equal(loaded.sample_indices_, sir.sample_indices_)
    np.testing.assert_array_equal(loaded.fit_resample(X_new), expected)
    np.testing.assert_array_equal(
        loaded.ratio_estimator.predict_weight(X_new), ratio.predict_weight(X_new)
    )


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("strategy", ["importance", "uniform"])
def test_trainer_samples_identically_after_reloading(strategy, round_trip):
    trainer = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.5), strategy=strategy, random_state=0
    ).fit(X, y)
    loaded = round_trip(trainer)
    np.testing.assert_array_equal(loaded.weights_, trainer.weights_)
    np.testing.assert_array_equal(
        loaded.sample(20, random_state=3), trainer.sample(20, random_state=3)
    )
    np.testing.assert_array_equal(
        loaded.generator_.score_samples(X_new), trainer.generator_.score_samples(X_new)
    )
    if strategy == "importance":
        np.testing.assert_array_equal(
            loaded.ratio_estimator_.predict_weight(X_new),
            trainer.ratio_estimator_.predict_weight(X_new),
        )


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_reweighted_estimator_predicts_identically_after_reloading(round_trip):
    from sklearn.linear_model import LinearRegression

    from skratio import ReweightedEstimator

    # Labelled source rows, unlabelled (NaN) target rows.
    labels = np.where(y == 0, X[:, 0] ** 2, np.nan)
    model = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, labels)
    loaded = round_trip(model)
    np.testing.assert_array_equal(loaded.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(loaded.weights_, model.weights_)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_multi_source_ratio_predicts_identically_after_reloading(round_trip):
    from skratio import MultiSourceRatio

    domains = np.array(["web", "books", "reference"])[np.arange(len(X)) % 3]
    ratio = MultiSourceRatio(target_label="reference").fit(X, domains)
    loaded = round_trip(ratio)
    np.testing.assert_array_equal(
        loaded.predict_weight(X_new), ratio.predict_weight(X_new)
    )
    np.testing.assert_array_equal(
        loaded.predict_weight(X_new, source="web"),
        ratio.predict_weight(X_new, source="web"),
    )


def test_plain_skops_load_refuses_skratio_types_that_the_helper_trusts():
    # The helper is needed: skops alone does not trust skratio's classes.
    buffer = io.BytesIO()
    dump(DensityRatioEstimator().fit(X, y), buffer)
    data = buffer.getvalue()
    assert any(
        t.startswith("skratio.") for t in skops_io.get_untrusted_types(data=data)
    )
    with pytest.raises(skops_io.exceptions.UntrustedTypesFoundException):
        skops_io.loads(data)
    assert untrusted_types(io.BytesIO(data)) == []


class ForeignClassifier(ClassifierMixin, BaseEstimator):
    """A classifier from outside skratio and scikit-learn."""

    def fit(self, X, y):
        self.inner_ = LogisticRegression().fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict_proba(self, X):
        return self.inner_.predict_proba(X)


def test_unknown_types_are_refused_unless_trusted_by_name(tmp_path):
    estimator = DensityRatioEstimator(ForeignClassifier()).fit(X, y)
    path = tmp_path / "ratio.skops"
    dump(estimator, path)
    name = f"{__name__}.ForeignClassifier"
    assert untrusted_types(path) == [name]
    with pytest.raises(
        skops_io.exceptions.UntrustedTypesFoundException, match="Foreign"
    ):
        load(path)
    loaded = load(path, trusted=[name])
    np.testing.assert_array_equal(
        loaded.predict_weight(X_new), estimator.predict_weight(X_new)
    )
    # A type object works as well as its name.
    assert (
        type(load(path, trusted=[ForeignClassifier]).classifier_) is ForeignClassifier
    )
    assert untrusted_types(path, trusted=[name]) == []


@pytest.mark.parametrize(
    "name",
    [
        # Not skratio modules, or not classes defined in them.
        "os.system",
        "skratio._ratio.np",
        "skratio._ratio.LogisticRegression",
        "skratio._ratio.domain_log_odds",
        "skratio.nonexistent.Thing",
        "skratiox.Thing",
        # The command line: importing skratio.__main__ runs it.
        "skratio.__main__.main",
        "skratio.cli.main",
    ],
)
def test_only_classes_defined_in_skratio_modules_are_trusted(name):
    from skratio.io import _is_skratio_class

    assert not _is_skratio_class(name)


def test_every_public_estimator_class_is_trusted():
    import skratio
    from skratio.io import _is_skratio_class

    classes = [obj for obj in vars(skratio).values() if isinstance(obj, type)]
    assert classes
    for cls in classes:
        assert _is_skratio_class(f"{cls.__module__}.{cls.__qualname__}"), cls


def _crafted(module, name):
    """A skops file whose classifier is said to be ``module.name``.

    Written as an attacker would: a genuine file with the classifier's type
    rewritten in its schema.
    """
    buffer = io.BytesIO()
    dump(DensityRatioEstimator(ForeignClassifier()), buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files["schema.json"])
    node = schema["content"]["content"]["classifier"]
    assert node["__class__"] == "ForeignClassifier"
    node["__module__"], node["__class__"] = module, name
    files["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n, content in files.items():
            archive.writestr(n, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "module, name",
    [
        ("skratio.__main__", "main"),
        ("os", "system"),
        ("subprocess", "Popen"),
        ("skratio_no_such_module", "Thing"),
        ("skratio.no_such_module", "Thing"),
    ],
)
def test_crafted_files_are_refused_without_importing_what_they_name(
    module, name, monkeypatch
):
    # Importing skratio.__main__ would run the command line (and exit); a
    # missing module would be looked for. Record every import instead.
    monkeypatch.delitem(sys.modules, "skratio.__main__", raising=False)
    imported = []
    real_import = builtins.__import__

    def recording_import(module_name, *args, **kwargs):
        imported.append(module_name)
        return real_import(module_name, *args, **kwargs)

    data = _crafted(module, name)
    monkeypatch.setattr(builtins, "__import__", recording_import)
    assert untrusted_types(io.BytesIO(data)) == [f"{module}.{name}"]
    with pytest.raises(skops_io.exceptions.UntrustedTypesFoundException, match=name):
        load(io.BytesIO(data))
    monkeypatch.undo()
    assert "skratio.__main__" not in sys.modules
    assert module not in imported and "skratio_no_such_module" not in sys.modules


def test_a_module_inside_the_package_is_not_imported_to_decide_trust(
    tmp_path, monkeypatch
):
    # A module that a file names and that would be found inside skratio's
    # package (as skratio.__main__ is) is not imported: its code would run.
    import skratio

    marker = tmp_path / "ran"
    (tmp_path / "_payload.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Payload:\n    pass\n"
    )
    monkeypatch.setattr(skratio, "__path__", [*skratio.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "skratio._payload", raising=False)
    data = _crafted("skratio._payload", "Payload")
    assert untrusted_types(io.BytesIO(data)) == ["skratio._payload.Payload"]
    with pytest.raises(skops_io.exceptions.UntrustedTypesFoundException):
        load(io.BytesIO(data))
    assert not marker.exists()
    assert "skratio._payload" not in sys.modules


def test_without_skops_the_error_names_the_io_extra(monkeypatch):
    real_import = builtins.__import__

    def no_skops(module_name, *args, **kwargs):
        if module_name == "skops" or module_name.startswith("skops."):
            raise ModuleNotFoundError(f"No module named {module_name!r}")
        return real_import(module_name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_skops)
    for call in (
        lambda: dump(DensityRatioEstimator(), io.BytesIO()),
        lambda: load(io.BytesIO(b"")),
        lambda: untrusted_types(io.BytesIO(b"")),
    ):
        with pytest.raises(ImportError, match=r'skops.*pip install -e "\.\[io\]"'):
            call()
