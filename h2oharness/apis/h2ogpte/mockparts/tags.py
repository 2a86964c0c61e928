"""Handlers for tags and the documents they are put on: tags are every user's (listed to all), each deleted by its
creator only; a document's tags are kept on the document, so they go when it (or its collection) is deleted."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import collection, ready_documents
from h2oharness.apis.h2ogpte.mockparts.library import document_of, readable, render_document
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, bad_request, not_found, object_body


def _tag(state: H2OGPTeMockState, name: str) -> dict[str, Any]:
    found = state.tags.get(name)
    if found is None:
        raise not_found(f"Tag {name[:80]}")
    return found


def _named(call: Call) -> str:
    # any string, the empty one too: the contract's TagCreateRequest sets no minimum length
    name = object_body(call).get("name")
    if not isinstance(name, str):
        raise bad_request("name must be a string")
    return name


def _made(state: H2OGPTeMockState, name: str) -> dict[str, Any]:
    """The tag of that name, made (the acting user's) when there is none."""
    # a tag is named by its name in every path (/tags/{tag_name}), so its name is its id too
    made = {"id": name, "name": name, "description": None, "format": None, "_owner": state.acting.id}
    return state.tags.setdefault(name, made)


def create_tag(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/tags: 201 the tag of that name (the one there is, when it exists: the contract documents no
    conflict)."""
    return Reply(_made(state, _named(call)), status=201)


def get_tag(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/tags/{tag_name}."""
    return Reply(_tag(state, call.path_params["tag_name"]))


def update_tag(state: H2OGPTeMockState, call: Call) -> Reply:
    """PATCH /api/v1/tags/{tag_name}: the description and format given (null clears one) replace the tag's."""
    tag = _tag(state, call.path_params["tag_name"])
    body = object_body(call)
    tag.update({k: body[k] for k in ("description", "format") if k in body})
    return Reply(tag)


def delete_tag(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/tags/{tag_name}: gone, with every document's association (the client's docstring); another
    user's tag is a 404, as an unknown one (the contract documents no 403 there)."""
    tag = _tag(state, call.path_params["tag_name"])
    if not state.owns(tag):
        raise not_found(f"Tag {tag['name'][:80]}")
    del state.tags[tag["name"]]
    for doc in state.documents.values():
        doc.tags.discard(tag["name"])
    return Reply({"tag_id": tag["id"]})


def list_tags(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/tags: every tag, oldest first; ``linked_only`` keeps those on a document, ``user_scope`` those on
    a document the user sees or that they made (both: both)."""
    linked = {name for doc in state.documents.values() for name in doc.tags}
    seen = {name for doc in state.documents.values() if readable(state, doc) for name in doc.tags}
    shown = [
        tag
        for name, tag in state.tags.items()
        if (not call.query.get("linked_only") or name in linked)
        and (not call.query.get("user_scope") or name in seen or state.owns(tag))
    ]
    return Reply(shown)


def create_tag_on_document(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/documents/{document_id}/tags: 201 the tag, now on the document; a tag that does not exist is made
    (the client's tag_document answers "the id of the newly created tag" and sends a TagCreateRequest)."""
    doc = document_of(state, call.path_params["document_id"])
    tag = _made(state, _named(call))
    doc.tags.add(tag["name"])
    return Reply(tag, status=201)


def delete_tag_from_document(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/documents/{document_id}/tags/{tag_name}: 200 {tag_id}; the tag stays. A document not tagged
    with it is a 404, as an unknown tag or document."""
    doc = document_of(state, call.path_params["document_id"])
    tag = _tag(state, call.path_params["tag_name"])
    if tag["name"] not in doc.tags:
        raise not_found(f"Tag {tag['name'][:80]} on document {doc.id}")
    doc.tags.discard(tag["name"])
    return Reply({"tag_id": tag["id"]})


def list_documents_for_tags(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/tags/{tag_names}/documents?collection_id=: the collection's documents that have every tag named
    (comma-separated, as the client joins them)."""
    # every tag, not any: the client's docstring says "documents that have the specified set of tags", and a
    # document has a set when it has each of its tags; nothing in the client or the contract says otherwise
    wanted = {name for name in call.path_params["tag_names"].split(",") if name}
    cid = collection(state, str(call.query.get("collection_id", "")))["id"]
    found = [render_document(state, d) for d in ready_documents(state, cid) if wanted and wanted <= d.tags]
    return Reply(found)
