"""Read news articles from plain text, HTML, RSS/Atom feeds and JSON Lines into :class:`Article` records.

Unit: one article (title, byline, publication date, body text, where it came from). Nothing here touches the store;
see :mod:`pactwatch.news.store`. Bad input never passes silently: a file that cannot be an article raises
:class:`pactwatch.errors.PactwatchError` naming the file, and in a JSON Lines or feed batch a bad record is skipped with a
:class:`Skip` naming the record and the reason, so the caller can count and report what was left out.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pactwatch.errors import PactwatchError

MAX_BYTES = 5_000_000  # larger than any news article: a file past this is not one
MIN_CHARS = 20


class IngestError(PactwatchError):
    """An input cannot be read as an article (binary, empty, not UTF-8, too large, wrong layout)."""

    exit_code = 2


@dataclass
class Article:
    """One news article. ``date`` is the publication date (ISO ``YYYY-MM-DD``) or None when unknown. ``date_basis``:
    where the date came from (see :func:`infer_date`): ``"given"`` (the input's own metadata or the caller),
    ``"file name"``, ``"text"`` (latest full date written in the article), ``"none"``; None = not decided yet."""

    text: str
    title: str = ""
    byline: str = ""
    date: str | None = None
    url: str = ""
    source: str = ""  # where it was read from (file path, feed URL)
    ext_id: str = ""  # the id the input gave it (JSON Lines `id`, feed entry id)
    meta: dict = field(default_factory=dict)
    date_basis: str | None = None

    @property
    def content_hash(self) -> str:
        """sha256 of the normalised body: the article's identity. Same text, same hash, whatever the file or outlet."""
        return hashlib.sha256(normalise_text(self.text).encode("utf-8")).hexdigest()


@dataclass
class Skip:
    """An input record left out, with the reason."""

    where: str
    reason: str


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text as it enters pactwatch (news ingest, the event coder, the web reader): every lone UTF-16 surrogate
    (U+D800-U+DFFF, from JSON escapes such as ``"\\ud800"`` or surrogate-escaped bytes; no UTF-8 text can hold one,
    and spaCy fails on them) becomes U+FFFD, one character for one, so character offsets into the text stay valid."""
    return _SURROGATE.sub("\ufffd", text)


def normalise_text(text: str) -> str:
    """Lone surrogates replaced (:func:`clean_text`), NFC, unified quotes/dashes kept, whitespace collapsed per line,
    blank lines dropped."""
    text = unicodedata.normalize("NFC", clean_text(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def parse_date(value) -> str | None:
    """ISO date from common forms ('2024-11-01', '20241101', RFC 822, datetime); None when empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    s = str(value).strip()
    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", s)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(s).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


DATE_BASES = ("given", "file name", "text", "none")

_MONTHS = {m: i for i, ms in enumerate((
    ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"), ("May",), ("June", "Jun"),
    ("July", "Jul"), ("August", "Aug"), ("September", "Sept", "Sep"), ("October", "Oct"), ("November", "Nov"),
    ("December", "Dec")), 1) for m in ms}
_MON = r"\b(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_ORD = r"(?:st|nd|rd|th)?"
#: full dates as written in news text; month names are case-sensitive ("May 2024", never "may")
_TEXT_DATES = (
    re.compile(_MON + r"\s+(?P<day>\d{1,2})" + _ORD + r",?\s+(?P<year>\d{4})\b"),      # November 1, 2024
    re.compile(r"\b(?P<day>\d{1,2})" + _ORD + r"\s+(?:of\s+)?" + _MON + r",?\s+(?P<year>\d{4})\b"),  # 1 November 2024
    re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?![\d-])"),  # 2024-11-01
    re.compile(_MON + r",?\s+(?P<year>\d{4})\b"),                                      # November 2024 -> the 1st
)
_NAME_DATE = re.compile(r"(?<!\d)(?P<year>\d{4})[-_](?P<mon>\d{2})(?:[-_](?P<day>\d{2}))?(?!\d)")


def _ymd(m, today: dt.date) -> dt.date | None:
    mon = m["mon"]
    mon = _MONTHS[mon] if not mon.isdigit() else int(mon)
    day = m.groupdict().get("day")
    try:
        d = dt.date(int(m["year"]), mon, int(day) if day else 1)
    except ValueError:
        return None
    return d if dt.date(1800, 1, 1) <= d <= today else None  # never a date after today


def date_from_name(name: str, today: dt.date | None = None) -> str | None:
    """ISO date from a file name holding ``YYYY-MM-DD`` or ``YYYY-MM`` (the 1st of the month), e.g.
    'nationalinterest-2024-11-north-korea.txt' -> '2024-11-01'. The first valid one not after today; else None."""
    today = today or dt.date.today()
    for m in _NAME_DATE.finditer(name):
        d = _ymd(m, today)
        if d:
            return d.isoformat()
    return None


