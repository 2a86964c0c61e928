"""The one redaction function: every recorder, log line, curl line and report goes through ``redact``.

Two layers, both always on:

* the secret values the caller knows (passwords, tokens), in the forms they take on the wire
  (verbatim, percent-encoded, JSON- and HTML-escaped, and base64, alone or inside a larger base64 text
  such as HTTP Basic's ``user:password``), are replaced wherever they occur, but for a secret that reads as an
  ordinary word (``admin``) or is shorter than four characters, which is replaced only where it stands alone;
* credentials recognised by their shape are masked even when nobody told us the value:
  ``Authorization`` headers, ``-u user:password`` in curl lines, ``user:password@`` in URLs,
  ``sk-…`` API keys, JWTs, and parameters or fields named like ``api_key``, ``token``, ``password``, ``secret``.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "SENSITIVE_HEADERS", "is_sensitive_name", "redact", "redact_mapping"]

MASK = "[REDACTED]"

#: Header names whose whole value is a credential (compared lower-case).
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})

# A name that ends in a secret-ish word: api_key, X-Api-Key, access_token, client_secret, password...
# Anchored at the end so that max_tokens or tokenizer stay readable.
_NAME = r"(?:[\w.-]*[_.-])?(?:api[_-]?key|apikey|token|password|passwd|secret)"
_NAME_RE = re.compile(_NAME, re.IGNORECASE)
_HEADER_NAME = rf"(?:(?:proxy-)?authorization|set-cookie|cookie|{_NAME})"

# ?api_key=…&password=… in URLs and form bodies.
_PARAM = re.compile(rf"(?i)(?<![\w.-])({_NAME})=([^&#;\s'\"<>]+)")
# "password": "…" in JSON or Python reprs.
_FIELD = re.compile(rf"""(?i)(["'])({_HEADER_NAME})\1(\s*:\s*)(["'])((?:\\.|(?!\4).)*)\4""")
# Authorization: Basic …, X-Api-Key: … in raw headers, curl -H arguments and log lines.
_AUTH_HEADER = re.compile(
    r"(?i)(?<![\w-])((?:proxy-)?authorization\s*:[ \t]*)(?:(basic|bearer|digest|token|negotiate)[ \t]+)?([^\s'\"<>]+)"
)
_COOKIE_HEADER = re.compile(r"(?i)(?<![\w-])((?:set-)?cookie\s*:[ \t]*)([^\r\n'\"<>&]+)")
# Only where a header starts (a line, a quoted curl -H argument, an HTML cell): "first token: 3 s" is prose.
_NAMED_HEADER = re.compile(rf"(?i)(?<![^\n'\">])({_NAME}\s*:[ \t]*)([^\s'\",;<>&]+)")
# Bearer tokens outside a header ("sent Bearer abc…"); long enough that "Bearer realm" survives.
_BEARER = re.compile(r"(?i)\b(bearer[ \t]+)([A-Za-z0-9._~+/-]{12,}=*)")
_BASIC = re.compile(r"(?i)\b(basic[ \t]+)([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])")
# curl -u user:password / --user=user:password, quoted or not.
_CURL_USER = re.compile(r"(?<![\w-])(-u|--user)([ \t]+|=)(?:'([^']*)'|\"([^\"]*)\"|([^\s'\"]+))")
# scheme://user:password@host, and scheme://token@host.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#@:'\"]*)(?::([^\s/?#@'\"]*))?@")
_SK_KEY = re.compile(r"(?<![A-Za-z0-9_])sk-[A-Za-z0-9_-]{8,}")
_JWT = re.compile(r"\beyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*")


def _mask_basic(match: re.Match[str]) -> str:
    # Only a value that decodes to user:password is a credential; "Basic authentication" is prose.
    try:
        decoded = base64.b64decode(match.group(2), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return match.group(0)
    return match.group(1) + MASK if ":" in decoded else match.group(0)


def _mask_curl_user(match: re.Match[str]) -> str:
    flag, sep, single, double, bare = match.groups()
    value = next(v for v in (single, double, bare) if v is not None)
    if ":" not in value:
        return match.group(0)  # no password given: curl will prompt for it
    user = value.split(":", 1)[0]
    quote_char = "'" if single is not None else '"' if double is not None else ""
    return f"{flag}{sep}{quote_char}{user}:{MASK}{quote_char}"


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme, user, password = match.groups()
    if password is None:
        return f"{scheme}{MASK}@"  # a lone userinfo is usually a token
    return f"{scheme}{user}:{MASK}@"


def _mask_patterns(text: str) -> str:
    text = _USERINFO.sub(_mask_userinfo, text)
    text = _CURL_USER.sub(_mask_curl_user, text)
    text = _FIELD.sub(lambda m: f"{m[1]}{m[2]}{m[1]}{m[3]}{m[4]}{MASK}{m[4]}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m[1]}{m[2] + ' ' if m[2] else ''}{MASK}", text)
    text = _COOKIE_HEADER.sub(lambda m: m[1] + MASK, text)
    text = _NAMED_HEADER.sub(lambda m: m[1] + MASK, text)
    text = _PARAM.sub(lambda m: f"{m[1]}={MASK}", text)
    text = _BEARER.sub(lambda m: m[1] + MASK, text)
    text = _BASIC.sub(_mask_basic, text)
    text = _SK_KEY.sub(MASK, text)
    return _JWT.sub(MASK, text)


# Base64 needles shorter than this are left out: a few characters would mask ordinary text by chance.
_MIN_BASE64_NEEDLE = 8


def _base64_forms(secret: str) -> set[str]:
    """What base64 text shows of ``secret`` wherever it sits in the encoded bytes (``user:secret`` in Basic auth).

    Base64 turns 3 bytes into 4 characters, so a secret inside longer data is encoded one of three ways
    depending on its offset; the characters that depend on the secret's bytes alone are the same whatever
    surrounds it, and those are the needles.
    """
    raw = secret.encode("utf-8")
    forms: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw + bytes(3))
        first = (offset * 8 + 5) // 6  # the first character made of the secret's bits only
        last = ((offset + len(raw)) * 8) // 6  # one past the last such character
        if last - first < _MIN_BASE64_NEEDLE:
            continue
        core = encoded[first:last].decode("ascii")
        forms |= {core, core.replace("+", "-").replace("/", "_")}  # standard and URL-safe alphabets
    return forms


def _wire_forms(secret: str) -> set[str]:
    """The secret as it may appear in a URL, a form body, a JSON or HTML document, or base64 text."""
    as_json = json.dumps(secret)[1:-1]
    plain = {
        secret,
        as_json,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        # JSON inside an HTML page (Jinja's tojson, as in Locust's report)
        as_json.translate({ord(c): f"\\u{ord(c):04x}" for c in "<>&'"}),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    encoded = {f(form) for form in (secret,) for f in (_quote_all, quote, quote_plus)}
    return (plain | encoded | _base64_encodings(secret)) - {""}


def _base64_encodings(secret: str) -> set[str]:
    """The base64 needles of ``secret``, as they are and percent-encoded."""
    forms = _base64_forms(secret)
    return forms | {f(form) for form in forms for f in (_quote_all, quote, quote_plus)}


def _quote_all(text: str) -> str:
    return quote(text, safe="")


def _spans(text: str, needles: list[str], bounded: frozenset[str]) -> list[tuple[int, int]]:
    """The spans to mask: every occurrence of any needle, overlapping ones merged; a span made of ``bounded``
    needles only is kept only where no letter or digit touches it (a word password inside a longer word is left)."""
    groups: list[list[Any]] = []
    for start, end, is_bounded in sorted(_occurrences(text, needles, bounded)):
        if groups and start <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], end)
            groups[-1][2] = groups[-1][2] and is_bounded
        else:
            groups.append([start, end, is_bounded])
    return [
        (start, end)
        for start, end, is_bounded in groups
        if not (is_bounded and (_alnum_at(text, start - 1) or _alnum_at(text, end)))
    ]


def _replace_spans(text: str, spans: list[tuple[int, int]], mask: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each of ``spans`` (sorted, apart) replaced by ``mask``, and where the masks are in it."""
    pieces: list[str] = []
    masks: list[tuple[int, int]] = []
    cursor = length = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        length += start - cursor
        masks.append((length, length + len(mask)))
        pieces.append(mask)
        length += len(mask)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), masks


def _alnum_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


#: a secret shorter than this is masked only where it stands alone: no credential is that short, and masked inside
#: words, a test key "x" turned /api/experiments into /api/e[REDACTED]periments in every message
_MIN_EMBEDDED_SECRET = 4
#: an all-letter secret this long or longer is taken for a random token, not a word, whatever its case
_MIN_RANDOM_LETTERS = 16


def _is_word(secret: str) -> bool:
    """Whether ``secret`` reads as an ordinary word (``admin``, ``test``, ``Secret``, ``QA``): letters only, in one
    case or capitalised, and shorter than a random token. Such a password is masked where it stands alone as a
    token, not inside longer words: "admin" turned "Unknown administrator" into "Unknown [REDACTED]istrator"."""
    cased = secret.islower() or secret.isupper() or secret.istitle()
    return secret.isalpha() and cased and len(secret) < _MIN_RANDOM_LETTERS


def _masked_inside_words(secret: str) -> bool:
    """Whether ``secret`` is masked wherever it occurs, letters or digits touching it or not."""
    return len(secret) >= _MIN_EMBEDDED_SECRET and not _is_word(secret)


def _replace_secrets(text: str, secrets: Iterable[str]) -> str:
    secrets = [secret for secret in secrets if secret]
    needles = sorted({form for secret in secrets for form in _wire_forms(secret)}, key=len, reverse=True)
    if not needles:
        return text
    # base64 forms live inside longer base64 text (Basic's user:password) by nature: always masked where found
    long_forms = {form for secret in secrets for form in _base64_encodings(secret)}
    long_forms |= {form for secret in secrets if _masked_inside_words(secret) for form in _wire_forms(secret)}
    bounded = frozenset(needle for needle in needles if needle not in long_forms)
    spans = _spans(text, needles, bounded)
    if not spans:
        return text
    result, masks = _replace_spans(text, spans, MASK)
    # only a mask can have made a needle that was not there: what is left elsewhere was left on purpose
    made = [(start, end) for start, end, _ in _occurrences(result, needles)]
    if not any(start < m_end and m_start < end for start, end in made for m_start, m_end in masks):
        return result
    # A secret that overlaps the mask itself (say "TED]x") can be re-formed at a mask's edge. A run of a
    # character that no secret contains cannot take part in any occurrence, so one pass with it is final.
    used = {char for needle in needles for char in needle}
    filler = next(c for c in ("*", "#", "~", "^", *map(chr, range(0x2022, 0xD800))) if c not in used)
    return _replace_spans(text, spans, filler * 8)[0]


def _occurrences(text: str, needles: list[str], bounded: frozenset[str] = frozenset()) -> list[tuple[int, int, bool]]:
    """Every (possibly overlapping) occurrence of any needle: its start, its end, whether the needle is ``bounded``."""
    found = []
    for needle in needles:
        start = text.find(needle)
        while start != -1:
            found.append((start, start + len(needle), needle in bounded))
            start = text.find(needle, start + 1)
    return found


def is_sensitive_name(name: str) -> bool:
    """Whether a header, parameter or field called ``name`` carries a credential (``X-Api-Key``, ``password``...)."""
    return name.lower() in SENSITIVE_HEADERS or _NAME_RE.fullmatch(name) is not None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask credentials in ``text``: the given secret values anywhere, and known credential shapes by pattern.

    Example:
        >>> redact("curl -u admin:hunter2 'http://h/3/Frames?api_key=abc'")
        "curl -u admin:[REDACTED] 'http://h/3/Frames?api_key=[REDACTED]'"
    """
    return _replace_secrets(_mask_patterns(text), secrets)


def redact_mapping(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """A copy of a header mapping with credential headers masked and every other value passed through ``redact``."""
    secrets = tuple(secrets)
    result: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.partition(" ")
            # Keep the scheme: "Basic [REDACTED]" still tells the reader which kind of auth was sent.
            masked = f"{scheme} {MASK}" if credentials and scheme.isalpha() else MASK
        elif is_sensitive_name(name):
            masked = MASK
        else:
            masked = redact(value, secrets)
        result[redact(name, secrets)] = _replace_secrets(masked, secrets)
    return result
