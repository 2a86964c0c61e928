"""The official clients' methods that fail against the mock, each with its reason.

The sweep tests (tests/apis/h2ogpte/test_h2ogpte_official_sweep.py) call every public method of each client and
require the failing set to be exactly the one listed here, so a regression and a fix are both noticed.
"""

from __future__ import annotations

#: what fails in the high-level clients whatever the server answers: their own defects, a missing optional package
_CLIENT_DEFECTS: dict[str, str] = {
    "list_upload": "client defect: _get() already returns the parsed JSON list, then list_upload calls "
    "_raise_error_if_any() on it (AttributeError: 'list' object has no attribute 'status_code') whatever the "
    "server answers to GET /rpc/fs",
    "download_reference_highlighting": "needs PyMuPDF, an optional dependency the client does not install (it "
    "raises before any request); the document it would download is served by GET /file",
}

#: the sweep passes an id no object of the mock has: the session made no object of that kind, or the creator's
#: answer did not give the driver the id (the generic layer refuses an unknown id with the documented 404)
_NO_SUCH_ID = "the sweep's argument names no object the mock holds ({what}); the generic layer answers 404"
#: an id the generic layer answers as "" (its answer schema has the id, the stored object does not), so the client
#: builds a path with an empty segment that no operation routes
_EMPTY_ID = 'the generic layer answered the {what} id as "", so the client\'s next path has an empty segment (404)'

_MOCK_GAPS: dict[str, str] = {
    **{
        method: _NO_SUCH_ID.format(what=what)
        for method, what in {
            "assign_permissions_to_role": "a role named by the placeholder role_name",
            "bulk_delete_global_configurations": "global configuration keys never set",
            "bulk_delete_role_configurations": "role configuration keys never set",
            "bulk_delete_user_configurations_for_user": "user configuration keys never set",
            "reset_user_configurations_for_user": "a user configuration key never set",
            "delete_agent_keys": "agent key ids add_agent_key's answer did not carry",
            "update_agent_key": "an agent key id add_agent_key's answer did not carry",
            "delete_agent_tool_association": "a tool association id never created",
            "delete_document_summaries": "document summary ids never created",
            "delete_library_skill": "a library skill never installed",
            "unstar_library_item": "a library item never starred",
            "delete_prompt_templates": "prompt template ids given as the placeholder 'ids'",
            "update_prompt_template": "a prompt template id given as the placeholder 'id'",
            "delete_showcase_thumbnail": "a showcase never created",
            "remove_showcase_chat": "a showcase never created",
            "update_showcase_chat": "a showcase never created",
            "delete_user_groups_by_ids": "user group ids given as a placeholder",
            "delete_user_roles_by_ids": "user role ids given as a placeholder",
            "get_shared_chat": "a shared chat never created",
            "update_shared_chat": "a shared chat never created",
            "list_documents_from_tags": "a tag never created",
            "remove_permissions_from_role": "a permission name given as a placeholder",
            "get_chunks": "chunk 1 of a document the generic layer keeps no chunks for",
            "get_directory_stats": "an agent directory never written",
            "delete_tag": "a tag named by the id create_tag returned, not by its name",
            "update_tag": "a tag named by the id create_tag returned, not by its name",
            "update_question_reply_feedback": "an answer id the hand-written chat made, which the generic layer's "
            "feedback store does not hold",
        }.items()
    },
    **{
        method: _EMPTY_ID.format(what=what)
        for method, what in {
            "encode_for_retrieval": "embedding model",
            "admin_cleanup_chat_sessions": "job",
        }.items()
    },
    **dict.fromkeys(
        ("create_chat_session_on_default_collection", "get_default_collection"),
        "the client asks for the collection 'default', which only a real server resolves to the user's default "
        "collection; the generic layer looks for an object with that id (404)",
    ),
    **dict.fromkeys(
        ("deactivate_api_key", "delete_api_keys", "set_api_key_expiration", "set_api_key_inactivity_interval"),
        'create_api_key_for_user returns the secret key, which the generic layer fits as "" (its APIKeyResult '
        "holds no key it made), and the sweep passes it as the key's id: the next path has an empty segment (404)",
    ),
    **dict.fromkeys(
        ("remove_role_from_group", "remove_role_from_user"),
        "the sweep's reset_roles_for_* runs first and clears the roles, and the generic layer refuses the removal of "
        "a role no longer assigned with 404 (a real server may accept it)",
    ),
    "migrate_scheduled_connectors_to_collection": "the generic layer answers the job with the collection's id, so "
    "the client waits on a job that does not exist (404)",
    "delete_collections_as_admin": "the generic layer answers the admin deletion job with no id the client can "
    "wait on (404 with an empty message)",
    "download_ai_assistant_file": "no file is kept for an assistant, so the download is a 404",
    "export_feedback_csv": "the export's job answer carries no id the client can fetch the CSV by (404)",
    "add_builtin_mcp": "the generic answer lacks the fields the client adds up (None + None: TypeError)",
    "install_library_skill": "the generic layer answers the install with a string where the client reads an object "
    "(AttributeError)",
    "list_document_chunks": "the generic document the sweep passes is in no collection the client can find "
    "(ValueError raised by the client)",
    "star_library_item": "the generic layer answers {} where the client's LibraryStarStatus requires item_kind and "
    "item_id",
    "update_runtime_llm": "the generic layer answers the PUT with an empty body where the client parses JSON",
}

CLIENT_GAPS: dict[str, dict[str, str]] = {
    "H2OGPTE": {
        **_CLIENT_DEFECTS,
        **_MOCK_GAPS,
        "set_user_approval_config": "client defect: the sync client calls self._client, which only the async "
        "client has (AttributeError before any request)",
    },
    "H2OGPTEAsync": {**_CLIENT_DEFECTS, **_MOCK_GAPS},
    "openai": {},
}
