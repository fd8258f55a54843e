"""One executed notebook as an HTML fragment for report.html, with nothing in it that reaches a network.

nbconvert's `lab` and `classic` templates load require.js, MathJax and the widget renderer from
CDNs; its `basic` template renders only the cells, which the report styles itself. What is left is
made inert here: progress-bar widgets become the text papermill saved beside them, scripts go, links
to other sites keep their text and show their address but cannot be followed by the page itself,
and every id gets the step's prefix, so several notebooks (each with a "Parameters" heading) can
share one page.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

_WIDGET_MIMES = ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json")
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)
_INLINE = re.compile(r"^\s*data:image/", re.I)
_SOURCES = ("src", "srcset", "poster", "background", "data")


def notebook_html(notebook: str | os.PathLike[str] | Any, prefix: str) -> str:
    """The cells and outputs of `notebook` (a path or nbformat node), ids prefixed with `prefix`."""
    import nbformat
    from nbconvert import HTMLExporter

    node = nbformat.read(os.fspath(notebook), as_version=4) if isinstance(notebook, (str, os.PathLike)) \
        else copy.deepcopy(notebook)
    _drop_widgets(node)
    exporter = HTMLExporter(template_name="basic", exclude_anchor_links=True)
    body, _ = exporter.from_notebook_node(node)
    return make_inert(body, prefix)


def make_inert(fragment: str, prefix: str) -> str:
    """`fragment` without scripts, external sources or links, with ids (and links to them) prefixed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup.find_all(["script", "style", "iframe", "object", "embed", "link", "meta", "base", "form"]):
        tag.decompose()
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on")]:
            del tag[attr]  # event handlers: the page runs no code
        if tag.has_attr("id"):
            tag["id"] = f"{prefix}-{tag['id']}"
        remote = [a for a in _SOURCES if tag.has_attr(a) and not _INLINE.match(str(tag[a]))]
        if remote and tag.name == "img":
            # An image the notebook did not carry inline would be fetched: name it instead.
            tag.replace_with(soup.new_string(f"[image not in the notebook: {tag[remote[0]]}]"))
            continue
        for attr in remote:
            del tag[attr]
        if tag.name == "a" and tag.has_attr("href"):
            href = str(tag["href"])
            if href.startswith("#"):
                tag["href"] = f"#{prefix}-{href[1:]}"
            elif _EXTERNAL.match(href):
                del tag["href"]  # the address stays readable, but the report itself links nowhere outside
                tag["class"] = [*tag.get("class", []), "external"]
                if tag.get_text(strip=True) != href:
                    tag.append(soup.new_string(f" ({href})"))
    return str(soup)


def _drop_widgets(node: Any) -> None:
    """Widget views need the widget renderer; papermill saved a text rendering beside each, keep that."""
    node.metadata.pop("widgets", None)
    for cell in node.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data:
                for mime in _WIDGET_MIMES:
                    data.pop(mime, None)
