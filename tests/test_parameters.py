"""The parameter table (model/_parameters.py): the estimator's signature, constraints,
docstring and network config agree with it, and a parameter that does nothing warns."""

import inspect
import json
import re
import shutil
import warnings
from dataclasses import asdict
from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    generate_valid_param,
    make_constraint,
)

from bilstm_emotion import (
    PRETRAINED,
    BiLSTMFaceEmotionClassifier,
    UnusedParameterWarning,
    pretrained_info,
)
from bilstm_emotion.core._registry import record_params, weights_dir
from bilstm_emotion.model._config import NetworkConfig
from bilstm_emotion.model._keras_pretrained import NOT_RECORDED, shipped_params
from bilstm_emotion.model._parameters import (
    PARAMETERS,
    idle,
    parameter_defaults,
    unused_parameters,
)
from bilstm_emotion.model._pretrained import load_pretrained

NAMES = [p.name for p in PARAMETERS]


def test_the_signature_is_the_table_name_for_name_and_default_for_default():
    signature = inspect.signature(BiLSTMFaceEmotionClassifier)
    assert list(signature.parameters) == NAMES
    for p in PARAMETERS:
        assert signature.parameters[p.name].default == p.default, p.name
        assert signature.parameters[p.name].kind is inspect.Parameter.KEYWORD_ONLY


def test_every_default_is_accepted_by_its_own_constraints():
    assert list(BiLSTMFaceEmotionClassifier._parameter_constraints) == NAMES
    for p in PARAMETERS:
        assert any(make_constraint(c).is_satisfied_by(p.default) for c in p.constraints), p.name


def _documented():
    """``[(name, type, default)]`` of the docstring's Parameters section, in order."""
    doc = BiLSTMFaceEmotionClassifier.__doc__
    section = doc[doc.index("Parameters\n") : doc.index("Attributes\n")]
    return re.findall(r"^\s*(\w+) : (.*), default=(.*)$", section, re.MULTILINE)


def test_the_docstring_documents_every_parameter_with_the_tables_default():
    documented = _documented()
    assert [name for name, *_ in documented] == NAMES
    for (name, kind, default), p in zip(documented, PARAMETERS, strict=True):
        assert default == (f'"{p.default}"' if isinstance(p.default, str) else repr(p.default))
        options = [c for c in p.constraints if isinstance(c, StrOptions)]
        if options:  # the type line names exactly the strings accepted
            assert set(re.findall(r'"(\w+)"', kind)) == options[0].options, name
        for constraint, word in ((Integral, "int"), (Real, "float"), ("boolean", "bool")):
            if constraint in p.constraints or any(
                isinstance(c, Interval) and c.type is constraint for c in p.constraints
            ):
                assert kind.startswith(word) or f", {word}" in kind, (name, kind)


def test_the_docstring_check_sees_a_wrong_default(monkeypatch):
    doc = BiLSTMFaceEmotionClassifier.__doc__.replace("default=64", "default=65", 1)
    monkeypatch.setattr(BiLSTMFaceEmotionClassifier, "__doc__", doc)
    with pytest.raises(AssertionError):
        test_the_docstring_documents_every_parameter_with_the_tables_default()


def test_a_warm_start_compares_only_what_shapes_a_network():
    def config(**params):
        return NetworkConfig.from_params(stem_filters=(4,), **params)

    conv = config(stem="conv")
    changed = NetworkConfig.from_params(stem="conv", stem_filters=(8,))
    assert conv.changes(changed) == [("stem_filters", (4,), (8,))]
    assert config().changes(NetworkConfig.from_params(stem_filters=(8,))) == []  # no stem
    assert [name for name, *_ in config().changes(changed)] == ["stem", "stem_filters"]
    # a network field's condition reads network fields only (NetworkConfig's are enough)
    for name in NetworkConfig.names():
        idle(name, asdict(NetworkConfig.from_params()))


def test_the_network_config_takes_its_defaults_and_checks_from_the_table():
    config = NetworkConfig.from_params()
    for name in NetworkConfig.names():
        assert getattr(config, name) == parameter_defaults()[name]
    with pytest.raises(ValueError, match="Received: row_hidden=0"):
        NetworkConfig.from_params(row_hidden=0)


@pytest.mark.parametrize("p", PARAMETERS, ids=NAMES)
def test_a_value_for_each_constraint_round_trips_through_set_params_and_clone(p):
    for constraint in p.constraints:
        value = generate_valid_param(make_constraint(constraint))
        clf = BiLSTMFaceEmotionClassifier().set_params(**{p.name: value})
        clf._validate_params()  # accepted
        cloned = clone(clf).get_params()[p.name]
        if isinstance(value, (int, float, str, tuple, list, dict, type(None))):
            assert cloned == value and type(cloned) is type(value)
        else:  # an object (a teacher, a RandomState): clone copies it
            assert type(cloned) is type(value)


