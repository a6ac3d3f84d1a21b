#!/usr/bin/env python3
"""htmlcheck.py FILE: what a browser would obey in an HTML page (or the DOM
chromium dumped of it), as one JSON object:

  scripts    <script> elements
  handlers   attributes named on* (onerror, onload, ...)
  remote     URLs with a scheme or a host (http:, data:, //host, ...) in any
             attribute that loads or links, and url( in a style attribute
  loaders    elements that load by themselves (img, iframe, object, embed,
             link, base, form, meta refresh, ...)
  styles     style attributes
  sections   the ids of <section> elements, in order
  counts     {class: elements} for every class of every element
  rows       {table class: rows with a <td>}
  cells      {table class: [[the text of each cell] of each such row]}
  text       the page's text, as the reader sees it (no style, no title)
"""
import json
import re
import sys
from html.parser import HTMLParser

URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "srcset",
             "background", "xlink:href", "cite", "longdesc", "manifest", "ping"}
LOADERS = {"img", "iframe", "frame", "object", "embed", "link", "base", "form",
           "audio", "video", "source", "track", "applet", "portal", "image"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.r = {"scripts": 0, "handlers": [], "remote": [], "loaders": [],
                  "styles": 0, "sections": [], "counts": {}, "rows": {}, "cells": {}, "text": ""}
        self.tables = []
        self.text = []
        self.hidden = 0
        self.cell = None

    def handle_starttag(self, tag, attrs):
        r = self.r
        if tag == "script":
            r["scripts"] += 1
        if tag in ("style", "title", "script"):
            self.hidden += 1
        if tag in LOADERS:
            r["loaders"].append(tag)
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            r["loaders"].append("meta refresh")
        for k, v in attrs:
            v = v or ""
            if k.startswith("on"):
                r["handlers"].append(k)
            if k == "style":
                r["styles"] += 1
                if "url(" in v:
                    r["remote"].append(v)
            if k in URL_ATTRS and (re.match(r"^\s*[a-zA-Z][a-zA-Z0-9+.-]*:", v) or v.strip().startswith("//")):
                r["remote"].append(v)
            if k == "class":
                for c in v.split():
                    r["counts"][c] = r["counts"].get(c, 0) + 1
            if k == "id" and tag == "section":
                r["sections"].append(v)
        if tag == "table":
            cls = dict(attrs).get("class") or "table"
            self.tables.append([cls, False])
        if tag == "tr" and self.tables:
            self.tables[-1][1] = False
        if tag == "td" and self.tables:
            cls = self.tables[-1][0]
            if not self.tables[-1][1]:
                self.tables[-1][1] = True
                r["rows"][cls] = r["rows"].get(cls, 0) + 1
                r["cells"].setdefault(cls, []).append([])
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.tables:
            self.tables.pop()
        if tag in ("style", "title", "script") and self.hidden:
            self.hidden -= 1
        if tag == "td" and self.cell is not None and self.tables:
            self.r["cells"][self.tables[-1][0]][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.hidden:
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def main():
    with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as f:
        html = f.read()
    p = Page()
    p.feed(html)
    p.close()
    p.r["text"] = "".join(p.text)
    json.dump(p.r, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
