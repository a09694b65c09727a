"""An outlet's locale and currency: the one rule central, the hub and its tickets share.

The apps ship two message catalogs (ui/shared/i18n/: `id` Bahasa Indonesia, `en` English),
so a locale is one of those languages with an optional region (`id-ID`, `en-US`, `en-SG`);
the region only steers `Intl` number and date formats in the browser. The hub's old
ticket setting (`id` / `en`) still loads and means its usual region (decision 0901).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from outlet_protocol.errors import invalid

LANGUAGES = ("id", "en")
DEFAULT_LOCALE = "id-ID"
DEFAULT_CURRENCY = "IDR"
# A bare language (the hub's pre-0901 `locale = "id"`) gets the region it nearly always had.
_USUAL_REGION = {"id": "ID", "en": "US"}
_LOCALE_RE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def normalize_locale(value: Any) -> str:
    """`id`, `en`, `id-ID`, `en_us` → `id-ID`, `en-US`, …; ValueError on anything else."""
    m = _LOCALE_RE.match(value.strip()) if isinstance(value, str) else None
    if m is None or m.group(1).lower() not in LANGUAGES:
        raise ValueError(f"a locale of {', '.join(LANGUAGES)} with an optional region "
                         f"(id-ID, en-US), got {value!r}")
    lang = m.group(1).lower()
    region = (m.group(2) or _USUAL_REGION[lang]).upper()
    return f"{lang}-{region}"


def normalize_currency(value: Any) -> str:
    """An ISO 4217 code (`IDR`, `SGD`), upper-cased; ValueError on anything else."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CURRENCY_RE.match(code):
        raise ValueError(f"a three-letter ISO 4217 currency code (IDR), got {value!r}")
    return code


def language_of(locale: str) -> str:
    """The catalog language of a normalised (or legacy bare) locale: `id-ID` → `id`."""
    lang = locale.split("-", 1)[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LOCALE.split("-", 1)[0]


def _as_field(normalize: Callable[[Any], str], value: Any, field: str) -> str:
    try:
        return normalize(value)
    except ValueError as exc:
        raise invalid(field, f"{field} must be {exc}") from None


def locale_field(value: Any, field: str) -> str:
    """`normalize_locale` for a request body: the error is a ProtocolError naming `field`."""
    return _as_field(normalize_locale, value, field)


def currency_field(value: Any, field: str) -> str:
    """`normalize_currency` for a request body: the error is a ProtocolError naming `field`."""
    return _as_field(normalize_currency, value, field)
