"""Sphinx configuration of the bilstm-emotion documentation."""

import os
from importlib.metadata import version as _version
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The gallery reads the FER2013 zip from $BILSTM_EMOTION_FER_ZIP; in this project's checkout
# it sits in shared/data/ beside the project. Without it the examples use generated faces.
_here = Path(__file__).resolve()
_zip = next(
    (
        p / "shared" / "data" / "fer2013-dev.zip"
        for p in _here.parents
        if (p / "shared" / "data" / "fer2013-dev.zip").is_file()
    ),
    None,
)
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
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = "bilstm-emotion"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the pages users need in the bar, the rest (and the experiment log) under "More"
    "header_links_before_dropdown": 5,
    # search as a button at the end: as a field it pushed the bar onto a second row
    "navbar_persistent": [],
    "navbar_end": ["search-button", "theme-switcher"],
    "secondary_sidebar_items": ["page-toc"],
}
# Top-level pages without sub-pages get no left column (it held an empty "Section
# Navigation"); the API reference and the gallery keep theirs.
html_sidebars = {"index": [], "*": [], "api": ["sidebar-nav-bs"]}
html_css_files = ["custom.css"]

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


def _cli_synopsis():
    """The usage line of every ``bilstm-emotion`` command, from the parser itself."""
    import argparse

    from bilstm_emotion.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines at the terminal's width
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    usages = []
    for command in sub.choices.values():
        lines = command.format_usage().strip().removeprefix("usage: ").splitlines()
        usages.append("\n".join([lines[0], *(line[len("usage: ") :] for line in lines[1:])]))
    return "\n".join(usages)


def setup(app):
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class CliSynopsis(SphinxDirective):
        """``.. cli-synopsis::``: the commands' usage, generated so it cannot drift."""

        def run(self):
            text = _cli_synopsis()
            return [nodes.literal_block(text, text, language="text")]

    app.add_directive("cli-synopsis", CliSynopsis)
