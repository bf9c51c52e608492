"""Where an estimator's documentation is: the "?" link of its HTML representation.

scikit-learn's estimators show, in a notebook, a "?" that opens their API page;
ours do the same, to the page of the public name a user imports (the
classifier from ``bilstm_emotion``, the transformers from
``bilstm_emotion.preprocessing``). The address of the docs is the package's
``Documentation`` project URL (``pyproject.toml``), read from its installed
metadata; without it there is no link.
"""

import functools
import importlib
import itertools
from importlib import metadata

__all__ = ["DocLinkMixin", "docs_url"]


@functools.cache
def docs_url():
    """The ``Documentation`` project URL of the installed package, or ``""``."""
    try:
        urls = metadata.metadata("bilstm-emotion").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return ""
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation":
            return url.strip().rstrip("/")
    return ""


def public_module(cls):
    """The shortest public module a user imports ``cls`` from (``bilstm_emotion`` for
    the classifier, defined in ``bilstm_emotion.model._classifier``)."""
    parts = cls.__module__.split(".")
    public = list(itertools.takewhile(lambda part: not part.startswith("_"), parts))
    for n in range(1, len(public) + 1):
        name = ".".join(public[:n])
        if getattr(importlib.import_module(name), cls.__name__, None) is cls:
            return name
    return ".".join(public)


class DocLinkMixin:
    """Mixin (left of ``BaseEstimator``): the HTML repr's "?" opens the API page."""

    _doc_link_module = "bilstm_emotion"

    @property
    def _doc_link_template(self):
        url = docs_url()
        return f"{url}/generated/{{estimator_module}}.{{estimator_name}}.html" if url else ""

    def _doc_link_url_param_generator(self):
        cls = type(self)
        return {"estimator_module": public_module(cls), "estimator_name": cls.__name__}
