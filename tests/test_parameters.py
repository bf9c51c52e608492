"""The parameter table (model/_parameters.py): the estimator's signature, constraints,
docstring and network config agree with it, and a parameter that does nothing warns."""

import inspect
import json
import shutil
import warnings

import numpy as np
import pytest
from numpydoc.docscrape import NumpyDocString
from sklearn.base import clone
from sklearn.utils._param_validation import generate_valid_param, make_constraint

from bilstm_emotion import (
    PRETRAINED,
    BiLSTMFaceEmotionClassifier,
    UnusedParameterWarning,
    pretrained_info,
)
from bilstm_emotion.core._registry import pretrained_params, weights_dir
from bilstm_emotion.model._config import NetworkConfig
from bilstm_emotion.model._parameters import (
    PARAMETERS,
    parameter_defaults,
    unused_parameters,
    with_parameters,
)
from bilstm_emotion.model._pretrained import NOT_RECORDED, load_exported

NAMES = [p.name for p in PARAMETERS]


def test_the_signature_is_the_table_name_for_name_and_default_for_default():
    signature = inspect.signature(BiLSTMFaceEmotionClassifier)
    assert list(signature.parameters) == NAMES
    for p in PARAMETERS:
        assert signature.parameters[p.name].default == p.default, p.name
        assert signature.parameters[p.name].kind is inspect.Parameter.KEYWORD_ONLY


def test_the_constraints_are_the_tables():
    constraints = BiLSTMFaceEmotionClassifier._parameter_constraints
    assert list(constraints) == NAMES
    for p in PARAMETERS:
        assert constraints[p.name] == list(p.constraints)
        # every default is accepted by its own constraints
        assert any(make_constraint(c).is_satisfied_by(p.default) for c in p.constraints), p.name


def test_the_docstring_documents_every_parameter_from_the_table():
    doc = NumpyDocString(BiLSTMFaceEmotionClassifier.__doc__)
    documented = doc["Parameters"]
    assert [entry.name for entry in documented] == NAMES
    for entry, p in zip(documented, PARAMETERS, strict=True):
        assert entry.type == f"{p.type}, default={p.default_text}"
        assert " ".join(entry.desc) == " ".join(p.doc.split("\n"))
    # the option sets are written once: the type line is made from the constraint
    optimizer = documented[NAMES.index("optimizer")]
    assert optimizer.type.startswith('{"adam", "adamw"')
    with pytest.raises(ValueError, match="one Parameters placeholder"):
        with_parameters("no placeholder here")


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


def test_fit_warns_at_the_callers_line(faces, make_clf):
    X, y = faces
    with pytest.warns(UnusedParameterWarning) as record:
        make_clf(epochs=1, stem_filters=(4,)).fit(X, y)
    (warning,) = [w for w in record if w.category is UnusedParameterWarning]
    assert "`stem_filters=(4,)` does nothing with stem=None" in str(warning.message)
    assert warning.filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedParameterWarning)
        make_clf(epochs=1).partial_fit(X, y, classes=np.unique(y))  # nothing to say


@pytest.mark.parametrize("name", PRETRAINED)
def test_a_shipped_record_holds_every_parameter_and_none_idle(name):
    info = pretrained_info(name)
    assert set(info["params"]) == set(NAMES) - set(NOT_RECORDED)
    # as trained: a distilled model had its teacher, which the record leaves out
    teacher = object() if info["training"].get("teacher") else None
    params = {**parameter_defaults(), **pretrained_params(info), "teacher": teacher}
    assert unused_parameters(params) == []


def test_a_record_without_a_parameter_is_refused(tmp_path):
    for suffix in (".json", ".keras"):
        shutil.copy(weights_dir() / f"conv-lite{suffix}", tmp_path / f"old{suffix}")
    record = tmp_path / "old.json"
    info = json.loads(record.read_text())
    del info["params"]["erasing"]
    record.write_text(json.dumps(info))
    with pytest.raises(ValueError, match=r"old\.json. Received: none for \['erasing'\]"):
        load_exported(tmp_path, "old")


def test_every_constraint_is_enforced_by_every_method():
    """scikit-learn's own check: each parameter set to a value its constraints refuse
    makes fit (and partial_fit) raise an error that names it, before any training."""
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation("BiLSTMFaceEmotionClassifier", BiLSTMFaceEmotionClassifier())
