"""evaluate(): numbers agree with scikit-learn's metrics; JSON and Markdown; timing."""

import json
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from bilstm_emotion.evaluation import (
    EvaluationReport,
    environment,
    evaluate,
    measure_speed,
    score_predictions,
)


class Fixed(ClassifierMixin, BaseEstimator):
    """A 'fitted classifier' that returns the predictions it is given."""

    def __init__(self, classes, pred):
        self.classes_ = np.asarray(classes)
        self.pred = np.asarray(pred)
        self.fitted_ = True

    def fit(self, X, y):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return self.pred[: len(X)]

    def predict_proba(self, X):
        return (self.pred[: len(X), None] == self.classes_).astype(float)


labels = st.sampled_from(["angry", "happy", "sad"])


@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=60))
def test_numbers_agree_with_sklearn(pairs):
    y_true, y_pred = map(np.array, zip(*pairs, strict=True))
    report = evaluate(Fixed(["angry", "happy", "sad"], y_pred), y_pred, y_true, timing=False)
    lab = ["angry", "happy", "sad"]
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(
        f1_score(y_true, y_pred, labels=lab, average="macro", zero_division=0)
    )
    assert report.weighted_f1 == pytest.approx(
        f1_score(y_true, y_pred, labels=lab, average="weighted", zero_division=0)
    )
    np.testing.assert_array_equal(report.confusion, confusion_matrix(y_true, y_pred, labels=lab))
    expected = classification_report(y_true, y_pred, labels=lab, output_dict=True, zero_division=0)
    for label in lab:
        assert report.per_class[label] == pytest.approx(expected[label])
        support = (y_true == label).sum()
        wrong = ((y_true == label) & (y_pred != label)).sum()
        assert report.error_rate[label] == pytest.approx(wrong / support if support else 0.0)
    normalized = report.confusion_normalized
    assert normalized.shape == (3, 3)
    assert ((normalized.sum(axis=1) == 0) | np.isclose(normalized.sum(axis=1), 1)).all()
    assert report.classification_report() == classification_report(
        y_true, y_pred, labels=lab, digits=3, zero_division=0
    )


def test_json_round_trip_and_markdown(tmp_path):
    y_true = np.array(["happy", "sad", "sad", "angry"])
    y_pred = np.array(["happy", "sad", "happy", "angry"])
    report = evaluate(Fixed(["angry", "happy", "sad"], y_pred), y_pred, y_true, timing=False)
    text = report.to_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == json.loads(text)
    assert data["accuracy"] == 0.75
    assert data["error_rate"] == {"angry": 0.0, "happy": 0.0, "sad": 0.5}
    assert data["confusion_normalized"][2] == [0.0, 0.5, 0.5]
    rebuilt = EvaluationReport(**{k: v for k, v in data.items() if k != "confusion_normalized"})
    assert rebuilt == report
    md = report.to_markdown()
    assert "accuracy **0.750**" in md
    assert "| sad | 1.000 | 0.500 | 0.667 | 2 | 50.0% |" in md


def test_labels_of_wrong_length_are_named():
    with pytest.raises(ValueError, match="Received: y with 2 labels"):
        evaluate(Fixed([0, 1], [0, 1, 1]), [0, 1, 1], [0, 1], timing=False)


def test_predictions_made_elsewhere_are_scored_as_evaluate_scores_them():
    y_true = ["happy", "sad", "sad", "happy", "fear"]
    y_pred = ["happy", "sad", "", "sad", "fear"]  # "": a photo in which no face was found
    report = score_predictions(y_true, y_pred, labels=["fear", "happy", "sad"])
    assert report.labels == ["fear", "happy", "sad"] and report.timing is None
    assert report.accuracy == 0.6  # the missing face is wrong
    assert report.per_class["sad"]["recall"] == 0.5 and report.per_class["sad"]["support"] == 2
    assert report.confusion == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]  # "" has no column
    assert report.error_rate == {"fear": 0.0, "happy": 0.5, "sad": 0.5}
    assert report.classification_report(output_dict=True)["sad"] == report.per_class["sad"]
    # without labels: every label seen, the empty one included
    assert score_predictions(y_true, y_pred).labels == ["", "fear", "happy", "sad"]
    fixed = Fixed(["happy", "sad"], ["sad", "sad", "happy"])
    whole = evaluate(fixed, [0, 1, 2], ["sad", "happy", "happy"], timing=False)
    assert whole == score_predictions(["sad", "happy", "happy"], ["sad", "sad", "happy"])
    with pytest.raises(ValueError, match="Received: y with 2 labels"):
        score_predictions(["a", "b"], ["a", "b", "c"])


def test_the_environment_names_the_processor_and_its_instruction_sets():
    from bilstm_emotion.core._machine import SPEED_FLAGS

    env = environment()
    assert env["keras_backend"] and env["cpu_count"] >= 1
    assert env["predict_dtype_auto"] in ("float32", "bfloat16")
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":  # as .ci/run runs the suite
        assert env["predict_dtype_auto"] == "float32"  # bfloat16 pays only with oneDNN
    assert set(env["cpu"]["flags"]) <= set(SPEED_FLAGS)
    assert isinstance(env["cpu"]["model"], str)


def test_timing_on_a_real_model_restores_batch_size(fitted, faces):
    X, y = faces
    report = evaluate(fitted, X, y, batch_sizes=(8, 32))
    t = report.timing
    assert t["latency_ms"] > 0
    assert set(t["throughput"]) == {8, 32}
    assert t["best_throughput"] == max(t["throughput"].values())
    assert t["environment"]["keras_backend"]
    assert fitted.batch_size == 16  # restored
    assert "faces/s at batch" in report.to_markdown()
    json.dumps(report.to_dict())  # JSON-ready


def test_timing_finds_batch_size_inside_a_pipeline(fitted, faces):
    X, _ = faces
    pipe = make_pipeline(FunctionTransformer(), fitted)
    timing = measure_speed(pipe, X, batch_sizes=(4,), n_latency=2)
    assert list(timing["throughput"]) == [4]
    assert pipe.get_params()["bilstmfaceemotionclassifier__batch_size"] == 16


def test_the_documented_recipe_fer2013_codes_with_a_shipped_model(
    tmp_path, fer_sample, pretrained
):
    """Issue 47: `evaluate(load_pretrained(), *load_fer2013(..., return_X_y=True))` raised
    sklearn's "Mix of label input types (string and number)"."""
    import zipfile

    from bilstm_emotion import EMOTIONS
    from bilstm_emotion.datasets import load_fer2013

    path = tmp_path / "fer.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in fer_sample.items():
            z.writestr(name, data)
    X, y = load_fer2013(path, subset="test", return_X_y=True)
    assert y.dtype.kind == "i"  # FER2013's codes, target_names order
    by_codes = evaluate(pretrained, X, y, timing=False)
    by_names = evaluate(pretrained, X, np.asarray(EMOTIONS)[y], timing=False)
    assert by_codes.accuracy == by_names.accuracy > 0.5
    assert by_codes.labels == sorted(EMOTIONS)
    with pytest.raises(ValueError, match=r"FER2013's codes 0-6 .*Received: labels from 0 to 9"):
        evaluate(pretrained, X[:2], [0, 9], timing=False)
