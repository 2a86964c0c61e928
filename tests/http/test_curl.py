from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from h2oharness.http.curl import MAX_BODY_CHARS, curl_command, curl_from_request
from h2oharness.mocks.serve import Served, serve


def test_plain_get_is_just_curl_and_the_url() -> None:
    assert curl_command("get", "http://h2o:54321/3/Cloud") == "curl http://h2o:54321/3/Cloud"


@pytest.mark.parametrize(
    ("method", "expected"),
    [("HEAD", "curl --head http://h/x"), ("DELETE", "curl -X DELETE http://h/x"), ("post", "curl -X POST http://h/x")],
)
def test_methods(method: str, expected: str) -> None:
    assert curl_command(method, "http://h/x") == expected


def test_form_mapping_becomes_data_urlencode_with_httpx_spellings() -> None:
    command = curl_command("POST", "http://h/3/Parse", body={"source_frames": ["a", "b"], "header": True, "sep": None})
    assert command == (
        "curl -X POST http://h/3/Parse --data-urlencode source_frames=a --data-urlencode source_frames=b"
        " --data-urlencode header=true --data-urlencode sep="
    )


def test_form_names_that_curl_would_split_are_encoded() -> None:
    args = shlex.split(curl_command("POST", "http://h/x", body={"a=b@c d": "v"}))
    assert args[-2:] == ["--data-urlencode", "a%3Db%40c+d=v"]


def test_json_mapping_sends_a_content_type_and_the_document() -> None:
    body = {"frame": 'it\'s a "frame"', "n": [1, 2]}
    args = shlex.split(curl_command("POST", "http://h/j", body=body, content_type="application/json"))
    assert args[:6] == ["curl", "-X", "POST", "http://h/j", "-H", "Content-Type: application/json"]
    assert args[6] == "-d"
    assert json.loads(args[7]) == body


def test_given_content_type_header_is_not_repeated() -> None:
    command = curl_command("POST", "http://h/j", {"Content-Type": "application/json"}, {"a": 1})
    assert command.count("Content-Type") == 1
    assert command.endswith(" -d '{\"a\": 1}'")


def test_multipart_mapping_uses_form_string_and_lets_curl_pick_the_boundary() -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    command = curl_command("POST", "http://h/3/PostFile", headers, {"file": "@/etc/passwd"})
    assert command == "curl -X POST http://h/3/PostFile --form-string file=@/etc/passwd"


def test_hostile_text_is_quoted_for_the_shell() -> None:
    body = "$(rm -rf /) `id` 'quoted' \"double\" \\ ; | &"
    args = shlex.split(curl_command("PUT", "http://h/x?a=1&b=2", {"X-Note": "a b; c"}, body, "text/plain"))
    headers = ["-H", "X-Note: a b; c", "-H", "Content-Type: text/plain"]
    assert args == ["curl", "-X", "PUT", "http://h/x?a=1&b=2", *headers, "-d", body]


def test_body_starting_with_at_is_sent_raw_not_read_from_a_file() -> None:
    assert curl_command("POST", "http://h/x", body="@file") == "curl -X POST http://h/x --data-raw @file"


def test_get_with_a_body_keeps_its_method() -> None:
    assert curl_command("GET", "http://h/x", body="q").startswith("curl -X GET ")


def test_url_with_braces_turns_globbing_off() -> None:
    assert curl_command("GET", "http://h/3/Frames/{frame_id}") == "curl --globoff 'http://h/3/Frames/{frame_id}'"


def test_binary_and_huge_bodies_are_described_not_inlined() -> None:
    binary = curl_command("POST", "http://h/x", body=b"\xff\xfe\x00")
    assert binary.endswith("--data-binary @body.bin  # 3 bytes of binary body not shown")
    huge = curl_command("POST", "http://h/x", body="x" * (MAX_BODY_CHARS + 1))
    assert huge.endswith(f"--data-binary @body.txt  # {MAX_BODY_CHARS + 1} characters of body not shown")


def test_credentials_never_reach_the_command() -> None:
    command = curl_command(
        "POST",
        "http://admin:hunter2@h/x?api_key=k3y-value&rows=1",
        {"Authorization": "Bearer tok-0123456789", "X-Trace": "tok-0123456789"},
        {"password": "hunter2", "note": "pw is hunter2", "user": "admin"},
        secrets=["hunter2", "tok-0123456789"],
    )
    for secret in ("hunter2", "tok-0123456789", "k3y-value"):
        assert secret not in command
    assert "'Authorization: Bearer [REDACTED]'" in command
    assert "'password=[REDACTED]'" in command
    assert "--globoff" in command  # [REDACTED] in the URL would otherwise be a curl glob


