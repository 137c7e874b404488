"""Guardians' languages: BCP 47 codes as stored, the names teachers type ("Spanish", "español"), names to show."""

from __future__ import annotations

import re

NAMES = {
    "en": "English", "es": "Spanish", "vi": "Vietnamese", "zh": "Chinese", "ar": "Arabic", "fr": "French",
    "pt": "Portuguese", "ht": "Haitian Creole", "ko": "Korean", "ru": "Russian", "tl": "Tagalog", "so": "Somali",
    "uk": "Ukrainian", "pl": "Polish", "de": "German", "hi": "Hindi", "ur": "Urdu", "ja": "Japanese",
}
_TYPED = {
    **{name.lower(): code for code, name in NAMES.items()},
    "español": "es", "espanol": "es", "castellano": "es", "tiếng việt": "vi", "mandarin": "zh", "cantonese": "zh",
    "français": "fr", "portugués": "pt", "creole": "ht", "kreyol": "ht", "filipino": "tl",
}
CODE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$")


def normalize(value: str | None) -> str | None:
    """"Spanish", "es", "es-MX", "ES_mx" → a BCP 47 tag ("es", "es-MX"); None for empty or unrecognisable text."""
    text = (value or "").strip()
    if not text:
        return None
    typed = _TYPED.get(text.lower())
    if typed:
        return typed
    text = text.replace("_", "-")
    if not CODE.match(text):
        return None
    first, *rest = text.split("-")
    return "-".join([first.lower(), *[p.upper() if len(p) == 2 else p for p in rest]])


def base(code: str) -> str:
    """The language without its region: "es-MX" → "es" (templates are written per language)."""
    return code.split("-")[0].lower()


def name(code: str) -> str:
    return NAMES.get(base(code), code)


_MENTION = re.compile(r"\b(?:speaks?|speaking|in|language is|read|reads|prefers?)\s+([^\W\d_]+(?: [^\W\d_]+)?)", re.I)


def mentioned(text: str) -> str | None:
    """A language a teacher names in a request ("they speak Spanish", "in Vietnamese please")."""
    for match in _MENTION.finditer(text):
        words = match.group(1).lower()
        for candidate in (words, words.split(" ")[0]):
            if candidate in _TYPED:
                return _TYPED[candidate]
    return None
