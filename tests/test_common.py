"""scikit-learn's estimator checks, with a reason for every expected failure."""

import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks as checks
from sklearn.utils.estimator_checks import _yield_all_checks, parametrize_with_checks

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader

# Fast parameters: the checks fit dozens of models on tiny tabular data.
CHECKED = BiLSTMFaceEmotionClassifier(
    row_hidden=4, col_hidden=4, epochs=2, batch_size=16, random_state=0
)
# The transformers take lists of images (paths, bytes, arrays of any size), not a 2-D
# array of samples: their tags say so (two_d_array=False), and scikit-learn then runs
# only the checks that do not feed them tabular data.
TRANSFORMERS = [ImageLoader(), FaceDetector(detector="lbp"), FaceNormalizer()]

EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch training: a sample with weight 2 and the same sample repeated land in "
        "different batches and take different gradient steps, so the fits differ."
    ),
}


@pytest.mark.slow
@parametrize_with_checks(
    [CHECKED, *TRANSFORMERS], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Several configurations through the checks that fit, predict and pickle a network, as
# imbalanced-learn's PER_ESTIMATOR_CHECK_PARAMS: each front end, and test-time views, take
# their own code paths there. The checks of parameters, tags and input validation (made
# before any network is built) are the same in every configuration and run above. A teacher
# is not among them: it must know the student's classes, which each check draws anew
# (tests/test_distillation.py and tests/test_online.py train with one).
CONFIGURATIONS = {
    "conv_stem": dict(stem="conv", stem_filters=(4,)),
    "patches_and_sweep": dict(patch_size=2, sweep_layers=1, sweep_hidden=3),
    "test_time_views": dict(flip=True, shift=0.1, test_time_flip=True, test_time_shift=1),
}
FITTING_CHECKS = (
    "check_classifiers_train",
    "check_estimators_pickle",
    "check_fit_idempotent",
    "check_n_features_in_after_fitting",
    "check_fit2d_predict1d",
    "check_dict_unchanged",
    "check_readonly_memmap_input",
)


def _fitting_checks():
    """The first variant scikit-learn yields of each of ``FITTING_CHECKS``."""
    found = {}
    for check in _yield_all_checks(CHECKED, legacy=True):
        found.setdefault(getattr(check, "func", check).__name__, check)
    return [found[name] for name in FITTING_CHECKS]


@pytest.mark.slow
@pytest.mark.parametrize("check", _fitting_checks(), ids=FITTING_CHECKS)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_each_configuration_passes_the_fitting_checks(configuration, check):
    estimator = clone(CHECKED).set_params(epochs=1, **CONFIGURATIONS[configuration])
    check(type(estimator).__name__, estimator)


# The API checks that need no tabular data, run on the transformers explicitly (the
# tag-driven selection above skips some of them with the data checks).
API_CHECKS = [
    checks.check_no_attributes_set_in_init,
    checks.check_parameters_default_constructible,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_estimator_repr,
    checks.check_estimator_tags_renamed,
    checks.check_valid_tag_types,
    checks.check_estimator_cloneable,
]


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_transformers_follow_the_estimator_api(estimator, check):
    check(type(estimator).__name__, estimator)


# The ONNX estimator cannot be fitted (its state is an exported graph): the checks of its
# parameters, repr, tags, clone and unfitted state pass; every other check fits, and fails
# on that refusal alone (the checks cannot fit it any other way).
ONNX_PASSING = {
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_estimators_unfitted",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_estimators_partial_fit_n_features",
    "check_non_transformer_estimators_n_iter",
    "check_decision_proba_consistency",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
}


def _refused_to_fit(exc):
    """Whether ``exc`` (or what it was raised from) is the ONNX estimator's refusal."""
    while exc is not None:
        if "cannot be fitted" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def test_the_onnx_estimator_passes_every_check_but_the_ones_that_fit():
    import warnings

    from bilstm_emotion import OnnxFaceEmotionClassifier

    estimator = OnnxFaceEmotionClassifier()
    passed, refused = set(), set()
    for check in _yield_all_checks(estimator, legacy=True):
        name = getattr(check, "func", check).__name__
        if name == "check_array_api_input":
            continue  # skipped by scikit-learn without SCIPY_ARRAY_API
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(type(estimator).__name__, estimator)
        except Exception as exc:
            assert _refused_to_fit(exc), f"{name}: {exc!r}"
            refused.add(name)
        else:
            passed.add(name)
    assert passed == ONNX_PASSING
    assert "check_classifiers_train" in refused and not passed & refused