def _unused_config(p):
    """Parameters under which ``p`` does nothing, and a value for it off its default."""
    switch = {
        "sweep_hidden": ({}, 8),
        "stem_filters": ({}, (8,)),
        "stem_stride": ({}, 2),
        "validation_fraction": ({}, 0.3),
        "patience": ({}, 2),
        "early_stopping": ({"epochs": 1}, True),
        "teacher_weight": ({}, 0.9),
        "teacher_views": ({"teacher": object(), "flip": False}, 3),  # no augmentation
    }
    others, value = switch[p.name]
    return {**parameter_defaults(), **others, p.name: value}


@pytest.mark.parametrize("p", [p for p in PARAMETERS if p.unused], ids=lambda p: p.name)
def test_a_parameter_that_does_nothing_is_named(p):
    params = _unused_config(p)
    assert [name for name, *_ in unused_parameters(params)] == [p.name]
    assert unused_parameters(parameter_defaults()) == []  # a default never warns


def test_parameters_that_act_are_not_named():
    acting = {
        **parameter_defaults(),
        "stem": "conv",
        "stem_filters": (8,),
        "stem_stride": 2,
        "sweep_layers": 1,
        "sweep_hidden": 8,
        "early_stopping": True,
        "patience": 2,
        "validation_fraction": 0.3,
        "teacher": object(),
        "teacher_weight": 0.9,
        "flip": True,
        "teacher_views": "online",
    }
    assert unused_parameters(acting) == []
    # what no comparison with its default can decide counts as set, without an error
    assert unused_parameters({**parameter_defaults(), "stem_filters": np.array([8, 16])})[0][
        0
    ] == ("stem_filters")


@pytest.mark.slow
def test_fit_and_partial_fit_warn_at_the_callers_line(faces, make_clf):
    X, y = faces
    with pytest.warns(UnusedParameterWarning) as record:
        clf = make_clf(epochs=1, stem_filters=(4,)).fit(X, y)
    (warning,) = [w for w in record if w.category is UnusedParameterWarning]
    assert str(warning.message) == "`stem_filters=(4,)` does nothing with stem=None."
    assert warning.filename == __file__
    # a warm start may change what does nothing: the network stays the same
    clf.set_params(warm_start=True, stem_filters=(8,))
    with pytest.warns(UnusedParameterWarning, match="stem_filters=\\(8,\\)"):
        clf.fit(X, y)
    # partial_fit trains one epoch: early stopping cannot act there
    online = make_clf(early_stopping=True)
    with pytest.warns(
        UnusedParameterWarning, match="`early_stopping=True` does nothing"
    ) as record:
        online.partial_fit(X, y, classes=np.unique(y))
    assert {w.filename for w in record if w.category is UnusedParameterWarning} == {__file__}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedParameterWarning)
        make_clf(epochs=1).partial_fit(X, y, classes=np.unique(y))  # nothing to say


@pytest.mark.parametrize("name", PRETRAINED)
def test_a_shipped_record_holds_every_parameter_and_none_idle(name):
    info = pretrained_info(name)
    assert set(info["params"]) == set(NAMES) - set(NOT_RECORDED)
    # as trained: a distilled model had its teacher, which the record leaves out
    teacher = object() if info["training"].get("teacher") else None
    params = {**parameter_defaults(), **record_params(info), "teacher": teacher}
    assert unused_parameters(params) == []
    # loaded without it, only the teacher's share goes back to its default: a refit of
    # the shipped model (clone(load_pretrained()).fit, train --like) has nothing to warn
    shipped = shipped_params(info)
    back = {"teacher_weight": parameter_defaults()["teacher_weight"]} if teacher else {}
    assert shipped == {**record_params(info), **back}
    assert unused_parameters({**parameter_defaults(), **shipped}) == []


def test_the_loaded_default_model_is_its_record_less_its_teachers_share():
    params = load_pretrained(engine="keras").get_params()
    assert params["teacher_weight"] == 0.5 != pretrained_info()["params"]["teacher_weight"]
    assert unused_parameters(params) == []


def test_a_record_without_a_parameter_is_refused(tmp_path):
    for suffix in (".json", ".keras"):
        shutil.copy(weights_dir() / f"conv-lite{suffix}", tmp_path / f"old{suffix}")
    record = tmp_path / "old.json"
    info = json.loads(record.read_text())
    del info["params"]["erasing"]
    record.write_text(json.dumps(info))
    with pytest.raises(ValueError, match=r"old\.json. Received: none for \['erasing'\]"):
        load_pretrained("old", directory=tmp_path)


def test_every_constraint_is_enforced_by_every_method():
    """scikit-learn's own check: each parameter set to a value its constraints refuse
    makes fit (and partial_fit) raise an error that names it, before any training."""
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation("BiLSTMFaceEmotionClassifier", BiLSTMFaceEmotionClassifier())
