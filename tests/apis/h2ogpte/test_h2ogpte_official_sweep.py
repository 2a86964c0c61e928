"""Every public method of the official clients against the mock, found by introspection (h2ogpte_official_sweep.py):
``h2ogpte.H2OGPTE``, ``h2ogpte.H2OGPTEAsync`` and the ``openai`` client's models, chat completions and responses.

Each client runs in a subprocess against a freshly served mock on a fast clock. At least 95% of the methods must
succeed, and the failing ones must be exactly those the mock's DEVIATIONS list for that client, so both a
regression and a fix turn the test red until DEVIATIONS says what changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import certifi
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, DEVIATIONS, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.serve import serve

#: the share of methods that must succeed (issue 11); the h2ogpte clients are at 97.6% (445/456 sync) and 97.8%
#: (447/457 async), every failure listed with its reason in the mock's DEVIATIONS
BAR = 0.95
DRIVER = Path(__file__).with_name("h2ogpte_official_driver.py")
CONTRACT = Path(__file__).parents[3] / "contracts" / "h2ogpte" / "openapi.yaml"
#: the operations of h2ogpte.rest_sync 1.7.5, which the high-level clients call
CLIENT_OPERATIONS = 385
MODES = {"H2OGPTE": "sweep-sync", "H2OGPTEAsync": "sweep-async", "openai": "sweep-openai"}
#: the methods the mock's hand-written handlers serve, /rpc/db's among them (the rest of the REST surface answers
#: from the generic resource layer)
HAND_WRITTEN = (
    "answer_question",
    "create_ai_assistant",
    "create_event_type",
    "create_forum",
    "create_forum_post",
    "create_scheduled_task",
    "build_collection_graph",
    "get_scheduled_task",
    "list_scheduled_tasks",
    "trigger_scheduled_task",
    "create_assistant_webhook",
    "create_slack_integration",
    "get_forum_post",
    "send_message_to_assistant",
    "start_ai_assistant",
    "get_ai_assistant",
    "get_forum",
    "list_ai_assistants",
    "list_forums",
    "subscribe_assistant_to_event_type",
    "update_ai_assistant",
    "count_assets",
    "count_chat_sessions",
    "count_chat_sessions_for_collection",
    "count_collections",
    "count_documents",
    "count_documents_in_collection",
    "count_documents_owned_by_me",
    "create_chat_session",
    "create_collection",
    "delete_chat_sessions",
    "delete_collections",
    "delete_documents",
    "delete_documents_from_collection",
    "delete_upload",
    "extract_data",
    "get_collection",
    "get_document",
    "ingest_uploads",
    "ingest_from_plain_text",
    "ingest_website",
    "ingest_from_s3",
    "ingest_from_gcs",
    "ingest_from_azure_blob_storage",
    "ingest_from_confluence",
    "ingest_from_sharepoint_online",
    "ingest_from_file_system",
    "list_chat_sessions_for_collection",
    "list_documents_in_collection",
    "process_document",
    "rename_chat_session",
    "search_chunks",
    "summarize_content",
    "summarize_document",
    "update_collection",
    "update_document_name",
    "share_prompt",
    "unshare_prompt",
    "unshare_prompt_for_all",
    "reset_and_share_prompt_template",
    "list_prompt_permissions",
    "update_document_uri",
    "upload",
    # the default collection, chunks, the catalogues the client reads first, and the admin jobs of /rpc/job
    "get_default_collection",
    "create_chat_session_on_default_collection",
    "get_chunks",
    "list_document_chunks",
    "add_builtin_mcp",
    "install_library_skill",
    "star_library_item",
    "unstar_library_item",
    "encode_for_retrieval",
    "delete_collections_as_admin",
    "export_feedback_csv",
)


def installed(client: str) -> bool:
    """Whether the client's package is importable here."""
    return importlib.util.find_spec("openai" if client == "openai" else "h2ogpte") is not None


Sweeps = dict[str, Any]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> Sweeps:
    """The sweeps run so far in this module, by client (each client is swept once), and the drivers' environment.

    The clients build a TLS context, loading the whole CA bundle, for every call (70 ms each, most of a sweep),
    though they never speak TLS to the loopback mock: the drivers get a bundle of one certificate instead.
    """
    text = Path(certifi.where()).read_text()
    end = "-----END CERTIFICATE-----"
    bundle = tmp_path_factory.mktemp("ca") / "one.pem"
    bundle.write_text(text[text.index("-----BEGIN CERTIFICATE-----") : text.index(end) + len(end)] + "\n")
    return {"env": {**os.environ, "SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(bundle.parent)}}


def sweep(cache: Sweeps, client: str) -> tuple[dict[str, Any], Any]:
    """The driver's ``{"results", "excluded"}`` for ``client`` against a fresh mock, and that mock's state."""
    if not installed(client):
        pytest.skip(f"the {client} client is not installed")
    if client not in cache:
        # realistic job and token timings, on a clock fifty times faster than wall time
        state = H2OGPTeMockState(clock=MonotonicClock(speed=50.0), timings=H2OGPTeTimings(), stream_speed=50.0)
        with serve(make_app(state)) as served:
            done = subprocess.run(
                [sys.executable, str(DRIVER), served.url, DEFAULT_KEY, MODES[client]],
                capture_output=True,
                text=True,
                timeout=180,
                env=cache["env"],
                check=False,
            )
        assert done.returncode == 0, f"the {client} sweep failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        cache[client] = (json.loads(done.stdout.strip().splitlines()[-1]), state)
    return cache[client]


def covers_the_client_surface() -> bool:
    """Whether the contract (and so the mock's generic layer) has every operation of h2ogpte.rest_sync."""
    return CONTRACT.read_text().count("operationId:") >= CLIENT_OPERATIONS


@pytest.mark.parametrize("client", ["H2OGPTE", "H2OGPTEAsync"])
def test_hand_written_behaviour_serves_the_high_level_clients(client: str, sweeps: Sweeps) -> None:
    """The library flows: documents listed and counted, chunks found, LLM calls answered, renames, delete jobs."""
    out, state = sweep(sweeps, client)
    wrong = {m: out["results"][m] for m in HAND_WRITTEN if out["results"][m] != "ok"}
    assert wrong == {}
    assert state.internal_errors == []
    assert all(r.status < 500 for r in state.requests)


@pytest.mark.parametrize("client", list(MODES))
def test_every_public_method_of_the_client(client: str, sweeps: Sweeps) -> None:
    """At least 95% of the methods succeed; the others are exactly the ones DEVIATIONS lists, with their reason."""
    if client != "openai" and not covers_the_client_surface():
        pytest.skip("the contract lacks h2ogpte.rest_sync's operations: the generic resource layer answers them")
    out, _ = sweep(sweeps, client)
    results: dict[str, str] = out["results"]
    excluded: dict[str, str] = out["excluded"]
    print(f"\n{client}: {len(results)} methods called, {len(excluded)} excluded")
    for method, why in sorted(excluded.items()):
        print(f"  excluded {method}: {why}")
    failing = {m: why for m, why in results.items() if why != "ok"}
    listed = {key.split(".", 1)[1] for key in DEVIATIONS if key.startswith(f"{client}.")}
    new = {m: failing[m] for m in sorted(set(failing) - listed)}
    fixed = sorted(listed - set(failing))
    assert not new, f"failing but not in DEVIATIONS: {new}"
    assert not fixed, f"in DEVIATIONS but passing now: {fixed}"
    passed = len(results) - len(failing)
    assert passed >= BAR * len(results), f"{passed}/{len(results)} succeed"
