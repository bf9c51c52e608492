"""Sphinx configuration of the bilstm-emotion documentation."""

import os
from importlib.metadata import version as _version
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The gallery reads the FER2013 zip from $BILSTM_EMOTION_FER_ZIP; in this project's checkout
# it sits in shared/data/ beside the project. Without it the examples use generated faces.
_here = Path(__file__).resolve()
_zip = next(
    (p / "shared" / "data" / "fer2013-dev.zip" for p in _here.parents
     if (p / "shared" / "data" / "fer2013-dev.zip").is_file()),
    None,
)  # fmt: skip
if _zip is not None:
    os.environ.setdefault("BILSTM_EMOTION_FER_ZIP", str(_zip))

project = "bilstm-emotion"
author = "bilstm-emotion developers"
copyright = "2026, bilstm-emotion developers"
release = _version("bilstm-emotion")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "sg_execution_times.rst",
]
html_theme = "alabaster"
html_static_path = ["_static"]

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # scikit-learn generates these; their docstrings cite labels of its own docs.
    "exclude-members": "set_fit_request, set_partial_fit_request, set_score_request",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False  # offline: no intersphinx inventories
nitpicky = False

intersphinx_mapping = {}  # offline builds: no inventories are downloaded

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("bilstm_emotion",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"bilstm_emotion": None},
    "download_all_examples": False,
    "remove_config_comments": True,
}
