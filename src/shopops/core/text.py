"""Plain text from what a person typed: markup stripped (nh3), whitespace tidied, length capped.

Stored text never carries HTML; templates escape it on output as with any other string.
"""

from __future__ import annotations

import html
import re

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def plain_text(value: str | None, *, max_length: int, multiline: bool = True) -> str:
    """Text without tags, scripts or control characters; at most `max_length` characters."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    # Drop every tag (and the content of script/style), then turn entities back into characters:
    # what is stored is what the person meant to write, escaped again only when rendered.
    text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
    text = _CONTROL.sub("", text)
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    return text[:max_length]
