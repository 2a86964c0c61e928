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

#: the sweep passes an id or name no object of the mock has: the session made no object of that kind (or its maker's
#: answer is no id the sweep reads) and no lister lists one, so the mock answers the documented 404
_NO_SUCH_ID = "the sweep's argument names no object the mock holds ({what}); the mock answers 404"

_MOCK_GAPS: dict[str, str] = {
    **{
        method: _NO_SUCH_ID.format(what=what)
        for method, what in {
            "delete_agent_tool_association": "association ids come from assign_agent_key_for_tool, whose answer the "
            "sweep does not read as an id (it is no create_*/add_* method)",
            "delete_document_summaries": "summary ids come from process_document/summarize_document, which the sweep "
            "does not read as creators, and no list_<kind>s method lists summaries",
            "delete_library_skill": "a library skill is what an admin publishes (publish_library_skill), whose answer "
            "the sweep does not read as an id",
            "get_directory_stats": "a directory name given as a placeholder: the session's agent wrote no directory",
        }.items()
    },
    "delete_showcase_thumbnail": "sweep order: remove_showcase_chat (an undoer, run before the deleters) has removed "
    "the showcase, so its thumbnail's showcase is gone (404, as a real server would answer)",
    "download_ai_assistant_file": "no file is kept for an assistant (/rpc/db keeps no files), so the download is a 404",
    "update_runtime_llm": "the contract documents the PUT as '(Deprecated) Not supported -- updating a runtime LLM is "
    "disabled'; the mock answers its documented 200 without a body, where the client parses JSON (JSONDecodeError)",
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
