"""The REST side of AI assistants that the high-level client calls outside h2ogpte.rest_sync: lifecycle actions,
messages, history, forum posts, webhooks and Slack integrations. The assistants and forums are /rpc/db's records.

Every record is its creator's, as /rpc/db's are: another user gets the 404 of an unknown id until the owner shares
an assistant or forum with them (through /rpc/db), and only the owner deletes (a 403 for a user it is shared with).
A forum's posts are seen by whoever sees the forum."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.rpcdb import visible
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, empty, not_found, object_body


def _record(state: H2OGPTeMockState, kind: str, key: str) -> dict[str, Any]:
    found = state.rpc_records.get(kind, {}).get(key)
    if found is None or not visible(state, kind, found):
        raise not_found(f"{kind.replace('_', ' ').capitalize()} {key}")
    return found


def _delete(state: H2OGPTeMockState, kind: str, key: str) -> None:
    """Delete the record, the owner's to do."""
    found = _record(state, kind, key)
    if not state.owns(found):
        raise ApiError(403, f"Only the owner may delete {kind.replace('_', ' ')} {key}")
    del state.rpc_records[kind][found["id"]]


def _seen(state: H2OGPTeMockState, kind: str) -> list[dict[str, Any]]:
    return [r for r in state.rpc_records.get(kind, {}).values() if visible(state, kind, r)]


def _assistant(state: H2OGPTeMockState, call: Call) -> dict[str, Any]:
    return _record(state, "ai_assistant", call.path_params["assistant_id"])


def _store(state: H2OGPTeMockState, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = state.now().isoformat()
    record = {**fields, "id": new_id(), "user_id": state.acting.id, "created_at": now, "_owner": state.acting.id}
    state.rpc_records.setdefault(kind, {})[record["id"]] = record
    return record


def _body(call: Call) -> dict[str, Any]:
    return object_body(call) if call.body.strip() else {}


def assistant_action(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST .../ai_assistants/{assistant_id}/{start|stop|wake|emit_event}: accepted, ``{}``."""
    _assistant(state, call)
    return Reply({})


def send_message(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST .../ai_assistants/{assistant_id}/{messages|send_to_assistant}: the stored message, with its id."""
    assistant = _assistant(state, call)
    return Reply(_store(state, "assistant_message", {**_body(call), "assistant_id": assistant["id"]}))


def delete_assistant(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/ai_assistants/{assistant_id}: 204."""
    _delete(state, "ai_assistant", call.path_params["assistant_id"])
    return empty()


def history(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET .../ai_assistants/{assistant_id}/history/{chat|events}: Markdown, which the client returns as text."""
    assistant = _assistant(state, call)
    part = call.path.rsplit("/", 1)[-1]
    return Reply(f"# {assistant['name']}: {part} history\n\nNothing yet.\n", content_type="text/markdown")


def search_forum_posts(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET .../ai_assistants/{assistant_id}/search_forum_posts: the posts of every forum the user sees (the mock has
    no search)."""
    _assistant(state, call)
    return Reply(_seen(state, "forum_post"))


def create_forum_post(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/forums/{forum_id}/posts[/{post_id}/reply]: the stored post (``get_forum_post`` then finds it)."""
    forum = _record(state, "forum", call.path_params["forum_id"])
    fields = {**_body(call), "forum_id": forum["id"]}
    if "post_id" in call.path_params:
        fields["reply_to"] = _record(state, "forum_post", call.path_params["post_id"])["id"]
    return Reply(_store(state, "forum_post", fields))


def create_webhook(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/ai_assistants_webhooks/{assistant_id}: the webhook with its token."""
    assistant = _assistant(state, call)
    fields = {**_body(call), "assistant_id": assistant["id"], "token": new_id()}
    return Reply(_store(state, "assistant_webhook", fields))


def list_webhooks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/ai_assistants_webhooks/{assistant_id}."""
    assistant = _assistant(state, call)
    return Reply([h for h in _seen(state, "assistant_webhook") if h["assistant_id"] == assistant["id"]])


def delete_webhook(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/ai_assistants_webhooks/{assistant_id}/{webhook_id}: 204."""
    _delete(state, "assistant_webhook", call.path_params["webhook_id"])
    return empty()


def regenerate_webhook(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST .../{assistant_id}/{webhook_id}/regenerate: the webhook with a new token."""
    hook = _record(state, "assistant_webhook", call.path_params["webhook_id"])
    hook["token"] = new_id()
    return Reply(hook)


def create_slack(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/integrations/slack/: the integration (its secrets are not echoed)."""
    fields = {k: v for k, v in _body(call).items() if k not in ("bot_token", "signing_secret")}
    return Reply(_store(state, "slack_integration", fields))


def list_slack(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/integrations/slack/."""
    return Reply(_seen(state, "slack_integration"))


def delete_slack(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/integrations/slack/{integration_id}: 204."""
    _delete(state, "slack_integration", call.path_params["integration_id"])
    return empty()


def link_slack_channel(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/integrations/slack/{integration_id}/channels: the linked channel."""
    integration = _record(state, "slack_integration", call.path_params["integration_id"])
    return Reply(_store(state, "slack_channel", {**_body(call), "integration_id": integration["id"]}))
