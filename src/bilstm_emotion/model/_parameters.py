"""Every parameter of the estimator, declared once: its default, what it accepts, what it means.

:data:`PARAMETERS` is the one table. :class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier`'s
``_parameter_constraints`` and the *Parameters* section of its docstring (and so the API
page of the docs), :class:`~bilstm_emotion.model._config.NetworkConfig`'s defaults and
checks, and the warning about a parameter that does nothing in its configuration are
all built from it. The estimator's ``__init__`` stays written out, as scikit-learn reads
the parameters from its signature; ``tests/test_parameters.py`` checks that it agrees
with the table, name for name and default for default.
"""

import textwrap
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..core._backend import PREDICT_DTYPE_CHOICES
from ..core._errors import UnusedParameterWarning
from ._training import OPTIMIZERS

__all__ = [
    "AUGMENTATIONS",
    "PARAMETERS",
    "Parameter",
    "parameter_constraints",
    "parameter_defaults",
    "unused_parameters",
    "warn_unused_parameters",
    "with_parameters",
]

_AT_LEAST_ONE = Interval(Integral, 1, None, closed="left")
_AT_LEAST_ZERO = Interval(Integral, 0, None, closed="left")
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")
_SHARE = Interval(Real, 0, 1, closed="left")  # [0, 1)
_PROBABILITY = Interval(Real, 0, 1, closed="both")


@dataclass(frozen=True)
class Parameter:
    """One parameter of the estimator.

    ``choices`` (string options, and ``None`` too when ``none=True``) stand for
    both ``type`` and ``constraints``. A parameter that does nothing in some
    configurations names it: ``unused(params)`` is true there, and ``why`` says
    it in the words of the other parameters.
    """

    name: str
    default: object
    doc: str
    type: str = ""
    constraints: list = field(default_factory=list)
    choices: tuple = ()
    none: bool = False
    unused: object = None
    why: str = ""

    def __post_init__(self):
        object.__setattr__(self, "doc", textwrap.dedent(self.doc).strip())
        if self.choices:
            options = ", ".join(f'"{c}"' for c in self.choices)
            kind = f"{{None, {options}}}" if self.none else f"{{{options}}}"
            object.__setattr__(self, "type", kind)
            object.__setattr__(
                self,
                "constraints",
                [StrOptions(set(self.choices)), *([None] if self.none else [])],
            )

    @property
    def default_text(self):
        """The default as the docstring writes it (strings in double quotes)."""
        return f'"{self.default}"' if isinstance(self.default, str) else repr(self.default)

    def docstring(self):
        """This parameter's numpydoc entry, unindented."""
        body = textwrap.indent(self.doc, "    ")
        return f"{self.name} : {self.type}, default={self.default_text}\n{body}"


def _no_stem(p):
    return p["stem"] is None


def _no_early_stopping(p):
    return not p["early_stopping"]


AUGMENTATIONS = ("flip", "shift", "rotation", "zoom", "erasing")
"""The parameters of training-time augmentation (random layers active in training only)."""


def _no_augmentation(p):
    return not any(p[name] for name in AUGMENTATIONS)


