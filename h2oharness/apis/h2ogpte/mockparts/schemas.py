"""What every operation of the mock accepts: path, query parameters and request body, as JSON Schema (OpenAPI 3.0).

The same table writes the request side of ``contracts/h2ogpte/kept.yaml`` (a test checks that they agree),
so the mock refuses exactly what the contract forbids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OBJ: Schema = {"type": "object"}
STRS: Schema = {"type": "array", "items": STR}
BINARY: Schema = {"type": "string", "format": "binary"}
#: what a memory block's share or privacy grants (seed 003, "Share a memory block"; the mock refuses others)
GRANTS: Schema = {
    "type": "array",
    "items": {"type": "string", "enum": ["h2ogpte/memory_block/read", "h2ogpte/memory_block/edit"]},
}
#: a memory block's max_content_length: 0 = unlimited, so never below it
LIMIT: Schema = {
    "type": "integer",
    "minimum": 0,
    "description": 'Maximum characters of the content; 0 = unlimited (seed 003: "Maximum characters. 0 = unlimited.").',
}


#: the model an OpenAI-compatible request names; its example is one the mock serves, so that schemathesis's examples
#: reach the 200 answer (a drawn string is almost never a model: OpenAI's 404 model_not_found)
OPENAI_MODEL: Schema = {
    "type": "string",
    "description": 'The model to answer with: "auto" or one GET /openai_api/v1/models lists '
    "(another gets OpenAI's 404 model_not_found).",
    "example": "auto",
}


def nullable(schema: Schema) -> Schema:
    """The schema, also allowing null (OpenAPI 3.0 ``nullable``; an enum then lists null too, as 3.0.3 requires)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None], "nullable": True}
    return {**schema, "nullable": True}


