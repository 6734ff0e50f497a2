"""MkDocs hooks (mkdocs.yml `hooks:`): generate the pages that come from
the repository (docs/generate.py) before every build, put them in the nav,
and make links written for GitHub work on the site."""

import importlib.util
import logging
import pathlib
import re

_spec = importlib.util.spec_from_file_location(
    "zoo_docs_generate", pathlib.Path(__file__).with_name("generate.py"))
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

# Links between files of the repository, as GitHub resolves them, and the
# page each file is on the site.
LINKS = {
    "../saved_models/README.md": "saved-models.md",
    "../CONTRIBUTING.md": "contributing.md",
}


def on_config(config):
    # mkdocs counts warnings (for --strict) in handlers of its logger; a
    # handler's filter also sees the records its plugins' loggers propagate.
    for handler in logging.getLogger("mkdocs").handlers:
        if not any(isinstance(f, _NotAReference) for f in handler.filters):
            handler.addFilter(_NotAReference())
    config["nav"] = generate.nav(config["nav"], generate.generate())
    return config


def on_page_markdown(markdown, page, config, files):
    markdown = generate.fill_snippets(markdown)
    if "/" not in page.file.src_uri:  # pages at the top of docs/
        for old, new in LINKS.items():
            markdown = markdown.replace(f"]({old}", f"]({new}")
    return markdown


class _NotAReference(logging.Filter):
    """Drop autorefs' warning for `[...][...]` text in a docstring that is
    code, not a cross-reference (e.g. `results["mean"]["mig"]`, a shape
    `[8, 28]`): its target is not a dotted identifier. A reference to a
    missing identifier still warns, and fails the strict build."""

    def filter(self, record):
        match = re.search(r"Could not find cross-reference target '(.*)'$",
                          record.getMessage())
        return not match or bool(IDENTIFIER.fullmatch(match.group(1)))


IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
