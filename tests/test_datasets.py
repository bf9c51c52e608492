import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bilstm_emotion import EMOTIONS
from bilstm_emotion.datasets import make_synthetic_faces


@given(n=st.integers(1, 30), size=st.integers(8, 40), seed=st.integers(0, 1000))
def test_shapes_dtype_and_balance(n, size, seed):
    faces = make_synthetic_faces(n, image_size=size, random_state=seed)
    assert faces.data.shape == (n, size, size) and faces.data.dtype == np.uint8
    counts = np.unique(faces.target, return_counts=True)[1]
    assert set(faces.target) <= set(EMOTIONS)
    assert counts.max() - counts.min() <= 1
    assert faces.target_names.tolist() == list(EMOTIONS)


def test_seeded_and_varied():
    a = make_synthetic_faces(20, random_state=3, return_X_y=True)
    b = make_synthetic_faces(20, random_state=3, return_X_y=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert len({img.tobytes() for img in a[0]}) == 20


def test_emotions_differ_in_the_mouth_region():
    X, y = make_synthetic_faces(140, classes=("happy", "sad"), random_state=0, return_X_y=True)
    mouth = X[:, 30:42, 14:34].astype(float)
    happy, sad = mouth[y == "happy"].mean(0), mouth[y == "sad"].mean(0)
    assert np.abs(happy - sad).max() > 60


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Received: \['joy'\]"):
        make_synthetic_faces(5, classes=("happy", "joy"))
    with pytest.raises(ValueError, match=r"n_samples=0"):
        make_synthetic_faces(0)
