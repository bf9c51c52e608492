"""A video call's window drawn from one photo: material for the Call tab, tests, benchmarks."""

import math

import numpy as np

#: Each demo participant's colours (red, green, blue gains): different rooms and lights.
_TINTS = (
    (1.0, 1.0, 1.0),
    (1.25, 0.9, 0.75),
    (0.75, 0.95, 1.3),
    (0.9, 1.25, 0.85),
    (1.3, 0.8, 1.15),
    (0.7, 0.7, 0.7),
    (1.1, 1.15, 0.6),
    (0.8, 1.1, 1.2),
    (1.2, 1.0, 1.3),
)

#: The most participants :func:`demo_participants` makes.
MAX_DEMO_PARTICIPANTS = len(_TINTS)


def demo_participants(n):
    """``n`` call participants who look different, as RGB uint8 photos (220x200).

    Each is the head of scikit-image's astronaut photo (so this works offline),
    every other one mirrored, each in its own colours; the first is the head as
    it is in the photo.
    """
    from skimage import data

    if not 1 <= n <= MAX_DEMO_PARTICIPANTS:
        raise ValueError(f"Expected 1 to {MAX_DEMO_PARTICIPANTS} participants. Received: n={n}")
    head = data.astronaut()[0:220, 120:320].astype(np.float32)
    out = []
    for k in range(n):
        face = np.clip(head * np.array(_TINTS[k], np.float32), 0, 255).astype(np.uint8)
        out.append(np.ascontiguousarray(face[:, ::-1] if k % 2 else face))
    return out


def call_layout(n, width, height):
    """Where a call's ``n`` tiles lie in a ``width`` x ``height`` window, row by row in a
    grid of ceil(sqrt(n)) columns: ``(top, left, tile height, tile width)`` each."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    th, tw = height // rows, width // cols
    return [((k // cols) * th, (k % cols) * tw, th, tw) for k in range(n)]


def make_demo_call(people, *, size=(1280, 720)):
    """One frame of a video call's window showing ``people``.

    Parameters
    ----------
    people : sequence of ndarray
        The participants in the call, in tile order (RGB uint8 photos, e.g.
        from :func:`demo_participants`).
    size : tuple of (int, int), default=(1280, 720)
        The window's ``(width, height)``.

    Returns
    -------
    frame : ndarray of shape (height, width, 3), dtype uint8
        Tiles in :func:`call_layout`'s grid on a dark window, each photo scaled
        to 90 % of its tile's height (or width, where the tile is narrower) and
        centred.
    """
    from PIL import Image

    width, height = size
    frame = np.full((height, width, 3), 32, np.uint8)
    tiles = call_layout(len(people), width, height)
    for face, (top, left, th, tw) in zip(people, tiles, strict=True):
        scale = 0.9 * min(th / face.shape[0], tw / face.shape[1])
        h, w = round(face.shape[0] * scale), round(face.shape[1] * scale)
        small = np.asarray(Image.fromarray(face).resize((w, h), Image.BILINEAR))
        y, x = top + (th - h) // 2, left + (tw - w) // 2
        frame[y : y + h, x : x + w] = small
    return frame
