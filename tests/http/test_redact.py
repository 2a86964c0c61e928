from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from h2oharness.http.redact import MASK, is_sensitive_name, redact, redact_mapping


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic YWRtaW46aHVudGVyMg==", "Authorization: Basic [REDACTED]"),
        ("-H 'Authorization: Bearer abc.def-ghi'", "-H 'Authorization: Bearer [REDACTED]'"),
        ("proxy-authorization: s3cr3t", "proxy-authorization: [REDACTED]"),
        ("-H 'Cookie: session=abc; theme=dark'", "-H 'Cookie: [REDACTED]'"),
        ("-H 'X-Api-Key: abc123'", "-H 'X-Api-Key: [REDACTED]'"),
        ("sent Bearer abcdefghijklmnop123 upstream", "sent Bearer [REDACTED] upstream"),
        ("header was Basic YWRtaW46aHVudGVyMg==.", "header was Basic [REDACTED]."),
        ("curl -u admin:hunter2 http://h", "curl -u admin:[REDACTED] http://h"),
        ("curl -u 'admin:pass word' http://h", "curl -u 'admin:[REDACTED]' http://h"),
        ('curl --user="admin:pw" http://h', 'curl --user="admin:[REDACTED]" http://h'),
        ("curl -u admin http://h", "curl -u admin http://h"),
        ("http://admin:hunter2@h2o:54321/3/Cloud", "http://admin:[REDACTED]@h2o:54321/3/Cloud"),
        ("https://ghp_abc@github.com/x", "https://[REDACTED]@github.com/x"),
        ("key sk-proj-abcdefgh1234 rejected", "key [REDACTED] rejected"),
        ("jwt eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl end", "jwt [REDACTED] end"),
        ("/3/Frames?api_key=abc&rows=10", "/3/Frames?api_key=[REDACTED]&rows=10"),
        ("?token=a&password=b&secret=c", "?token=[REDACTED]&password=[REDACTED]&secret=[REDACTED]"),
        ("access_token=a;refresh_token=b", "access_token=[REDACTED];refresh_token=[REDACTED]"),
        ("--data-urlencode 'client_secret=x y'", "--data-urlencode 'client_secret=[REDACTED] y'"),
        ('{"password": "p\\"w", "name": "iris"}', '{"password": "[REDACTED]", "name": "iris"}'),
        ("{'Authorization': 'Bearer x'}", "{'Authorization': '[REDACTED]'}"),
        ("password: hunter2", "password: [REDACTED]"),
    ],
)
def test_patterns_mask_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=512&tokenizer=bert",
        "Basic authentication failed",
        'WWW-Authenticate: Bearer realm="h2o"',
        "task-0123456789abcdef and sk-learn",
        "http://h2o:54321/3/Frames/a@b",
        "POST /3/Parse: 500 server error",
        "Unexpected token } in JSON",
    ],
)
def test_ordinary_text_survives(text: str) -> None:
    assert redact(text) == text


def test_given_secrets_are_replaced_in_their_wire_forms() -> None:
    secret = 'p@ss w"rd/é'
    text = f"raw {secret} url {quote(secret, safe='')} form {quote_plus(secret)} json {json.dumps(secret)}"
    redacted = redact(text, [secret])
    for form in (secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]):
        assert form not in redacted
    assert redacted.startswith("raw [REDACTED] url [REDACTED]")


def test_overlapping_secrets_leave_nothing_behind() -> None:
    assert redact("xx abcdef yy", ["abcd", "cdef"]) == "xx [REDACTED] yy"


@pytest.mark.parametrize(("text", "secret"), [("xD]abab", "D]ab"), ("ACTE", "ACTE"), ("[REDACTED]", "[REDACTED]")])
def test_secret_that_overlaps_the_mask_is_not_reformed(text: str, secret: str) -> None:
    assert secret not in redact(text, [secret])


def test_empty_secret_is_ignored() -> None:
    assert redact("nothing to hide", ["", "absent"]) == "nothing to hide"


