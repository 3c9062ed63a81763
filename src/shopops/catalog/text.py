"""Text helpers of the catalog: label normalisation, slugs, HTML sanitising and jieba tokenising."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import nh3
from django.utils.text import slugify

# Word characters only (letters of any script, digits, underscore). Tokens are reduced to this so
# that PostgreSQL's text-search parser sees exactly what jieba produced, and so a tsquery built from
# them needs no quoting beyond the single quotes we add.
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Function words that would only add noise to the index and to AND-ed queries.
STOP_TOKENS = frozenset(
    {
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "也",
        "就",
        "都",
        "而",
        "着",
        "之",
        "the",
        "a",
        "an",
        "of",
        "and",
        "for",
        "with",
    }
)

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "span", "div",
    "h2", "h3", "h4", "h5", "ul", "ol", "li", "blockquote", "table", "thead", "tbody",
    "tr", "th", "td", "img", "a", "figure", "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"class"},
}


def normalize_label(value: str) -> str:
    """The comparison key of a label: NFKC (全角 -> 半角), trimmed, single spaces, case-folded."""
    value = unicodedata.normalize("NFKC", value or "")
    return _SPACES.sub(" ", value).strip().casefold()


def clean_label(value: str) -> str:
    """The display form of a label: NFKC and single spaces, but case kept."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def make_slug(*candidates: str) -> str:
    """An ASCII SEO slug: from the first candidate that yields one, Chinese turned into pinyin."""
    for candidate in candidates:
        if not candidate:
            continue
        slug = slugify(candidate)
        if not slug or not slug.isascii():
            slug = slugify(" ".join(_pinyin(candidate)))
        if slug:
            return slug[:90]
    return ""


def _pinyin(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text)


def sanitize_html(html: str) -> str:
    """Keep formatting and images, drop scripts, event handlers and javascript: links."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def strip_tags(html: str) -> str:
    return nh3.clean(html or "", tags=set())


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (see CatalogConfig.ready)."""
    _jieba()
    index_tokens("预热 warm up")


def _keep(token: str) -> str | None:
    token = token.strip().casefold()
    if not token or token in STOP_TOKENS or not _WORD.fullmatch(token):
        return None
    return token


def index_tokens(text: str) -> list[str]:
    """Tokens for the search document: jieba's search mode, which adds the shorter words inside long
    ones (连衣裙 -> 连衣, 衣裙, 连衣裙) so a query for any of them matches."""
    return list(_index_tokens(text or ""))


@lru_cache(maxsize=50_000)
def _index_tokens(text: str) -> tuple[str, ...]:
    # Cached: category paths, brand names and attribute values repeat on every product of a bulk
    # import; jieba is the costliest step of indexing.
    text = unicodedata.normalize("NFKC", text)
    tokens: list[str] = []
    for piece in _jieba().cut_for_search(text):
        for word in _WORD.findall(piece):
            kept = _keep(word)
            if kept:
                tokens.append(kept)
    return tuple(tokens)


def index_text(*texts: str) -> str:
    return " ".join(token for text in texts for token in _index_tokens(text or ""))


@dataclass(frozen=True)
class QueryTerm:
    """One word the shopper typed: matches the word itself or, failing that, all its sub-words.

    Documents are indexed in search mode but a query is cut in precise mode, and the two may segment
    a phrase differently (平板电脑 in a query, 平板 / 电脑 in a title). Accepting either the whole word
    or all of its search-mode pieces makes both spellings meet.
    """

    word: str
    parts: tuple[str, ...] = ()
    prefix: bool = False


def query_terms(query: str) -> list[QueryTerm]:
    query = unicodedata.normalize("NFKC", query or "")[:200]
    jieba = _jieba()
    words: list[str] = []
    for piece in jieba.cut(query):
        for word in _WORD.findall(piece):
            kept = _keep(word)
            if kept and kept not in words:
                words.append(kept)
    terms = []
    for index, word in enumerate(words[:12]):
        parts = tuple(p for p in (_keep(x) for x in jieba.cut_for_search(word)) if p and p != word)
        # Only the last ASCII word gets prefix matching ("ipho" finds iPhone as one types).
        is_last_ascii = index == len(words) - 1 and word.isascii() and len(word) >= 2 and not word.isdigit()
        terms.append(QueryTerm(word=word, parts=_minimal_parts(word, parts), prefix=is_last_ascii))
    return terms


def _minimal_parts(word: str, parts: tuple[str, ...]) -> tuple[str, ...]:
    """Pieces that together cover the word (电热水器 -> 电热, 热水器 is enough; no need for 水器)."""
    if not parts:
        return ()
    covered = [False] * len(word)
    chosen: list[str] = []
    for part in sorted(parts, key=len, reverse=True):
        start = word.find(part)
        if start < 0 or all(covered[start : start + len(part)]):
            continue
        chosen.append(part)
        for i in range(start, start + len(part)):
            covered[i] = True
    return tuple(chosen) if all(covered) else ()


def tsquery_source(terms: list[QueryTerm], *, any_term: bool = False) -> str:
    """to_tsquery('simple', ...) source; tokens are \\w+ only, so single quotes are enough."""
    groups = []
    for term in terms:
        whole = f"'{term.word}'" + (":*" if term.prefix else "")
        if term.parts:
            pieces = " & ".join("'" + part + "'" for part in term.parts)
            groups.append(f"({whole} | ({pieces}))")
        else:
            groups.append(whole)
    return (" | " if any_term else " & ").join(groups)
