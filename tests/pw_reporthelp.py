"""Helpers for the report tests: what an HTML page would load from elsewhere, and a scenario's table row."""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

LOADING_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background", "xlink:href"}
EXTERNAL = re.compile(r"^\s*(https?:|ftp:|//)", re.I)


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in LOADING_ATTRS and v is not None:
                self.refs.append((tag, k, v))
            if k == "style" and v:
                self.styles.append(v)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def scan(html: str) -> _Scan:
    p = _Scan()
    p.feed(html)
    p.close()
    return p


def external_resources(html: str) -> list[str]:
    """Every reference the page would fetch from another host (attributes, CSS url()/@import), as text."""
    s = scan(html)
    out = [f"<{t} {k}={v!r}>" for t, k, v in s.refs if EXTERNAL.match(v)]
    for css in s.styles:
        for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            if not u.startswith("data:"):
                out.append(f"css url({u})")
        out += [f"css {m}" for m in re.findall(r"@import[^;]*", css)]
    return out


def embedded_images(html: str) -> list[bytes]:
    """The decoded bytes of every <img> (all must be data: URIs)."""
    out = []
    for tag, k, v in scan(html).refs:
        if tag == "img" and k == "src":
            assert v.startswith("data:image/png;base64,"), v[:60]
            out.append(base64.b64decode(v.split(",", 1)[1], validate=True))
    return out


def scenario_row(html: str, name: str) -> str:
    """The HTML of the scenario table's row for scenario ``name``."""
    m = re.search(r'<tr[^>]*data-scenario="' + re.escape(name) + r'"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no table row for scenario {name}"
    return m.group(1)