def test_from_request_form_body_and_caller_headers() -> None:
    request = httpx.Request(
        "POST",
        "http://h:54321/3/Parse?x=1",
        data={"source_frames": ["a", "b"], "k": "v w"},
        headers={"Authorization": "Basic YWRtaW46aHVudGVyMg==", "X-Request-Id": "r1"},
    )
    assert curl_from_request(request) == (
        "curl -X POST 'http://h:54321/3/Parse?x=1' -H 'Authorization: Basic [REDACTED]' -H 'X-Request-Id: r1'"
        " --data-urlencode source_frames=a --data-urlencode source_frames=b --data-urlencode 'k=v w'"
    )


def test_from_request_json_body() -> None:
    request = httpx.Request("POST", "http://h/j", json={"a": [1, 2]})
    expected = """curl -X POST http://h/j -H 'Content-Type: application/json' -d '{"a":[1,2]}'"""
    assert curl_from_request(request) == expected


def test_from_request_drops_what_httpx_adds_on_its_own() -> None:
    with httpx.Client() as client:
        request = client.build_request("GET", "http://h/3/Cloud")
    assert "User-Agent" in request.headers
    assert curl_from_request(request) == "curl http://h/3/Cloud"


def test_from_request_streamed_body_is_noted() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"data"

    request = httpx.Request("POST", "http://h/s", content=chunks())
    assert curl_from_request(request) == "curl -X POST http://h/s  # streamed body not shown"


def test_from_sent_request_hides_basic_auth_password() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    with httpx.Client(transport=transport, auth=("admin", "hunter2!")) as client:
        response = client.post("http://h/3/Parse", data={"source_frames": "iris"})
    command = curl_from_request(response.request, secrets=["hunter2!"])
    assert "Authorization: Basic [REDACTED]" in command
    assert "hunter2" not in command
    assert "YWRtaW46aHVudGVyMiE=" not in command


@given(secret=st.text(min_size=4), where=st.sampled_from(["url", "header", "form", "json", "raw"]))
def test_property_a_secret_anywhere_in_the_request_never_reaches_the_command(secret: str, where: str) -> None:
    url, headers, body, content_type = "http://h/x", {"X-A": "1"}, None, None
    body_or_none: Any = body
    if where == "url":
        url = f"http://h/x?q={secret}"
    elif where == "header":
        headers = {"X-A": secret}
    elif where == "form":
        body_or_none = {"q": secret, secret: "v"}
    elif where == "json":
        body_or_none, content_type = {"q": secret}, "application/json"
    else:
        body_or_none = secret
    assert secret not in curl_command("POST", url, headers, body_or_none, content_type, secrets=[secret])


# --- the command really reproduces the request ------------------------------------------------------------------


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    payload = {"method": scope["method"], "query": scope["query_string"].decode(), "body": body.decode(), **headers}
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


@pytest.fixture(scope="module")
def echo() -> Iterator[Served]:
    with serve(_echo) as served:
        yield served


needs_curl = pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl, bash")


def _run(command: str) -> dict[str, str]:
    result = subprocess.run(["bash", "-c", command], capture_output=True, check=True, timeout=30)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@needs_curl
@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"source_frames": ["a b", "c&d=é"], "flag": "true"}},
        {"json": {"name": 'it\'s "quoted"', "n": [1, 2]}},
        {"content": "$(echo pwned) `id` 'x'", "headers": {"Content-Type": "text/plain", "X-Note": "a; b"}},
    ],
    ids=["form", "json", "hostile-text"],
)
def test_running_the_command_sends_what_httpx_sent(echo: Served, kwargs: dict[str, Any]) -> None:
    with httpx.Client(base_url=echo.url) as client:
        sent = client.post("/3/Echo", **kwargs)
    command = curl_from_request(sent.request)
    replayed = _run(command)
    original = sent.json()
    for key in ("method", "query", "body", "content-type", "x-note"):
        assert replayed.get(key) == original.get(key), key


@needs_curl
def test_running_a_command_with_glob_characters_in_the_url(echo: Served) -> None:
    replayed = _run(curl_command("GET", f"{echo.url}/3/Rapids?ast=(cols%20iris%20[0])&x={{a}}"))
    assert replayed["query"] == "ast=(cols%20iris%20[0])&x={a}"