def obj(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    """An object schema with these properties (extra properties allowed, as the server ignores them)."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


#: the rag types the client's Collection model accepts
RAG_TYPES = ["auto", "llm_only", "rag", "hyde1", "hyde2", "rag+", "all_data"]
INJECTION_MODES = ["system_prompt", "user_instruction", "agent_file", "agent_tool"]
ACCESS_MODES = ["read", "write", "read_write"]
#: the client's enum, plus the seed's "on"/"off" (every seed example sends "off"; the WebSocket protocol takes them)
CHAT_HISTORY = ["true", "false", "auto", "on", "off"]
TOOL_TYPES = ["local_mcp", "remote_mcp", "browser_action", "general_code"]
AGENT_TYPES = ["langgraph", "crewai", "openai", "claude"]
#: the seed's four roles, and "tool" for the results of tool calls in a conversation's history
OPENAI_ROLES = ["developer", "system", "user", "assistant", "tool"]
RESPONSE_FORMATS = ["text", "json_object", "json_schema"]
INFO_TYPES = [
    "usage_stats",
    "prompt_raw",
    "agent_files",
    "agent_files_old",
    "agent_chat_history",
    "agent_chat_history_md",
    "agent_analysis",
]

REQUEST_SCHEMAS: dict[str, Schema] = {
    "CollectionCreateRequest": obj(
        ("name", "description"),
        name=STR,
        description=STR,
        embedding_model=nullable(STR),
        collection_settings=nullable(OBJ),
        chat_settings=nullable(OBJ),
        expiry_date=nullable(STR),
        workspace=nullable(STR),
        vex_encryption=nullable({"type": "string", "enum": ["enabled", "disabled"]}),
    ),
    "IngestUploadBody": obj(metadata=nullable(OBJ)),
    "CreateChatSessionRequest": obj(workspace=nullable(STR)),
    "ChatCompletionRequest": obj(
        ("message",),
        message=STR,
        system_prompt=nullable(STR),
        pre_prompt_query=nullable(STR),
        prompt_query=nullable(STR),
        image_batch_final_prompt=nullable(STR),
        image_batch_image_prompt=nullable(STR),
        llm=nullable(STR),
        llm_args=nullable(OBJ),
        self_reflection_config=nullable(OBJ),
        rag_config=nullable(OBJ),
        include_chat_history=nullable({"type": "string", "enum": CHAT_HISTORY}),
        tags=nullable({"oneOf": [STRS, obj(include=nullable(STRS), exclude=nullable(STRS))]}),
        stream=BOOL,
    ),
    "MemoryBlockCreateRequest": obj(
        ("name",),
        name=STR,
        content=nullable(STR),
        system_prompt_amendment=nullable(STR),
        injection_mode=nullable({"type": "string", "enum": INJECTION_MODES}),
        access_mode=nullable({"type": "string", "enum": ACCESS_MODES}),
        max_content_length=nullable(LIMIT),
    ),
    "MemoryBlockUpdateRequest": obj(
        name=nullable(STR),
        content=nullable(STR),
        system_prompt_amendment=nullable(STR),
        injection_mode=nullable({"type": "string", "enum": INJECTION_MODES}),
        access_mode=nullable({"type": "string", "enum": ACCESS_MODES}),
        max_content_length=nullable(LIMIT),
    ),
    "ShareMemoryBlockRequest": obj(permissions=nullable(GRANTS)),
    "MemoryBlockPrivacyRequest": obj(("is_public",), is_public=BOOL, permissions=nullable(GRANTS)),
    "SetDefaultMemoryBlockRequest": obj(
        ("scope",), scope={"type": "string", "enum": ["llm", "agent"]}, memory_block_id=nullable(STR)
    ),
    "InspectMcpToolRequest": obj(
        tool_id=nullable(STR),
        servers=nullable(OBJ),
        file_name=nullable(STR),
        file_data_base64=nullable(STR),
        model=nullable(STR),
    ),
    "UpdateCustomAgentToolJson": obj(("tool_args",), tool_args=OBJ),
    "UpdateCustomAgentRequest": obj(
        ("agent_args",),
        agent_args=OBJ,
        mcp_servers_mapping=nullable({"type": "object", "additionalProperties": nullable(STR)}),
    ),
    "CreateCustomAgentToolAssociationRequest": obj(
        ("agent_id", "mcp_server_name"), agent_id=STR, mcp_server_name=STR, tool_name=nullable(STR)
    ),
    "CreateCustomAgentKeyAssociationRequest": obj(
        ("agent_id", "env_key_name", "key_id"), agent_id=STR, env_key_name=STR, key_id=STR
    ),
    "OpenAIChatCompletionRequest": obj(
        ("model", "messages"),
        model=OPENAI_MODEL,
        messages={
            "type": "array",
            "minItems": 1,
            "items": obj(
                ("role",),
                role={"type": "string", "enum": OPENAI_ROLES},
                content=nullable({"oneOf": [STR, {"type": "array", "items": OBJ}]}),
                name=STR,
                tool_calls={"type": "array", "items": OBJ},
                tool_call_id=STR,
            ),
        },
        temperature=NUM,
        max_tokens=INT,
        stream=BOOL,
        stream_options=nullable(obj(include_usage=BOOL)),
        tools={"type": "array", "items": obj(("type", "function"), type=STR, function=obj(("name",), name=STR))},
        tool_choice={"oneOf": [{"type": "string", "enum": ["none", "auto", "required"]}, OBJ]},
        response_format=obj(("type",), type={"type": "string", "enum": RESPONSE_FORMATS}, json_schema=OBJ),
    ),
    "OpenAIResponsesRequest": obj(
        ("model", "input"),
        model=OPENAI_MODEL,
        input={
            "oneOf": [
                STR,
                {"type": "array", "minItems": 1, "items": obj(("role", "content"), role=STR, content=STR)},
            ]
        },
        instructions=STR,
        temperature=NUM,
        stream=BOOL,
        text=obj(format=obj(("type",), type={"type": "string", "enum": RESPONSE_FORMATS}, schema=OBJ)),
    ),
}

FORM_SCHEMAS: dict[str, Schema] = {
    "UploadFileForm": obj(("file",), file=BINARY),
    "AddCustomAgentToolForm": obj(
        ("tool_type", "tool_args"),
        tool_type={"type": "string", "enum": TOOL_TYPES},
        tool_args={"type": "string", "description": "JSON-encoded tool arguments"},
        file=BINARY,
        custom_tool_path=STR,
        filename=STR,
        generate_system_prompt=BOOL,
        system_prompt_generation_timeout=NUM,
    ),
    "UpdateCustomAgentToolForm": obj(
        ("tool_args",),
        tool_args={"type": "string", "description": "JSON-encoded tool arguments"},
        file=BINARY,
        filename=STR,
    ),
    "AddCustomAgentForm": obj(
        ("file", "agent_type", "agent_args"),
        file=BINARY,
        agent_type={"type": "string", "enum": AGENT_TYPES},
        agent_args={"type": "string", "description": "JSON-encoded agent arguments"},
        agent_name=STR,
    ),
    "FsUploadForm": obj(("file",), file=BINARY, mtime=STR, uri=STR),
}


@dataclass(frozen=True)
class Param:
    """One query parameter."""

    name: str
    schema: Schema
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """One operation: where it lives, what it accepts, and whether it needs the bearer key."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    query: tuple[Param, ...] = ()
    body: str | None = None
    body_required: bool = False
    form: str | None = None
    auth: bool = True
    #: in the contract (the seeds' REST API); False for what only the official high-level client needs
    documented: bool = True


def _q(*params: tuple[str, Schema] | tuple[str, Schema, bool]) -> tuple[Param, ...]:
    return tuple(Param(p[0], p[1], bool(p[2]) if len(p) > 2 else False) for p in params)


PAGE = _q(("offset", INT), ("limit", INT))
V1 = "/api/v1"
MB = f"{V1}/memory_blocks/{{memory_block_id}}"
CT = f"{V1}/agents/custom_tools"
CA = f"{V1}/agents/custom_agents"
TA = f"{V1}/agents/custom_agent_tool_associations"
KA = f"{V1}/agents/custom_agent_key_associations"
CHAT = f"{V1}/chats/{{session_id}}"
MSG = f"{V1}/messages"
COLL = f"{V1}/collections/{{collection_id}}"
AI = f"{V1}/ai_assistants/{{assistant_id}}"
FORUM = f"{V1}/forums/{{forum_id}}"
HOOKS = f"{V1}/ai_assistants_webhooks/{{assistant_id}}"
SLACK = f"{V1}/integrations/slack/"
TASKS = f"{V1}/scheduled_tasks"
ADMIN_TASKS = f"{V1}/admin/scheduled_tasks"
DOC = f"{V1}/documents/{{document_id}}"
#: what the high-level client's get_document reads besides the document
DOCUMENT_PARTS = ("internal_metadata", "page_layout", "user_source_file", "page_ocr_model", "guardrails_settings")

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/rpc/health/readiness", "readiness", "health", "Readiness probe", auth=False),
    Operation("GET", "/rpc/health/liveness", "liveness", "health", "Liveness probe", auth=False),
    Operation("GET", f"{V1}/models", "list_models", "models", "List LLMs"),
    Operation("GET", "/openai_api/v1/models", "openai_list_models", "openai", "OpenAI-compatible model list"),
    Operation("GET", "/openai_api/v1/models/{model}", "openai_retrieve_model", "openai", "One OpenAI-compatible model"),
    Operation(
        "POST",
        f"{V1}/collections",
        "create_collection",
        "collections",
        "Create a collection",
        body="CollectionCreateRequest",
        body_required=True,
    ),
    Operation(
        "GET",
        f"{V1}/collections",
        "list_collections",
        "collections",
        "List collections",
        query=PAGE
        + _q(
            ("sort_column", STR),
            ("ascending", BOOL),
            ("metadata_filter", STR),
            ("name_filter", STR),
            ("current_user_only", BOOL),
        ),
    ),
    Operation("GET", f"{V1}/collections/{{collection_id}}", "get_collection", "collections", "Get a collection"),
    Operation(
        "DELETE",
        f"{V1}/collections/{{collection_id}}",
        "delete_collection",
        "collections",
        "Delete a collection",
        query=_q(("timeout", NUM)),
    ),
    Operation("PUT", f"{V1}/uploads", "upload_file", "uploads", "Upload a file", form="UploadFileForm"),
    Operation(
        "POST",
        f"{V1}/uploads/{{upload_ids}}/ingest",
        "ingest_upload",
        "uploads",
        "Ingest uploads into a collection",
        query=_q(
            ("collection_id", STR, True),
            ("gen_doc_summaries", BOOL),
            ("gen_doc_questions", BOOL),
            ("audio_input_language", STR),
            ("ocr_model", STR),
            ("tesseract_lang", STR),
            ("keep_tables_as_one_chunk", BOOL),
            ("chunk_by_page", BOOL),
            ("handwriting_check", BOOL),
            ("ingest_mode", STR),
            ("restricted", BOOL),
            ("permissions", STRS),
            ("encrypt_document", BOOL),
            ("timeout", NUM),
        ),
        body="IngestUploadBody",
    ),
    Operation(
        "POST",
        f"{V1}/chats",
        "create_chat_session",
        "chats",
        "Create a chat session",
        query=_q(("collection_id", STR)),
        body="CreateChatSessionRequest",
    ),
    Operation("GET", f"{V1}/chats", "list_chat_sessions", "chats", "List chat sessions", query=PAGE),
    Operation("GET", CHAT, "get_chat_session", "chats", "Get a chat session"),
    Operation("DELETE", CHAT, "delete_chat_session", "chats", "Delete a chat session", query=_q(("timeout", NUM))),
    Operation("GET", f"{CHAT}/messages", "get_chat_session_messages", "chats", "Messages of a session", query=PAGE),
    Operation(
        "GET",
        f"{CHAT}/questions",
        "list_questions_for_chat_session",
        "chats",
        "Suggested follow-up questions",
        query=_q(("limit", INT)),
    ),
    Operation(
        "POST",
        f"{CHAT}/completions",
        "get_completion",
        "chats",
        "Query the LLM or agent (JSON or JSONL stream)",
        body="ChatCompletionRequest",
        body_required=True,
    ),
    Operation(
        "POST",
        "/openai_api/v1/chat/completions",
        "openai_chat_completions",
        "openai",
        "OpenAI-compatible chat completions",
        body="OpenAIChatCompletionRequest",
        body_required=True,
    ),
    Operation(
        "POST",
        "/openai_api/v1/responses",
        "openai_responses",
        "openai",
        "OpenAI-compatible responses",
        body="OpenAIResponsesRequest",
        body_required=True,
    ),
    Operation(
        "GET",
        f"{MSG}/{{message_id}}/meta",
        "get_message_meta",
        "messages",
        "Message metadata",
        query=_q(("info_type", STR)),
    ),
    Operation(
        "GET",
        f"{MSG}/{{message_id}}/references",
        "get_message_references",
        "messages",
        "RAG references",
        query=_q(("limit", INT)),
    ),
    *(
        Operation(
            "POST", f"{MSG}/{{question_id}}/{verb}", f"{verb}_chat_message", "messages", f"{verb.title()} generation"
        )
        for verb in ("pause", "resume", "stop", "finish")
    ),
    Operation("GET", f"{CHAT}/agent_server_files", "list_agent_server_files", "agent_files", "Agent files"),
    Operation("DELETE", f"{CHAT}/agent_server_files", "delete_agent_server_files", "agent_files", "Delete agent files"),
    Operation(
        "GET",
        f"{CHAT}/agent_server_directories/stats",
        "list_all_agent_server_directories_stats",
        "agent_files",
        "Directory stats of a session",
        query=_q(("detail_level", INT)),
    ),
    Operation(
        "GET",
        f"{CHAT}/agent_server_directories/{{directory_name}}/stats",
        "get_agent_server_directory_stats",
        "agent_files",
        "Stats of one directory",
        query=_q(("detail_level", INT)),
    ),
    Operation(
        "GET",
        f"{V1}/agents/directory_stats",
        "list_agent_directory_stats",
        "agent_files",
        "Directory stats of every session",
        query=PAGE + _q(("filter_text", STR)),
    ),
    Operation("GET", f"{V1}/agents/tools", "list_agent_tools", "agents", "Available agent tools"),
    Operation("GET", f"{V1}/agents/tool_preference", "list_agent_tool_preference", "agents", "Tool preference"),
    Operation(
        "GET",
        "/file",
        "download_file",
        "agent_files",
        "Download an agent file",
        query=_q(("id", STR, True), ("name", STR, True)),
    ),
    Operation(
        "POST",
        f"{V1}/memory_blocks",
        "create_memory_block",
        "memory_blocks",
        "Create a memory block",
        body="MemoryBlockCreateRequest",
        body_required=True,
    ),
    Operation(
        "GET",
        f"{V1}/memory_blocks",
        "list_memory_blocks",
        "memory_blocks",
        "List memory blocks",
        query=PAGE + _q(("name_filter", STR), ("updated_after", {"type": "string", "format": "date-time"})),
    ),
    Operation("GET", MB, "get_memory_block", "memory_blocks", "Get a memory block"),
    Operation(
        "PUT",
        MB,
        "update_memory_block",
        "memory_blocks",
        "Update a memory block",
        body="MemoryBlockUpdateRequest",
        body_required=True,
    ),
    Operation("DELETE", MB, "delete_memory_block", "memory_blocks", "Delete a memory block"),
    Operation(
        "PUT",
        f"{MB}/permissions/{{username}}",
        "share_memory_block",
        "memory_blocks",
        "Share a memory block",
        body="ShareMemoryBlockRequest",
    ),
    Operation(
        "DELETE", f"{MB}/permissions/{{username}}", "unshare_memory_block", "memory_blocks", "Unshare a memory block"
    ),
    Operation(
        "PUT",
        f"{MB}/privacy",
        "set_memory_block_privacy",
        "memory_blocks",
        "Make a memory block public or private",
        body="MemoryBlockPrivacyRequest",
        body_required=True,
    ),
    Operation(
        "GET",
        f"{V1}/users/current/default_memory_blocks",
        "get_default_memory_blocks",
        "memory_blocks",
        "Default memory blocks",
    ),
    Operation(
        "PUT",
        f"{V1}/users/current/default_memory_blocks",
        "set_default_memory_block",
        "memory_blocks",
        "Set a default memory block",
        body="SetDefaultMemoryBlockRequest",
        body_required=True,
    ),
    Operation("POST", CT, "add_custom_agent_tool", "custom_tools", "Add a custom tool", form="AddCustomAgentToolForm"),
    Operation(
        "POST",
        f"{V1}/agents/mcp/inspect_tool",
        "inspect_mcp_tool",
        "custom_tools",
        "Inspect an MCP tool",
        body="InspectMcpToolRequest",
        body_required=True,
    ),
    Operation("GET", CT, "list_custom_agent_tools", "custom_tools", "List custom tools"),
    Operation("GET", f"{CT}/{{tool_id}}", "get_custom_agent_tool", "custom_tools", "Get a custom tool"),
    Operation(
        "PUT",
        f"{CT}/{{tool_id}}",
        "update_custom_agent_tool",
        "custom_tools",
        "Update a custom tool",
        form="UpdateCustomAgentToolForm",
        body="UpdateCustomAgentToolJson",
    ),
    Operation("DELETE", f"{CT}/{{tool_id}}", "delete_custom_agent_tool", "custom_tools", "Delete custom tools"),
    Operation(
        "GET", f"{CT}/{{tool_id}}/download", "download_custom_agent_tool", "custom_tools", "Download a tool's file"
    ),
    Operation("POST", CA, "add_custom_agent", "custom_agents", "Add a custom agent", form="AddCustomAgentForm"),
    Operation("GET", CA, "list_custom_agents", "custom_agents", "List custom agents"),
    Operation("GET", f"{CA}/{{agent_id}}", "get_custom_agent", "custom_agents", "Get a custom agent"),
    Operation(
        "PUT",
        f"{CA}/{{agent_id}}",
        "update_custom_agent",
        "custom_agents",
        "Update a custom agent",
        body="UpdateCustomAgentRequest",
        body_required=True,
    ),
    Operation("DELETE", f"{CA}/{{agent_id}}", "delete_custom_agent", "custom_agents", "Delete custom agents"),
    Operation("GET", f"{V1}/agents", "get_all_agents", "custom_agents", "Every agent: built-in and custom"),
    Operation(
        "GET", f"{CA}/{{agent_id}}/suggestions", "get_agent_suggestions", "custom_agents", "MCP tool suggestions"
    ),
    Operation(
        "GET",
        TA,
        "list_custom_agent_tool_associations",
        "custom_agents",
        "List tool associations",
        query=_q(("agent_id", STR), ("agent_name", STR)),
    ),
    Operation(
        "POST",
        TA,
        "create_custom_agent_tool_association",
        "custom_agents",
        "Create a tool association",
        body="CreateCustomAgentToolAssociationRequest",
        body_required=True,
    ),
    Operation(
        "DELETE",
        f"{TA}/{{association_ids}}",
        "delete_custom_agent_tool_associations",
        "custom_agents",
        "Delete tool associations",
    ),
    Operation(
        "GET",
        KA,
        "list_custom_agent_key_associations",
        "custom_agents",
        "List key associations",
        query=_q(("agent_id", STR)),
    ),
    Operation(
        "POST",
        KA,
        "create_custom_agent_key_association",
        "custom_agents",
        "Create a key association",
        body="CreateCustomAgentKeyAssociationRequest",
        body_required=True,
    ),
    Operation(
        "DELETE",
        f"{KA}/{{association_ids}}",
        "delete_custom_agent_key_associations",
        "custom_agents",
        "Delete key associations",
    ),
    # what only the official high-level client uses: /rpc is in the contract's hand-kept part, the rest in its
    # client part (contracts/h2ogpte/kept.yaml holds the documented operations)
    Operation("GET", "/rpc/meta", "rpc_meta", "rpc", "Server and user metadata"),
    Operation("PUT", "/rpc/fs", "rpc_fs", "rpc", "Upload a file", form="FsUploadForm"),
    Operation(
        "POST",
        f"{V1}/uploads/{{upload_ids}}/ingest/job",
        "ingest_upload_job",
        "uploads",
        "Ingest as a job",
        query=_q(("collection_id", STR, True), ("restricted", BOOL), ("timeout", NUM)),
        body="IngestUploadBody",
        documented=False,
    ),
    Operation("GET", f"{V1}/jobs/{{job_id}}", "get_job", "jobs", "A job's status", documented=False),
    # what the high-level client's library calls need beyond the seeds (h2ogpte.rest_sync's operation ids)
    Operation("GET", f"{V1}/collections/count", "get_collection_count", "collections", "Count", documented=False),
    Operation(
        "GET",
        f"{COLL}/documents",
        "list_documents_for_collection",
        "collections",
        "Documents of a collection",
        query=PAGE + _q(("metadata_filter", STR)),
        documented=False,
    ),
    Operation(
        "GET",
        f"{COLL}/documents/count",
        "get_document_count_for_collection",
        "collections",
        "Count",
        documented=False,
    ),
    Operation(
        "GET",
        f"{COLL}/chats",
        "list_chat_sessions_for_collection",
        "collections",
        "Chat sessions of a collection",
        query=PAGE + _q(("username", STR)),
        documented=False,
    ),
    Operation(
        "GET", f"{COLL}/chats/count", "get_chat_session_count_for_collection", "collections", "Count", documented=False
    ),
    Operation(
        "POST", f"{COLL}/chunks/search", "search_collection_chunks", "collections", "Search chunks", documented=False
    ),
    Operation(
        "PATCH",
        COLL,
        "update_collection",
        "collections",
        "Rename or retype a collection",
        documented=False,
    ),
    Operation(
        "POST", f"{V1}/collections/delete_job", "create_delete_collection_job", "collections", "Job", documented=False
    ),
    Operation(
        "POST",
        f"{COLL}/documents/delete_job",
        "create_delete_document_from_collection_job",
        "collections",
        "Job",
        documented=False,
    ),
    Operation("GET", f"{V1}/chats/count", "get_chat_session_count", "chats", "Count", documented=False),
    Operation(
        "PATCH",
        CHAT,
        "update_chat_session",
        "chats",
        "Rename a chat session",
        documented=False,
    ),
    Operation("POST", f"{V1}/chats/delete_job", "create_delete_chat_session_job", "chats", "Job", documented=False),
    Operation(
        "GET",
        f"{V1}/documents/count",
        "get_document_count",
        "documents",
        "Count",
        query=_q(("owned", BOOL), ("chat_session_id", STR)),
        documented=False,
    ),
    Operation("GET", DOC, "get_document", "documents", "A document", documented=False),
    *(
        Operation("GET", f"{DOC}/{part}", f"get_document_{part}", "documents", f"A document's {part}", documented=False)
        for part in DOCUMENT_PARTS
    ),
    Operation("POST", f"{V1}/documents/delete_job", "create_delete_document_job", "documents", "Job", documented=False),
    Operation(
        "POST", f"{V1}/documents/process_job", "create_process_document_job", "documents", "Job", documented=False
    ),
    Operation(
        "GET",
        f"{V1}/document_summaries/{{summary_id}}",
        "get_document_summary",
        "documents",
        "A summary a process job wrote",
        documented=False,
    ),
    *(
        Operation("POST", f"{V1}/models/{{model_name}}/{verb}", verb, "models", verb, documented=False)
        for verb in ("answer_question", "summarize_content", "extract_data")
    ),
    Operation("POST", "/rpc/db", "rpc_db", "rpc", "The high-level client's RPC: assistants, forums", documented=False),
    Operation("POST", "/rpc/job", "rpc_job", "rpc", "The high-level client's RPC: admin jobs", documented=False),
    # AI assistants' REST side, outside rest_sync (the high-level client's own paths)
    *(
        Operation("POST", f"{AI}/{verb}", f"{verb}_ai_assistant", "assistants", verb, documented=False)
        for verb in ("start", "stop", "wake", "emit_event")
    ),
    Operation("POST", f"{AI}/messages", "send_message_to_assistant", "assistants", "Message", documented=False),
    Operation(
        "POST", f"{AI}/send_to_assistant", "send_inter_assistant_message", "assistants", "Message", documented=False
    ),
    Operation("DELETE", AI, "delete_ai_assistant", "assistants", "Delete an assistant", documented=False),
    *(
        Operation(
            "GET", f"{AI}/history/{part}", f"get_ai_assistant_{part}_history", "assistants", part, documented=False
        )
        for part in ("chat", "events")
    ),
    Operation("GET", f"{AI}/search_forum_posts", "search_forum_posts", "assistants", "Posts", documented=False),
    Operation("POST", f"{FORUM}/posts", "create_forum_post", "assistants", "Post", documented=False),
    Operation(
        "POST", f"{FORUM}/posts/{{post_id}}/reply", "reply_to_forum_post", "assistants", "Reply", documented=False
    ),
    Operation("POST", HOOKS, "create_assistant_webhook", "assistants", "Webhook", documented=False),
    Operation("GET", HOOKS, "list_assistant_webhooks", "assistants", "Webhooks", documented=False),
    Operation(
        "DELETE", f"{HOOKS}/{{webhook_id}}", "delete_assistant_webhook", "assistants", "Webhook", documented=False
    ),
    Operation(
        "POST",
        f"{HOOKS}/{{webhook_id}}/regenerate",
        "regenerate_assistant_webhook_token",
        "assistants",
        "New token",
        documented=False,
    ),
    Operation("POST", SLACK, "create_slack_integration", "assistants", "Slack", documented=False),
    Operation("GET", SLACK, "list_slack_integrations", "assistants", "Slack", documented=False),
    Operation(
        "DELETE", f"{SLACK}{{integration_id}}", "delete_slack_integration", "assistants", "Slack", documented=False
    ),
    Operation(
        "POST", f"{SLACK}{{integration_id}}/channels", "link_slack_channel", "assistants", "Slack", documented=False
    ),
    # scheduled tasks, approvals, graphs and connectors: the high-level client's own paths
    Operation("POST", TASKS, "create_scheduled_task", "schedules", "", documented=False),
    Operation("GET", TASKS, "list_scheduled_tasks", "schedules", "", documented=False),
    Operation("GET", f"{TASKS}/{{task_id}}", "get_scheduled_task", "schedules", "", documented=False),
    Operation("PUT", f"{TASKS}/{{task_id}}", "update_scheduled_task", "schedules", "", documented=False),
    Operation("DELETE", f"{TASKS}/{{task_id}}", "delete_scheduled_task", "schedules", "", documented=False),
    Operation("POST", f"{TASKS}/batch_delete", "delete_scheduled_tasks", "schedules", "", documented=False),
    Operation("POST", f"{TASKS}/{{task_id}}/trigger", "trigger_scheduled_task", "schedules", "", documented=False),
    Operation(
        "GET", f"{TASKS}/{{task_id}}/executions", "list_scheduled_task_executions", "schedules", "", documented=False
    ),
    Operation(
        "GET", f"{TASKS}/executions", "list_all_user_scheduled_task_executions", "schedules", "", documented=False
    ),
    Operation("GET", f"{TASKS}/summary", "get_scheduled_task_summary", "schedules", "", documented=False),
    Operation("POST", f"{TASKS}/generate_spec", "generate_scheduled_task_spec", "schedules", "", documented=False),
    Operation(
        "POST", f"{V1}/ai_assistants/generate_spec", "generate_assistant_spec", "schedules", "", documented=False
    ),
    Operation("GET", ADMIN_TASKS, "list_scheduled_tasks_by_admin", "schedules", "", documented=False),
    Operation("PUT", f"{ADMIN_TASKS}/{{task_id}}", "update_scheduled_task_by_admin", "schedules", "", documented=False),
    Operation(
        "POST", f"{ADMIN_TASKS}/batch_delete", "delete_scheduled_tasks_by_admin", "schedules", "", documented=False
    ),
    *(
        Operation("GET", f"{ADMIN_TASKS}/{part}", f"get_admin_scheduled_task_{part}", "schedules", "", documented=False)
        for part in ("summary", "execution_stats", "executions")
    ),
    Operation(
        "GET",
        f"{V1}/admin/users/{{user_id}}/approval_config",
        "get_user_approval_config",
        "schedules",
        "",
        documented=False,
    ),
    Operation(
        "PUT",
        f"{V1}/admin/users/{{user_id}}/approval_config",
        "set_user_approval_config",
        "schedules",
        "",
        documented=False,
    ),
    Operation(
        "GET",
        f"{V1}/ai_assistants_approvals/routed_to_me",
        "list_approvals_routed_to_me",
        "schedules",
        "",
        documented=False,
    ),
    Operation(
        "POST", f"{V1}/graph/{{collection_id}}/build", "build_collection_graph", "schedules", "", documented=False
    ),
    Operation(
        "GET", f"{V1}/graph/{{collection_id}}/status", "get_collection_graph_status", "schedules", "", documented=False
    ),
    Operation("GET", f"{V1}/connectors/status", "get_connector_status", "schedules", "", documented=False),
    Operation("GET", f"{V1}/connectors", "list_connectors", "schedules", "", documented=False),
    Operation("POST", f"{V1}/connectors/connect", "start_connector_link", "schedules", "", documented=False),
    Operation("POST", f"{V1}/connectors/revoke", "revoke_connector", "schedules", "", documented=False),
    Operation(
        "GET",
        f"{V1}/prompt_templates/default",
        "get_default_prompt_template",
        "prompt_templates",
        "The system's default prompt template",
        documented=False,
    ),
    # what the high-level client reads before it acts (mockparts/catalogue.py) and chunks by number
    Operation("GET", f"{V1}/agents/builtin_mcps", "list_builtin_mcps", "agents", "Built-in MCPs", documented=False),
    Operation("POST", f"{V1}/agents/builtin_skills/add", "add_builtin_skill", "agents", "Install", documented=False),
    *(
        Operation(method, f"{V1}/agents/library/{{item_kind}}/{{item_id}}/star", op_id, "agents", "", documented=False)
        for method, op_id in (("POST", "star_library_item"), ("DELETE", "unstar_library_item"))
    ),
    Operation("GET", f"{V1}/embedding_models/default", "get_default_embedding_model", "models", "", documented=False),
    Operation(
        "GET",
        f"{V1}/question_answer_feedbacks/export/{{job_id}}",
        "download_feedback_export",
        "feedback",
        "A finished export's CSV",
        documented=False,
    ),
    Operation("GET", f"{COLL}/chunks/{{chunk_ids}}", "get_collection_chunks", "collections", "", documented=False),
    Operation(
        "GET",
        f"{V1}/documents/{{document_id}}/chunks",
        "list_document_chunks",
        "documents",
        "A document's chunks",
        query=_q(("collection_id", STR)),
        documented=False,
    ),
    Operation("GET", "/rpc/fs", "rpc_fs_list", "rpc", "Ids of the uploads not yet ingested"),
    Operation("DELETE", "/rpc/fs", "rpc_fs_delete", "rpc", "Delete an upload", query=_q(("id", STR, True))),
    *(
        Operation(
            "GET",
            f"{V1}/collections/{{collection_id}}/{part}",
            f"get_collection_{part}",
            "collections",
            f"A collection's {part}",
            documented=False,
        )
        for part in ("settings", "chat_settings", "metadata")
    ),
)