PARAMETERS = (
    Parameter(
        "row_hidden",
        64,
        "Units per direction of the row-level Bi-LSTM(s).",
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "col_hidden",
        64,
        "Units per direction of the column-level Bi-LSTM(s).",
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "row_layers",
        1,
        "Number of stacked Bi-LSTMs at the row level.",
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "col_layers",
        1,
        "Number of stacked Bi-LSTMs at the column level.",
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "patch_size",
        1,
        """
        Side of the square patch of pixels the row level reads per time step.
        ``1`` reads pixel by pixel, as in the original row/column model;
        ``4`` reads a 48x48 face as 12 rows of 12 patches of 16 pixels, which
        trains about four times faster.
        """,
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "sweep_layers",
        0,
        """
        Number of ReNet layers before the row level. Each runs a Bi-LSTM
        along every row and then along every column of the (patch) grid and
        keeps a 2-D feature map, so that every position has seen the whole
        face. Purely recurrent; no convolution.
        """,
        type="int",
        constraints=[_AT_LEAST_ZERO],
    ),
    Parameter(
        "sweep_hidden",
        32,
        "Units per direction of the ReNet Bi-LSTMs; unused with ``sweep_layers=0``.",
        type="int",
        constraints=[_AT_LEAST_ONE],
        unused=lambda p: p["sweep_layers"] == 0,
        why="sweep_layers=0",
    ),
    Parameter(
        "stem",
        None,
        """
        ``"conv"`` puts convolutional blocks before the recurrent levels
        (two 3x3 convolutions, batch normalisation, ReLU, then 2x2 max
        pooling); ``"separable"`` makes every convolution but the first
        depthwise-separable (fewer weights and multiplications).
        """,
        choices=("conv", "separable"),
        none=True,
    ),
    Parameter(
        "stem_filters",
        (32, 64),
        """
        Filters of each convolutional block of the stem; each block halves
        the height and width of the map. Unused with ``stem=None``.
        """,
        type="tuple of int",
        constraints=[tuple],
        unused=_no_stem,
        why="stem=None",
    ),
    Parameter(
        "stem_stride",
        1,
        """
        Stride of the stem's first convolution: ``2`` halves the face first,
        a quarter of the stem's work (as the shipped ``"conv-lite"`` does).
        Unused with ``stem=None``.
        """,
        type="int",
        constraints=[_AT_LEAST_ONE],
        unused=_no_stem,
        why="stem=None",
    ),
    Parameter(
        "dropout",
        0.25,
        "Dropout rate applied to the image encoding before the classifier.",
        type="float",
        constraints=[_SHARE],
    ),
    Parameter(
        "l2",
        0.0,
        "L2 penalty on the LSTM and classifier weights.",
        type="float",
        constraints=[_NON_NEGATIVE],
    ),
    Parameter(
        "flip",
        False,
        "Augment training images with random left-right mirroring.",
        type="bool",
        constraints=["boolean"],
    ),
    Parameter(
        "shift",
        0.0,
        """
        Augment training images with random shifts of up to this share of
        their height and width (e.g. ``0.1``).
        """,
        type="float",
        constraints=[_SHARE],
    ),
    Parameter(
        "rotation",
        0.0,
        "Augment training images with random rotations of up to this many degrees.",
        type="float",
        constraints=[Interval(Real, 0, 180, closed="both")],
    ),
    Parameter(
        "zoom",
        0.0,
        "Augment training images with random zooms of up to this share.",
        type="float",
        constraints=[_SHARE],
    ),
    Parameter(
        "erasing",
        0.0,
        """
        Augment training images by blanking, with this probability, a random
        rectangle covering 2 to 33 % of the face (random erasing).
        Augmentation runs inside the network during :meth:`fit` only;
        prediction sees the images unchanged.
        """,
        type="float",
        constraints=[_PROBABILITY],
    ),
    Parameter(
        "optimizer", "adam", "Keras optimizer used for training.", choices=tuple(OPTIMIZERS)
    ),
    Parameter(
        "learning_rate",
        0.001,
        "Learning rate of the optimizer (its starting value with a schedule).",
        type="float",
        constraints=[Interval(Real, 0, None, closed="neither")],
    ),
    Parameter(
        "lr_schedule",
        "constant",
        """
        ``"cosine"`` decays the learning rate to zero along a cosine over the
        ``epochs`` of :meth:`fit` (over ``epochs`` calls of
        :meth:`partial_fit`).
        """,
        choices=("constant", "cosine"),
    ),
    Parameter(
        "batch_size",
        64,
        "Images per gradient step (and per prediction batch).",
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "epochs",
        20,
        """
        Passes over the training data made by :meth:`fit` (an upper bound
        when ``early_stopping=True``). :meth:`partial_fit` always makes one.
        """,
        type="int",
        constraints=[_AT_LEAST_ONE],
    ),
    Parameter(
        "label_smoothing",
        0.0,
        "Label smoothing of the cross-entropy loss, in ``[0, 1)``.",
        type="float",
        constraints=[_SHARE],
    ),
    Parameter(
        "validation_fraction",
        0.1,
        """
        Share of the training data set aside (stratified when possible) to
        decide when to stop when ``early_stopping=True``; unused otherwise.
        With ``0.0``, early stopping watches the training loss instead.
        """,
        type="float",
        constraints=[_SHARE],
        unused=_no_early_stopping,
        why="early_stopping=False",
    ),
    Parameter(
        "early_stopping",
        False,
        """
        Stop when the validation loss has not improved for ``patience``
        epochs, and restore the weights of the best epoch.
        """,
        type="bool",
        constraints=["boolean"],
    ),
    Parameter(
        "patience",
        5,
        "Epochs without improvement tolerated by early stopping; unused without it.",
        type="int",
        constraints=[_AT_LEAST_ONE],
        unused=_no_early_stopping,
        why="early_stopping=False",
    ),
    Parameter(
        "callbacks",
        None,
        """
        Keras callbacks for every ``fit`` of the network (after early
        stopping), e.g. ``keras.callbacks.CSVLogger``. Each call trains with
        deep copies, kept in ``callbacks_`` (not saved with the estimator), so
        :func:`~sklearn.base.clone` and ``GridSearchCV`` may reuse the given.
        """,
        type="list of keras.callbacks.Callback or None",
        constraints=[list, None],
    ),
    Parameter(
        "class_weight",
        None,
        """
        Weights per class label, multiplied into ``sample_weight``.
        ``"balanced"`` weighs classes inversely to their frequency, which
        helps the rare ``disgust`` class of FER2013.
        """,
        type='dict, "balanced" or None',
        constraints=[StrOptions({"balanced"}), dict, None],
    ),
    Parameter(
        "teacher",
        None,
        """
        Knowledge distillation: a fitted classifier with ``predict_proba`` and
        the same classes, e.g. a soft vote of pretrained models. :meth:`fit`
        and :meth:`partial_fit` train the network towards ``(1 -
        teacher_weight) * one_hot(y) + teacher_weight * teacher.predict_proba``
        (of ``X``, or see ``teacher_views``). Wrap it in
        :class:`~sklearn.frozen.FrozenEstimator` so that
        :func:`~sklearn.base.clone` (and ``GridSearchCV``) keeps it fitted.
        Early stopping still watches the true labels.
        """,
        type="fitted classifier or None",
        constraints=[HasMethods(["fit", "predict_proba"]), None],
    ),
    Parameter(
        "teacher_weight",
        0.5,
        """
        Share of the teacher's probabilities in the training targets, in
        ``[0, 1]``; unused with ``teacher=None``.
        """,
        type="float",
        constraints=[_PROBABILITY],
        unused=lambda p: p["teacher"] is None,
        why="teacher=None",
    ),
    Parameter(
        "teacher_views",
        0,
        """
        Consistent distillation (function matching): the teacher scores the
        augmented image the network trains on. ``"online"``: every batch, in
        the training step (a teacher of this class, or a soft
        ``VotingClassifier`` of them). ``n``: ``n`` augmented copies of each
        face, scored before training; epoch ``e`` trains on copy ``e % n``
        (``X`` in memory, ``n`` times over). ``0``: the faces as given.
        Unused without a teacher, and without augmentation (the copies would
        be the faces themselves: the teacher is asked once).
        """,
        type='int or "online"',
        constraints=[_AT_LEAST_ZERO, StrOptions({"online"})],
        unused=lambda p: p["teacher"] is None or _no_augmentation(p),
        why="teacher=None or no augmentation (flip, shift, rotation, zoom and erasing all off)",
    ),
    Parameter(
        "test_time_flip",
        False,
        """
        Average the predictions for each face and its mirror image. Costs
        twice the prediction time; usually worth a point of accuracy for
        models trained with ``flip=True``.
        """,
        type="bool",
        constraints=["boolean"],
    ),
    Parameter(
        "test_time_shift",
        0,
        """
        Also average the predictions for each face moved by this many pixels
        up, down, left and right (edges repeated): five times the prediction
        time (ten with ``test_time_flip``). Suits models trained with
        ``shift``: 2 pixels added 0.5 to 1.2 points to most conv models.
        """,
        type="int",
        constraints=[_AT_LEAST_ZERO],
    ),
    Parameter(
        "predict_dtype",
        "float32",
        """
        Arithmetic of :meth:`predict_proba` (training is float32).
        ``"bfloat16"`` predicts with a copy of the network under Keras'
        ``mixed_bfloat16`` policy: up to 2.2x the throughput on processors
        with bfloat16 units (Intel AMX), slower elsewhere (*Benchmarks*).
        ``"auto"``: bfloat16 with TensorFlow on such a processor, else float32.
        """,
        choices=PREDICT_DTYPE_CHOICES,
    ),
    Parameter(
        "image_shape",
        None,
        """
        How to fold flat rows of ``n_features`` pixels into images. ``None``
        folds a perfect square (2304 pixels to 48x48, as in the FER2013 CSV)
        and reads any other width as one row of ``n_features`` pixels, with a
        warning. 3-D and 4-D image arrays must agree with it, when given.
        """,
        type="tuple of (int, int) or None",
        constraints=[tuple, None],
    ),
    Parameter(
        "random_state",
        None,
        """
        Seeds initialisation, shuffling, dropout, augmentation and the
        validation split (:func:`keras.utils.set_random_seed` and explicit
        layer seeds): an int gives identical predictions on the same backend
        and device, even while other threads draw from :mod:`random`.
        """,
        type="int, RandomState instance or None",
        constraints=["random_state"],
    ),
    Parameter(
        "verbose",
        0,
        """
        Keras progress output during fit: 0 silent, 1 progress bar, 2 one
        line per epoch.
        """,
        type="int",
        constraints=["verbose"],
    ),
    Parameter(
        "warm_start",
        False,
        """
        Continue training the fitted network on the next call to :meth:`fit`
        instead of starting again. The architecture parameters, the image
        shape and the classes may not change between such calls.
        """,
        type="bool",
        constraints=["boolean"],
    ),
)
"""The estimator's parameters, in the order of its signature."""


