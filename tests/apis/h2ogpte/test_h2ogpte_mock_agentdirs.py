"""A chat's agent server directory holds the files its agent wrote until it is deleted."""

from __future__ import annotations

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient


def test_deleting_agent_server_directories_takes_the_agents_files_and_unknown_sessions_are_404(
    http: httpx.Client, client: H2OGPTeClient
) -> None:
    session = client.create_chat(client.create_collection("dirs")["id"])["id"]
    asked = {"message": "Write notes.md", "llm_args": {"use_agent": True}}
    client.complete(session, asked)
    stats = http.get(f"/api/v1/chats/{session}/agent_server_directories/stats").json()
    assert [d["top_level_contents"] for d in stats] == [["notes.md"]]
    assert http.delete(f"/api/v1/chats/{session},aZ3/agent_server_directories").status_code == 404
    assert len(http.get(f"/api/v1/chats/{session}/agent_server_files").json()) == 1
    gone = http.delete(f"/api/v1/chats/{session}/agent_server_directories", params={"dir_types": "workspace"})
    assert gone.status_code == 204
    assert http.get(f"/api/v1/chats/{session}/agent_server_directories/stats").json() == []
    assert http.get(f"/api/v1/chats/{session}/agent_server_files").json() == []
