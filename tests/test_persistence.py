"""Saving estimators with skops, loading them without running code (_persistence)."""

import pickle
import zipfile

import joblib
import numpy as np
import pytest
import skops.io
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline

from bilstm_emotion import load_estimator, save_estimator, trusted_types
from bilstm_emotion.model._persistence import UntrustedFileError, describe_file
from bilstm_emotion.preprocessing import FaceNormalizer


class _Foreign(ClassifierMixin, BaseEstimator):
    """An estimator the package knows nothing about."""


@pytest.mark.slow
def test_skops_round_trip_predicts_identically_and_holds_nothing_foreign(fitted, faces, tmp_path):
    X, y = faces
    path = save_estimator(fitted, tmp_path / "clf.skops")
    assert set(skops.io.get_untrusted_types(file=path)) <= set(trusted_types())
    restored = load_estimator(path)
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored.history_ == fitted.history_ and restored.get_params() == fitted.get_params()
    # the optimizer state travels too: training goes on where it stopped
    assert restored.model_.optimizer.iterations.numpy() == fitted.model_.optimizer.iterations
    restored.partial_fit(X, y)
    # a pipeline of ours is trusted as well
    pipe = make_pipeline(FaceNormalizer(output_shape=(16, 16)), fitted)
    again = load_estimator(save_estimator(pipe, tmp_path / "pipe.skops"))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_state_carries_the_network_as_bytes_and_leaves_the_estimator_intact(fitted, faces):
    X, _ = faces
    state = fitted.__getstate__()
    assert isinstance(state["model_"], bytes) and state["model_"][:2] == b"PK"
    assert not isinstance(fitted.model_, bytes)  # the instance keeps its network
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


def test_a_pickle_is_not_loaded_unless_trusted(fitted, tmp_path, evil_pickle):
    _, marker = evil_pickle
    with pytest.raises(UntrustedFileError, match=r"evil\.joblib.*pickle/joblib.*runs whatever"):
        load_estimator(tmp_path / "evil.joblib")
    assert not marker.exists()
    joblib.dump(fitted, tmp_path / "ok.joblib", compress=3)  # compressed: still recognised
    with pytest.raises(UntrustedFileError):
        load_estimator(tmp_path / "ok.joblib")
    assert load_estimator(tmp_path / "ok.joblib", trust_pickle=True).classes_.tolist() == (
        fitted.classes_.tolist()
    )


def test_untrusted_types_in_a_skops_file_are_named_and_nothing_is_built(tmp_path):
    path = tmp_path / "foreign.skops"
    skops.io.dump(make_pipeline(FaceNormalizer(), _Foreign()), path)
    name = f"{_Foreign.__module__}._Foreign"
    with pytest.raises(UntrustedFileError, match=rf"does not trust: {name}") as caught:
        load_estimator(path)
    assert caught.value.untrusted == [name]
    loaded = load_estimator(path, trusted=[name])
    assert type(loaded.steps[-1][1]).__name__ == "_Foreign"


def test_files_that_are_no_estimator_say_what_they_are(tmp_path, fitted):
    (tmp_path / "empty.skops").write_bytes(b"")
    (tmp_path / "notes.skops").write_text("a model, honestly\n")
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)) * 4)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("a.txt", "x")
    fitted.model_.save(tmp_path / "net.keras")
    cases = {
        "empty.skops": "the file is empty",
        "notes.skops": "a text file",
        "noise.bin": "neither a skops nor a pickle",
        "other.zip": "zip archive without a skops schema",
        "net.keras": r"a Keras model archive \(\.keras\), not a fitted estimator",
    }
    for name, what in cases.items():
        with pytest.raises(ValueError, match=rf"Cannot load estimator .*{name}: .*{what}"):
            load_estimator(tmp_path / name)
    assert describe_file(tmp_path / "gone") == "missing"
    with pytest.raises(FileNotFoundError, match="gone"):
        load_estimator(tmp_path / "gone")
    # a damaged skops file is named too
    good = save_estimator(fitted, tmp_path / "good.skops").read_bytes()
    (tmp_path / "cut.skops").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"cut\.skops"):
        load_estimator(tmp_path / "cut.skops")


def test_save_estimator_writes_skops_only_and_never_replaces_silently(fitted, tmp_path):
    with pytest.raises(ValueError, match=r"ending in \.skops.*m\.joblib"):
        save_estimator(fitted, tmp_path / "m.joblib")
    save_estimator(fitted, tmp_path / "m.skops")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_estimator(fitted, tmp_path / "m.skops")
    save_estimator(fitted, tmp_path / "m.skops", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skops"]  # no partial left


def test_the_keras_estimator_is_trusted_by_its_own_name():
    from bilstm_emotion import BiLSTMFaceEmotionClassifier
    from bilstm_emotion.model._persistence import KERAS_ESTIMATOR

    cls = BiLSTMFaceEmotionClassifier
    assert KERAS_ESTIMATOR == f"{cls.__module__}.{cls.__qualname__}"
    assert KERAS_ESTIMATOR in trusted_types()


@pytest.mark.slow
def test_a_frozen_vote_of_shipped_models_saves_and_loads_without_a_backend(tmp_path):
    """skops files of ONNX estimators (the user guide's soft vote over shipped models)
    round-trip, and loading and predicting with one imports no Keras (issue 45)."""
    import json
    import subprocess
    import sys

    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator

    from bilstm_emotion import load_pretrained

    members = [(n, FrozenEstimator(load_pretrained(n))) for n in ("conv-lite", "bilstm")]
    X = np.random.default_rng(0).integers(0, 256, (6, 48, 48), dtype=np.uint8)
    vote = VotingClassifier(members, voting="soft").fit(X, ["angry", "happy"] * 3)
    path = save_estimator(vote, tmp_path / "vote.skops")
    assert set(skops.io.get_untrusted_types(file=path)) <= set(trusted_types())
    np.save(tmp_path / "X.npy", X)
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from bilstm_emotion import load_estimator\n"
        f"vote = load_estimator({str(path)!r})\n"
        f"proba = vote.predict_proba(np.load({str(tmp_path / 'X.npy')!r}))\n"
        "print(json.dumps([proba.tolist(), [m for m in ('keras', 'tensorflow') "
        "if m in sys.modules]]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    proba, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == []
    np.testing.assert_allclose(proba, vote.predict_proba(X), atol=1e-12)