def date_from_text(text: str, today: dt.date | None = None) -> str | None:
    """The latest full date written in ``text`` ('November 1, 2024', 'Nov. 1 2024', '1 November 2024', '2024-11-01';
    a month and year alone, 'November 2024', counts as the 1st), not after today; None when there is none. A bare
    year or a day without a year ('on October 30') does not count. The latest date an article mentions is a lower
    bound on its publication date, close to it in news text."""
    today = today or dt.date.today()
    best = None
    for rx in _TEXT_DATES:
        for m in rx.finditer(text):
            d = _ymd(m, today)
            if d and (best is None or d > best):
                best = d
    return best.isoformat() if best else None


def infer_date(text: str, name: str | None = None, today: dt.date | None = None) -> tuple[str | None, str]:
    """(ISO date, basis) for an article with no date of its own: a date in the file ``name`` (basis ``"file name"``),
    else the latest full date in the ``text`` (``"text"``), else ``(None, "none")``. Today's date is never used: with
    no date, a person resolves only when all their roles are one actor (:meth:`pactwatch.events.actors.ActorTable.resolve`)."""
    if name:
        d = date_from_name(Path(name).name, today)
        if d:
            return d, "file name"
    d = date_from_text(text, today)
    return (d, "text") if d else (None, "none")


def date_article(art: Article, name: str | None = None, given: str | None = None) -> Article:
    """Set ``art.date``/``art.date_basis`` in order of evidence: the article's own date or ``given`` (basis ``given``),
    else :func:`infer_date` from ``name`` and the text. Returns the same article."""
    if art.date is None and given:
        art.date = parse_date(given)
    if art.date:
        art.date_basis = art.date_basis or "given"
    else:
        art.date, art.date_basis = infer_date(art.text, name)
    return art