def test_redact_mapping_masks_credential_headers_and_redacts_the_rest() -> None:
    headers = {
        "Authorization": "Basic YWRtaW46aHVudGVyMg==",
        "Cookie": "session=abc",
        "X-Api-Key": "k",
        "Proxy-Authorization": "opaque",
        "X-Auth-Token": "t",
        "Accept": "application/json",
        "X-Debug": "user hunter2 here",
    }
    assert redact_mapping(headers, ["hunter2"]) == {
        "Authorization": "Basic [REDACTED]",
        "Cookie": MASK,
        "X-Api-Key": MASK,
        "Proxy-Authorization": MASK,
        "X-Auth-Token": MASK,
        "Accept": "application/json",
        "X-Debug": "user [REDACTED] here",
    }


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [("Authorization", True), ("x-api-key", True), ("refresh_token", True), ("max_tokens", False), ("Accept", False)],
)
def test_is_sensitive_name(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


#: a secret that is not an ordinary word (one holds a character other than a letter): masked inside words too
NOT_A_WORD = st.text(min_size=4).filter(lambda text: not text.isalpha())


@given(prefix=st.text(), secret=NOT_A_WORD, suffix=st.text())
def test_property_an_embedded_secret_does_not_survive(prefix: str, secret: str, suffix: str) -> None:
    assert secret not in redact(prefix + secret + suffix, [secret])


@given(
    secrets=st.lists(NOT_A_WORD.filter(lambda text: len(text) <= 12), min_size=1, max_size=3),
    filler=st.lists(st.text(max_size=8), min_size=4, max_size=4),
)
def test_property_several_secrets_in_every_wire_form_do_not_survive(secrets: list[str], filler: list[str]) -> None:
    text = "".join(
        f"{filler[i % 4]}{secret}{filler[(i + 1) % 4]}{quote(secret, safe='')}{quote_plus(secret)}"
        for i, secret in enumerate(secrets)
    )
    redacted = redact(text, secrets)
    for secret in secrets:
        assert secret not in redacted
        assert quote(secret, safe="") not in redacted


@given(name=st.sampled_from(["Authorization", "X-Debug", "Cookie"]), secret=st.text(min_size=4), other=st.text())
def test_property_redact_mapping_never_returns_a_secret(name: str, secret: str, other: str) -> None:
    redacted = redact_mapping({name: other + secret, "X-Other": secret + other}, [secret])
    assert all(secret not in key and secret not in value for key, value in redacted.items())


@pytest.mark.parametrize("user", ["", "a", "ab", "abc", "admin", "svc-account"])
def test_a_secret_inside_base64_is_masked_whatever_its_offset(user: str) -> None:
    # HTTP Basic sends base64(user:password): the password's offset in the encoded bytes depends on the user
    secret = "planted p@ss/w0rd"
    blob = base64.b64encode(f"{user}:{secret}".encode()).decode()
    for shown in (blob, base64.urlsafe_b64encode(f"{user}:{secret}".encode()).decode(), quote(blob, safe="")):
        redacted = redact(f"echo {shown} end", [secret])
        assert MASK in redacted
        assert shown not in redacted
    alone = base64.b64encode(secret.encode()).decode()
    assert alone not in redact(alone, [secret])


@given(prefix=st.binary(max_size=6), secret=st.text(min_size=8, max_size=24), suffix=st.binary(max_size=6))
def test_property_no_base64_text_containing_the_secret_survives(prefix: bytes, secret: str, suffix: bytes) -> None:
    encoded = base64.b64encode(prefix + secret.encode() + suffix).decode()
    redacted = redact(encoded, [secret])
    assert MASK in redacted
    assert encoded not in redacted


def test_a_short_secret_masks_no_base64_by_chance() -> None:
    assert redact("QUJD dXNlcg== abc", ["pw"]) == "QUJD dXNlcg== abc"


def test_html_escaped_secrets_are_masked() -> None:
    secret = "a<b>&\"c'd"
    assert redact(f"<td>{html.escape(secret)}</td> <td>{html.escape(secret, quote=False)}</td>", [secret]) == (
        "<td>[REDACTED]</td> <td>[REDACTED]</td>"
    )
    # JSON in a page's script, as Jinja's tojson writes it (Locust's report)
    in_script = json.dumps(secret).translate({ord(c): f"\\u{ord(c):04x}" for c in "<>&'"})
    assert redact(f"var x = {in_script};", [secret]) == 'var x = "[REDACTED]";'


@pytest.mark.parametrize(
    "markup",
    [
        "<failure>Authorization: Bearer abcdefghijklmnop</failure>",
        '<failure message="Cookie: session=abc&quot; ok">x</failure>',
        "<td>X-Api-Key: abc</td>",
        "<a href='/x?token=abc'>y</a>",
    ],
)
def test_patterns_stop_at_markup(markup: str) -> None:
    redacted = redact(markup)
    assert MASK in redacted
    assert redacted.count("<") == markup.count("<")
    assert redacted.count(">") == markup.count(">")


def test_a_secret_word_in_prose_is_not_a_header() -> None:
    line = "STREAM h2ogpte jsonl time to first token: master counted 3, workers 4"
    assert redact(line) == line


def test_a_secret_of_under_four_characters_is_masked_where_it_stands_alone_not_inside_words() -> None:
    # a test key "x" turned every message's /api/experiments into /api/e[REDACTED]periments
    text = 'GET /api/experiments?k=x&limit=1 Bearer x "x" x-ray x'
    assert redact(text, ["x"]) == (
        'GET /api/experiments?k=[REDACTED]&limit=1 Bearer [REDACTED] "[REDACTED]" [REDACTED]-ray [REDACTED]'
    )
    assert redact("key=a%2Fb, a/b ka/b", ["a/b"]) == "key=[REDACTED], [REDACTED] ka/b"


@given(
    prefix=st.text(),
    secret=st.text(min_size=1, max_size=3),
    suffix=st.text(),
    left=st.sampled_from(" =&/\"'\n:,"),
    right=st.sampled_from(" =&/\"'\n:,"),
)
def test_property_a_short_secret_standing_alone_does_not_survive(
    prefix: str, secret: str, suffix: str, left: str, right: str
) -> None:
    text = f"{prefix}{left}{secret}{right}{suffix}"
    redacted = redact(text, [secret])
    assert f"{left}{secret}{right}" not in redacted or secret in left + right


@pytest.mark.parametrize("password", ["admin", "test", "Admin", "TEST"])
def test_a_password_that_is_a_word_is_masked_as_a_token_not_inside_other_words(password: str) -> None:
    # before: "Unknown [REDACTED]istrator", "con[REDACTED] of [REDACTED]ing"
    prose = "Unknown administrator; contest of testing, Administrators, attested, TESTS"
    assert redact(prose, [password]) == prose
    text = f'login {password} failed; user={password}&x=1 "{password}" /u/{password}/ ({password})'
    assert redact(text, [password]) == (f'login {MASK} failed; user={MASK}&x=1 "{MASK}" /u/{MASK}/ ({MASK})')


@pytest.mark.parametrize("secret", ["hunter2", "s3cr3t!", "PassWord", "qwertyuiopasdfghjk"])
def test_a_secret_that_is_no_word_is_masked_inside_words_as_before(secret: str) -> None:
    assert redact(f"x{secret}y and {secret}", [secret]) == f"x{MASK}y and {MASK}"


@given(
    prefix=st.text(),
    word=st.from_regex(r"[a-z]{4,15}|[A-Z]{4,15}|[A-Z][a-z]{3,14}", fullmatch=True),
    suffix=st.text(),
    left=st.sampled_from(" =&/\"'\n:,("),
    right=st.sampled_from(" =&/\"'\n:,)"),
)
def test_property_a_word_password_standing_alone_does_not_survive(
    prefix: str, word: str, suffix: str, left: str, right: str
) -> None:
    redacted = redact(f"{prefix}{left}{word}{right}{suffix}", [word])
    assert f"{left}{word}{right}" not in redacted


def test_a_word_password_is_still_masked_in_basic_credentials() -> None:
    basic = base64.b64encode(b"qa:password").decode()
    redacted = redact(f"sent {basic} upstream", ["password"])
    assert basic not in redacted
    assert MASK in redacted
