"""Normalising the keys customers are found by: names, domains, emails. Pure functions."""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc llp plc gmbh ag sa sas sarl bv nv corp corporation co company "
    "pty kk oy ab as spa srl".split()
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Latin letters that Unicode does not decompose into an ASCII base letter.
_TRANSLIT = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ŀ": "l",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
    }
)


def fold(text: str) -> str:
    """Lower-case ASCII fold: accents removed, punctuation to spaces, whitespace collapsed."""
    text = (
        unicodedata.normalize("NFKD", text.casefold().translate(_TRANSLIT))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    text = text.replace("&", " and ")
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def name_key(name: str) -> str:
    """The comparison key of a company name: folded, legal suffixes and a leading 'the' dropped."""
    words = fold(name).split()
    while words and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def normalize_domain(value: str) -> str:
    """'https://www.Acme.com/path' or 'ops@acme.com' -> 'acme.com'."""
    v = value.strip().lower()
    if "@" in v:
        v = v.rsplit("@", 1)[1]
    v = re.sub(r"^[a-z]+://", "", v).split("/", 1)[0].split(":", 1)[0]
    return v[4:] if v.startswith("www.") else v


def normalize_email(value: str) -> str:
    return value.strip().lower()


def slug(name: str) -> str:
    return name_key(name).replace(" ", "")