def parameter_constraints():
    """``{name: constraints}``: the estimator's ``_parameter_constraints``."""
    return {p.name: list(p.constraints) for p in PARAMETERS}


def parameter_defaults():
    """``{name: default}`` of every parameter."""
    return {p.name: p.default for p in PARAMETERS}


def with_parameters(doc):
    """The estimator's docstring ``doc`` with its *Parameters* section written from the table.

    ``doc`` holds the section's title and underline, then the line
    ``(filled in from model/_parameters.py)``, indented as the class docstring.
    """
    placeholder = "    Parameters\n    ----------\n    (filled in from model/_parameters.py)\n"
    if doc.count(placeholder) != 1:
        raise ValueError("Expected one Parameters placeholder in the estimator's docstring")
    entries = "\n".join(p.docstring() for p in PARAMETERS)
    section = textwrap.indent(f"Parameters\n----------\n{entries}\n", "    ")
    return doc.replace(placeholder, section)


def unused_parameters(params):
    """``(name, value, why)`` of each parameter set away from its default that does nothing
    with the other ``params`` (a mapping such as ``get_params()``)."""
    return [
        (p.name, params[p.name], p.why)
        for p in PARAMETERS
        if p.unused is not None and params[p.name] != p.default and p.unused(params)
    ]


def warn_unused_parameters(params):
    """One :class:`~bilstm_emotion.UnusedParameterWarning` per parameter that does nothing."""
    for name, value, why in unused_parameters(params):
        warnings.warn(
            f"`{name}={value!r}` does nothing with {why}: it is ignored.",
            UnusedParameterWarning,
            stacklevel=5,  # the caller of fit: here, _fit, fit, scikit-learn's _fit_context
        )