def decode_bytes(data: bytes, where: str) -> str:
    """UTF-8 text from bytes, or IngestError saying why not (empty, binary, too large, not UTF-8)."""
    if len(data) == 0:
        raise IngestError(f"{where}: empty input, no article to read")
    if len(data) > MAX_BYTES:
        raise IngestError(f"{where}: {len(data):,} bytes is more than the {MAX_BYTES:,}-byte limit for one article input")
    if b"\x00" in data[:65536]:
        raise IngestError(f"{where}: binary data (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{where}: not UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                          "convert it to UTF-8 first") from None
    ctrl = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if ctrl > max(10, len(text[:65536]) // 100):
        raise IngestError(f"{where}: {ctrl} control characters: binary or garbage, not article text")
    return text


def _check_body(text: str, where: str) -> str:
    body = normalise_text(text)
    if len(body) < MIN_CHARS:
        raise IngestError(f"{where}: only {len(body)} characters of text after cleaning, too short to be an article")
    letters = sum(ch.isalpha() for ch in body)
    if letters < 0.5 * len(body.replace(" ", "").replace("\n", "")):
        raise IngestError(f"{where}: fewer than half the characters are letters: garbage, not article text")
    return body


_BYLINE = re.compile(r"^\s*by\s+(?P<by>[^·|\n]{3,80}?)(?:\s*[·|]\s*(?P<outlet>[^\n]*?))?\s*$", re.I | re.M)


def article_from_text(text: str, where: str = "<text>", date: str | None = None, title: str | None = None) -> Article:
    """Plain text: first line is the title, a 'by NAME · OUTLET' line (if any) the byline, the rest the body."""
    body = _check_body(text, where)
    lines = body.split("\n")
    t = title if title is not None else (lines[0] if len(lines) > 1 and len(lines[0]) < 200 else "")
    byline = ""
    m = _BYLINE.search("\n".join(lines[:6]))
    if m:
        byline = m["by"].strip()
    return Article(text=body, title=t, byline=byline, date=parse_date(date), source=where)


def article_from_html(html: str, where: str = "<html>", url: str = "", date: str | None = None) -> Article:
    """HTML page: main text and metadata extracted by trafilatura (boilerplate, menus and ads dropped)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if doc is None:
        raise IngestError(f"{where}: no article text found in the HTML")
    get = (lambda k: getattr(doc, k, None)) if not isinstance(doc, dict) else doc.get
    text = get("text") or ""
    if not text.strip():
        raise IngestError(f"{where}: no article text found in the HTML")
    title = get("title") or ""
    body = _check_body(text, where)
    return Article(text=body, title=title, byline=get("author") or "", date=parse_date(date or get("date")),
                   url=url or get("url") or "", source=where)


def articles_from_feed(data: bytes | str, where: str = "<feed>") -> tuple[list[Article], list[Skip]]:
    """RSS/Atom feed: one article per entry (title, author, published date, summary/content as body)."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        why = getattr(parsed, "bozo_exception", None)
        raise IngestError(f"{where}: no feed entries found" + (f" ({why})" if why else ""))
    out, skips = [], []
    for i, e in enumerate(parsed.entries):
        loc = f"{where} entry {i + 1}"
        raw = ""
        if e.get("content"):
            raw = " ".join(c.get("value", "") for c in e["content"])
        raw = raw or e.get("summary", "") or e.get("description", "")
        if "<" in raw and ">" in raw:
            raw = re.sub(r"<[^>]+>", " ", raw)
            import html as _html

            raw = _html.unescape(raw)
        try:
            body = _check_body(raw, loc)
        except IngestError as exc:
            skips.append(Skip(loc, str(exc)))
            continue
        date = None
        for k in ("published_parsed", "updated_parsed"):
            if e.get(k):
                date = dt.date(*e[k][:3]).isoformat()
                break
        out.append(Article(text=body, title=e.get("title", ""), byline=e.get("author", ""), date=date,
                           url=e.get("link", ""), source=where, ext_id=e.get("id", "")))
    return out, skips


def articles_from_jsonl(text: str, where: str = "<jsonl>") -> tuple[list[Article], list[Skip]]:
    """JSON Lines: one object a line with ``text`` (required), optional ``id``, ``title``, ``byline``, ``date``, ``url``.
    Each record's text passes the checks a file's text does (length, share of letters); a record that fails is skipped
    with the reason."""
    out, skips = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        loc = f"{where} line {n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            skips.append(Skip(loc, f"not JSON ({exc.msg})"))
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            skips.append(Skip(loc, "no string field 'text'"))
            continue
        try:
            body = _check_body(rec["text"], loc)
        except IngestError as exc:
            skips.append(Skip(loc, str(exc)))
            continue
        out.append(Article(text=body, title=clean_text(str(rec.get("title") or "")),
                           byline=clean_text(str(rec.get("byline") or "")), date=parse_date(rec.get("date")),
                           url=clean_text(str(rec.get("url") or "")), source=where, ext_id=clean_text(str(rec.get("id", n))),
                           meta={k: v for k, v in rec.items() if k in ("meta",)}))
    return out, skips


def sniff_format(path: Path, text: str) -> str:
    """'jsonl', 'html', 'feed' or 'text' from the extension, else from the content."""
    ext = path.suffix.lower()
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext in (".html", ".htm", ".xhtml"):
        return "html"
    if ext in (".rss", ".atom", ".xml"):
        return "feed"
    if ext in (".txt", ".text", ".md"):
        return "text"
    head = text.lstrip()[:500].lower()
    if head.startswith("{"):
        return "jsonl"
    if "<rss" in head or "<feed" in head or "<rdf:rdf" in head:
        return "feed"
    if head.startswith("<!doctype html") or "<html" in head:
        return "html"
    return "text"


def read_articles(path: str | Path, fmt: str | None = None, date: str | None = None) -> tuple[list[Article], list[Skip]]:
    """All articles in one file (any supported format). Raises IngestError when the file as a whole is unreadable.
    Dates, in order of evidence (:func:`date_article`): the input's own (HTML/feed metadata, JSON Lines ``date``; for
    text and HTML ``date`` takes precedence), else ``date``, else a date in the file name (text and HTML files only:
    one article per file), else the latest full date in the text; ``date_basis`` records which."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"{p}: no such file")
    data = p.read_bytes()
    text = decode_bytes(data, str(p))
    fmt = fmt or sniff_format(p, text)
    if fmt == "jsonl":
        arts, skips = articles_from_jsonl(text, str(p))
        if not arts and skips:
            raise IngestError(f"{p}: no readable JSON Lines record ({skips[0].reason} at {skips[0].where})")
    elif fmt == "feed":
        arts, skips = articles_from_feed(data, str(p))
    elif fmt == "html":
        arts, skips = [article_from_html(text, str(p), date=date)], []
    elif fmt == "text":
        arts, skips = [article_from_text(text, str(p), date=date)], []
    else:
        raise IngestError(f"{p}: unknown format {fmt!r} (use text, html, feed or jsonl)")
    # a record's own date, else ``date``, else inferred; the file name speaks for a one-article file only
    name = p.name if fmt in ("text", "html") else None
    for a in arts:
        date_article(a, name, given=date)
    return arts, skips


def iter_files(paths: Iterable[str | Path]) -> Iterable[Path]:
    """The article files under ``paths``: a file as it is; a folder recursively, or only the files its
    ``index.jsonl`` catalogue names (:func:`pactwatch.news.folders.article_files`, which also says what it left out)."""
    from pactwatch.news.folders import article_files

    yield from article_files(paths)[0]
