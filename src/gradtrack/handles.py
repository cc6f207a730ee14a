"""Program handles (docs/catalog.md): short, unique, typeable names like ``cmu-phd-cs``.

Pure: names in, a handle out.  A handle is lowercase ASCII letters, digits and ``-``, at most
24 characters, and never looks like an id (``7``, ``p7``), so a reference can be tried as a
handle first.  A derived handle is the institution's short name (a known one, its only
distinctive word, or its initials), the degree and the field (or, without a field, the program's
name), transliterated with ``anyascii`` when the name is not Latin; docs/catalog.md lists the
rules.  The store keeps a handle once given: renaming a program does not change it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from gradtrack.errors import InvalidValue

MAX_LENGTH = 24
HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
ID_LIKE = re.compile(r"p?\d+", re.IGNORECASE)

# Words that say what kind of body an institution is; a name with one other word is known by
# that word ("University of Waterloo" → waterloo).
GENERIC_WORDS = frozenset(
    {
        "university",
        "universitat",
        "universite",
        "universidad",
        "universita",
        "universiteit",
        "college",
        "institute",
        "school",
    }
)
# Left out of initials: "University of California" → uc, not uoc.
STOP_WORDS = frozenset(
    {"of", "the", "at", "and", "for", "in", "on", "de", "du", "des", "la", "le", "di", "der", "fur"}
    | {"und", "et", "y", "e", "i", "v"}  # "and" / "in" in German, French, Spanish, Russian
)
KNOWN_INSTITUTIONS = {
    "georgia institute of technology": "gatech",
    "university of pennsylvania": "upenn",
    "university of texas at austin": "utaustin",
    "the university of texas at austin": "utaustin",
    "university of illinois urbana-champaign": "uiuc",
    "university of oxford": "oxford",
    "university of cambridge": "cambridge",
}
KNOWN_FIELDS = {
    "computer science": "cs",
    "machine learning": "ml",
    "statistics": "stats",
    "applied mathematics": "appmath",
    "mathematics": "math",
    "data science": "ds",
    "electrical engineering": "ee",
    "computer engineering": "ce",
    "artificial intelligence": "ai",
    "economics": "econ",
    "biostatistics": "biostat",
    "operations research": "or",
}
_INSTITUTION_PART = 12
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# A degree written into an ``other`` program's name: MMath, MComp, MCIT, M.A.
_DEGREE_WORD = re.compile(r"[MD][A-Z][A-Za-z]{0,4}")
# Words of a program's name that say the degree, not the field ("Ph.D. in Statistics").
_DEGREE_NAME_WORDS = frozenset(
    {"phd", "ms", "msc", "ma", "mphil", "dphil", "master", "masters", "doctoral", "doctor"}
    | {"program", "programme", "degree", "online", "graduate", "sc", "sm", "s", "m", "d", "ph"}
)


def _ascii(text: str) -> str:
    from anyascii import anyascii  # only when a handle is derived

    return anyascii(text)


def _words(text: str) -> list[str]:
    """Words of the transliterated text; CamelCase runs (``DongJingDaXue``) split too."""
    return _WORD.findall(_ascii(text).replace("'", ""))


def institution_short(institution: str) -> str:
    """``cmu``, ``waterloo``, ``ethz``, ``ucsb``: a known name, the one distinctive word, or
    initials (an acronym in the name counts whole)."""
    known = KNOWN_INSTITUTIONS.get(" ".join(institution.lower().split()))
    if known:
        return known
    words = [w for w in _words(institution) if w.lower() not in STOP_WORDS]
    if not words:
        return "inst"
    distinctive = [w for w in words if w.lower() not in GENERIC_WORDS]
    if len(words) == 1 or (
        len(distinctive) == 1 and not distinctive[0].isupper() and len(distinctive[0]) <= 12
    ):
        word = (distinctive or words)[0]
        return word.lower()[:_INSTITUTION_PART]
    return "".join(w if w.isupper() and len(w) > 1 else w[0] for w in words).lower()[
        :_INSTITUTION_PART
    ]


def degree_short(degree: str, name: str) -> str:
    """The degree code; an ``other`` degree uses the one its name states (``mmath``)."""
    if degree != "other":
        return degree
    for token in _ascii(name).replace(".", "").split():
        token = token.strip("()[],;:")
        if _DEGREE_WORD.fullmatch(token):
            return token.lower()
    return "other"


def field_short(text: str) -> str:
    """``cs``, ``stats``: a known abbreviation, one word, or the initials of several."""
    known = KNOWN_FIELDS.get(" ".join(w for w in text.lower().split() if w not in STOP_WORDS))
    if known:
        return known
    words = [w for w in _words(text) if w.lower() not in STOP_WORDS]
    if not words:
        return ""
    if len(words) == 1:
        return words[0].lower()[:10]
    return "".join(w[0] for w in words).lower()[:10]


def _field_words(name: str, degree_word: str) -> str:
    """A program's name without the words that state its degree: the field it names."""
    words = [
        w
        for w in _ascii(name).replace(".", "").replace("'", "").split()
        if w.strip("()[],;:").lower() not in _DEGREE_NAME_WORDS | {degree_word}
    ]
    return " ".join(words) or name


def base_handle(institution: str, name: str, degree: str, field: str = "") -> str:
    """The handle a program would get before any collision suffix (≤ 24 characters)."""
    head = [institution_short(institution), degree_short(degree, name)]
    tail = field_short(field) if field.strip() else field_short(_field_words(name, head[1]))
    room = MAX_LENGTH - len("-".join(head)) - 1
    if tail and room > 0:
        head.append(tail[:room].rstrip("-"))
    return "-".join(p for p in head if p)[:MAX_LENGTH].strip("-")


def unique_handle(base: str, taken: Container[str]) -> str:
    """``base``, else ``base-2``, ``base-3``... (trimmed so the suffix fits), not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def derive_handle(
    institution: str, name: str, degree: str, field: str, taken: Container[str]
) -> str:
    return unique_handle(base_handle(institution, name, degree, field), taken)


def handle_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a handle, or None."""
    if len(text) > MAX_LENGTH:
        return f"expected a handle of at most {MAX_LENGTH} characters"
    if not HANDLE.fullmatch(text):
        return "expected a handle of lowercase letters a-z, digits and '-' (e.g. cmu-phd-cs)"
    if ID_LIKE.fullmatch(text):
        return "expected a handle that does not look like an id (7, p7)"
    return None


def check_handle(text: str, error: Callable[[str], Exception] = InvalidValue) -> str:
    """``text`` if it is a valid handle, else ``error('invalid handle ...')``."""
    problem = handle_problem(text)
    if problem is not None:
        raise error(f"invalid handle {text!r} ({problem})")
    return text


def slugify(*parts: str) -> str:
    """The program's identity key (institution, name, degree) as ASCII: ``mit-eecs-phd``.

    Transliterated, so names in other scripts keep their letters (``東京大学`` does not
    collapse to nothing).
    """
    text = _ascii(" ".join(parts))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "program"


def program_slug(institution: str, name: str, degree: str) -> str:
    """A program's slug: its identity key, stored unique (docs/storage.md)."""
    return slugify(institution, name, degree)
