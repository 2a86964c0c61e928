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

CLIENT_GAPS: dict[str, dict[str, str]] = {
    "H2OGPTE": {
        **_CLIENT_DEFECTS,
        "set_user_approval_config": "client defect: the sync client calls self._client, which only the async "
        "client has (AttributeError before any request)",
    },
    "H2OGPTEAsync": dict(_CLIENT_DEFECTS),
    "openai": {},
}
