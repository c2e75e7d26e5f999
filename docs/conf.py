"""Sphinx configuration of the diffcheck documentation (Markdown sources through MyST).

Build: ``sphinx-build -W -b html docs docs/_build/html``.
"""

project = "diffcheck"
author = "the diffcheck developers"
copyright = "the diffcheck developers"  # noqa: A001 - Sphinx's name

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_scripts"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = "diffcheck"
