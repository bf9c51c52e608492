"""The frozen configuration of one network, built from the estimator's parameters by name.

Each parameter is declared once, in :data:`~bilstm_emotion.model._parameters.PARAMETERS`
(its default and what it accepts; the estimator's docstring says what it means).
:class:`NetworkConfig` only names which of them fix the network; its defaults and checks
are the table's, and the builder, warm starts and the shipped models' records all read
its fields.
"""

from dataclasses import asdict, dataclass, fields

from sklearn.utils._param_validation import make_constraint

from ._parameters import idle, parameter_constraints, parameter_defaults

__all__ = ["NetworkConfig"]


@dataclass(frozen=True)
class NetworkConfig:
    """The estimator parameters that fix a network's architecture (a warm start keeps them).

    Build it with :meth:`from_params` (missing names take the estimator's
    defaults); each field is documented, with its default and its accepted
    values, as the estimator parameter of the same name. Every config is
    checked when made, however it is made: a value the estimator would refuse
    raises ``ValueError`` naming it.
    """

    row_hidden: int
    col_hidden: int
    row_layers: int
    col_layers: int
    patch_size: int
    sweep_layers: int
    sweep_hidden: int
    stem: str | None
    stem_filters: tuple
    stem_stride: int
    dropout: float
    l2: float
    flip: bool
    shift: float
    rotation: float
    zoom: float
    erasing: float

    @classmethod
    def names(cls):
        """The field names, in order: the architecture parameters of the estimator."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_params(cls, params=None, **overrides):
        """The config of ``params`` (a mapping such as ``get_params()``) and ``overrides``.

        Names not given take the estimator's defaults; other names in ``params``
        are ignored, unknown ``overrides`` refused.
        """
        values = {**parameter_defaults(), **(params or {})}
        unknown = set(overrides) - set(cls.names())
        if unknown:
            raise TypeError(
                f"Expected architecture parameters among {cls.names()}. Received: "
                f"{sorted(unknown)}"
            )
        values.update(overrides)
        return cls(**{name: values[name] for name in cls.names()})

    def __post_init__(self):
        """Check every field against the estimator's constraints (Keras-style errors)."""
        constraints = parameter_constraints()
        for name, value in asdict(self).items():
            allowed = [make_constraint(c) for c in constraints[name]]
            if not any(c.is_satisfied_by(value) for c in allowed):
                wanted = " or ".join(str(c) for c in allowed)
                raise ValueError(f"Expected `{name}` to be {wanted}. Received: {name}={value!r}")
        if self.stem is not None and (
            not self.stem_filters
            or not all(
                isinstance(f, int) and not isinstance(f, bool) and f >= 1
                for f in self.stem_filters
            )
        ):
            raise ValueError(
                "Expected `stem_filters` to hold at least one positive number of filters "
                f"with stem={self.stem!r}. Received: stem_filters={self.stem_filters!r}"
            )

    def changes(self, other):
        """``(name, mine, theirs)`` for every field in which ``other`` differs, but those
        that do nothing in both networks (``stem_filters`` when neither has a stem)."""
        mine, theirs = asdict(self), asdict(other)
        return [
            (name, mine[name], theirs[name])
            for name in self.names()
            if mine[name] != theirs[name] and not (idle(name, mine) and idle(name, theirs))
        ]
