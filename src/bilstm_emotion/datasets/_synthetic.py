"""Generated cartoon faces for offline demos and tests."""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..core._labels import EMOTIONS

__all__ = ["make_synthetic_faces"]

# Per emotion: mouth curvature (+ smile, - frown), mouth opening, brow slant
# (+ inner ends down, as in anger), brow height, eye size.
_FACE_PARAMS = {
    "angry": (-0.2, 0.0, 1.0, 0.0, 1.0),
    "disgust": (-0.6, 0.15, 0.5, -0.5, 0.7),
    "fear": (-0.3, 0.5, -0.8, 1.0, 1.5),
    "happy": (1.0, 0.2, 0.0, 0.3, 1.0),
    "sad": (-1.0, 0.0, -1.0, 0.0, 0.9),
    "surprise": (0.0, 1.0, 0.0, 1.2, 1.4),
    "neutral": (0.0, 0.0, 0.0, 0.0, 1.0),
}


def _draw_face(params, size, rng):
    curve, opening, slant, brow_lift, eye = params
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    cy, cx = 0.5 + rng.normal(0, 0.03), 0.5 + rng.normal(0, 0.03)
    scale = rng.uniform(0.85, 1.1)
    u, v = (xx - cx) / scale, (yy - cy) / scale  # face coordinates, face radius ~0.4
    img = np.where((u / 0.36) ** 2 + (v / 0.44) ** 2 <= 1, 0.65, 0.15)
    img = img + rng.uniform(-0.1, 0.1)
    for side in (-1, 1):  # eyes and brows
        ex, ey = side * 0.15, -0.1
        img[((u - ex) / (0.045 * eye)) ** 2 + ((v - ey) / (0.03 * eye)) ** 2 <= 1] = 0.05
        brow_y = ey - 0.09 - 0.05 * brow_lift + slant * 0.06 * (0.5 - side * (u - ex) / 0.16)
        on_brow = (np.abs(u - ex) <= 0.08) & (np.abs(v - brow_y) <= 0.015)
        img[on_brow] = 0.1
    mouth_y = 0.2 + curve * 0.08 * (1 - (u / 0.14) ** 2)
    on_mouth = (np.abs(u) <= 0.14) & (
        np.abs(v - mouth_y) <= 0.015 + 0.05 * opening * (1 - (u / 0.14) ** 2)
    )
    img[on_mouth] = 0.05
    img = img + rng.normal(0, 0.04, size=img.shape)
    return np.clip(img, 0, 1)


def make_synthetic_faces(
    n_samples=140, *, image_size=48, classes=EMOTIONS, random_state=None, return_X_y=False
):
    """Generate cartoon faces whose mouth, eyes and brows show an emotion.

    The faces are simple drawings with random position, size, brightness and
    noise, made for demos and tests that must run offline and fast; they are
    no substitute for real faces such as FER2013.

    Parameters
    ----------
    n_samples : int, default=140
        Number of faces, spread as evenly as possible over ``classes``.
    image_size : int, default=48
        Height and width of each face in pixels.
    classes : sequence of str, default=EMOTIONS
        Emotions to draw, among the seven of :data:`bilstm_emotion.EMOTIONS`.
    random_state : int, RandomState instance or None, default=None
        Seed of the random variations.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, image_size, image_size) uint8 images, ``target``
        (n_samples,) str labels, ``target_names`` the classes.
    (data, target) : tuple
        When ``return_X_y=True``.

    Examples
    --------
    >>> from bilstm_emotion.datasets import make_synthetic_faces
    >>> X, y = make_synthetic_faces(14, random_state=0, return_X_y=True)
    >>> X.shape, X.dtype, sorted(set(y.tolist()))[:2]
    ((14, 48, 48), dtype('uint8'), ['angry', 'disgust'])
    """
    unknown = [c for c in classes if c not in _FACE_PARAMS]
    if unknown:
        raise ValueError(f"Expected classes among {list(EMOTIONS)}. Received: {unknown}")
    if n_samples < 1 or image_size < 8:
        raise ValueError(
            "Expected n_samples >= 1 and image_size >= 8. Received: "
            f"n_samples={n_samples}, image_size={image_size}"
        )
    rng = check_random_state(random_state)
    target = np.array([classes[i % len(classes)] for i in range(n_samples)])
    target = target[rng.permutation(n_samples)]
    data = np.stack([_draw_face(_FACE_PARAMS[label], image_size, rng) for label in target])
    data = np.round(data * 255).astype(np.uint8)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, target_names=np.array(classes))
