"""Every parameter of the estimator, declared once: its default, what it accepts, and
when it does nothing.

:data:`PARAMETERS` is the one table. The estimator's ``_parameter_constraints``,
:class:`~bilstm_emotion.model._config.NetworkConfig`'s defaults and checks, the
architecture comparison of warm starts, the warning about a parameter that does
nothing in its configuration, and the parameters a shipped model is loaded with are
built from it. Two things stay written out where scikit-learn and its readers look for
them: the estimator's ``__init__`` (scikit-learn reads the signature) and the
*Parameters* section of its docstring (what each parameter means);
``tests/test_parameters.py`` checks both against the table, name for name and default
for default.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..core._backend import PREDICT_DTYPE_CHOICES
from ..core._errors import UnusedParameterWarning, user_stacklevel
from ._training import OPTIMIZERS

__all__ = [
    "AUGMENTATIONS",
    "PARAMETERS",
    "Parameter",
    "idle",
    "parameter_constraints",
    "parameter_defaults",
    "unused_parameters",
    "warn_unused_parameters",
    "without_unused",
]

_AT_LEAST_ONE = Interval(Integral, 1, None, closed="left")
_AT_LEAST_ZERO = Interval(Integral, 0, None, closed="left")
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")
_SHARE = Interval(Real, 0, 1, closed="left")  # [0, 1)
_PROBABILITY = Interval(Real, 0, 1, closed="both")

AUGMENTATIONS = ("flip", "shift", "rotation", "zoom", "erasing")
"""The parameters of training-time augmentation (random layers active in training only)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of the estimator: its ``name``, ``default`` and ``constraints``
    (scikit-learn's). One that does nothing in some configurations says which:
    ``unused(params)`` is true there, and ``why`` says it in the other parameters' words.
    """

    name: str
    default: object
    constraints: tuple
    unused: object = None
    why: str = ""


def _options(*choices):
    return StrOptions(set(choices))


def _no_stem(p):
    return p["stem"] is None


def _one_epoch(p):
    return p["epochs"] == 1


def _no_early_stopping(p):
    return not p["early_stopping"] or _one_epoch(p)


def _no_teacher(p):
    return p["teacher"] is None


def _teacher_sees_the_faces(p):
    return _no_teacher(p) or not any(p[name] for name in AUGMENTATIONS)


_EPOCHS = "epochs=1 (partial_fit trains one epoch a call)"

PARAMETERS = (
    Parameter("row_hidden", 64, (_AT_LEAST_ONE,)),
    Parameter("col_hidden", 64, (_AT_LEAST_ONE,)),
    Parameter("row_layers", 1, (_AT_LEAST_ONE,)),
    Parameter("col_layers", 1, (_AT_LEAST_ONE,)),
    Parameter("patch_size", 1, (_AT_LEAST_ONE,)),
    Parameter("sweep_layers", 0, (_AT_LEAST_ZERO,)),
    Parameter(
        "sweep_hidden", 32, (_AT_LEAST_ONE,), lambda p: p["sweep_layers"] == 0, "sweep_layers=0"
    ),
    Parameter("stem", None, (_options("conv", "separable"), None)),
    Parameter("stem_filters", (32, 64), (tuple,), _no_stem, "stem=None"),
    Parameter("stem_stride", 1, (_AT_LEAST_ONE,), _no_stem, "stem=None"),
    Parameter("dropout", 0.25, (_SHARE,)),
    Parameter("l2", 0.0, (_NON_NEGATIVE,)),
    Parameter("flip", False, ("boolean",)),
    Parameter("shift", 0.0, (_SHARE,)),
    Parameter("rotation", 0.0, (Interval(Real, 0, 180, closed="both"),)),
    Parameter("zoom", 0.0, (_SHARE,)),
    Parameter("erasing", 0.0, (_PROBABILITY,)),
    Parameter("optimizer", "adam", (_options(*OPTIMIZERS),)),
    Parameter("learning_rate", 0.001, (Interval(Real, 0, None, closed="neither"),)),
    Parameter("lr_schedule", "constant", (_options("constant", "cosine"),)),
    Parameter("batch_size", 64, (_AT_LEAST_ONE,)),
    Parameter("epochs", 20, (_AT_LEAST_ONE,)),
    Parameter("label_smoothing", 0.0, (_SHARE,)),
    Parameter(
        "validation_fraction",
        0.1,
        (_SHARE,),
        _no_early_stopping,
        f"early_stopping=False or {_EPOCHS}",
    ),
    Parameter("early_stopping", False, ("boolean",), _one_epoch, _EPOCHS),
    Parameter(
        "patience", 5, (_AT_LEAST_ONE,), _no_early_stopping, f"early_stopping=False or {_EPOCHS}"
    ),
    Parameter("callbacks", None, (list, None)),
    Parameter("class_weight", None, (_options("balanced"), dict, None)),
    Parameter("teacher", None, (HasMethods(["fit", "predict_proba"]), None)),
    Parameter("teacher_weight", 0.5, (_PROBABILITY,), _no_teacher, "teacher=None"),
    Parameter(
        "teacher_views",
        0,
        (_AT_LEAST_ZERO, _options("online")),
        _teacher_sees_the_faces,
        "teacher=None, or no augmentation (flip, shift, rotation, zoom and erasing all off)",
    ),
    Parameter("test_time_flip", False, ("boolean",)),
    Parameter("test_time_shift", 0, (_AT_LEAST_ZERO,)),
    Parameter("predict_dtype", "float32", (_options(*PREDICT_DTYPE_CHOICES),)),
    Parameter("image_shape", None, (tuple, None)),
    Parameter("random_state", None, ("random_state",)),
    Parameter("verbose", 0, ("verbose",)),
    Parameter("warm_start", False, ("boolean",)),
)
"""The estimator's parameters, in the order of its signature."""

_BY_NAME = {p.name: p for p in PARAMETERS}


def parameter_constraints():
    """``{name: constraints}``: the estimator's ``_parameter_constraints``."""
    return {p.name: list(p.constraints) for p in PARAMETERS}


def parameter_defaults():
    """``{name: default}`` of every parameter."""
    return {p.name: p.default for p in PARAMETERS}


def idle(name, params):
    """Whether parameter ``name`` does nothing with the others in ``params``: a mapping of
    every parameter (a network field's condition reads network fields only, so that
    :class:`~bilstm_emotion.model._config.NetworkConfig`'s fields are enough there)."""
    unused = _BY_NAME[name].unused
    return unused is not None and bool(unused(params))


def _differs(value, default):
    try:
        return bool(value != default)
    except (TypeError, ValueError):  # an array: elementwise, no single answer
        return True


def unused_parameters(params):
    """``(name, value, why)`` of each parameter set away from its default that does
    nothing with the other ``params`` (a mapping of every parameter: ``get_params()``)."""
    return [
        (p.name, params[p.name], p.why)
        for p in PARAMETERS
        if p.unused is not None and _differs(params[p.name], p.default) and idle(p.name, params)
    ]


def without_unused(params):
    """``params`` with every parameter that does nothing there set back to its default.

    For a shipped model loaded without its training's teacher: its
    ``teacher_weight`` described how it was distilled, and would only warn in a refit.
    """
    return {**params, **{name: _BY_NAME[name].default for name, *_ in unused_parameters(params)}}


def warn_unused_parameters(params):
    """One :class:`~bilstm_emotion.UnusedParameterWarning` per parameter that does nothing
    with the others (the caller: ``fit``, or ``partial_fit`` with ``epochs=1``)."""
    for name, value, why in unused_parameters(params):
        warnings.warn(
            f"`{name}={value!r}` does nothing with {why}.",
            UnusedParameterWarning,
            stacklevel=user_stacklevel(),
        )
