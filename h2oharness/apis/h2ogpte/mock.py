"""A mock h2oGPTe (1.7.x) REST API: ``make_app(state)`` builds a fresh Starlette app around an explicit state.

It serves every operation of seeds 003 and 004 under a bearer key (401 without one), ingests uploads, plain text
and (as placeholders) websites and cloud storage asynchronously on the state's clock, answers completions as JSON
or as a JSONL stream on a token schedule that pause/resume/stop/finish act on, cites the documents it really
ingested, writes agent files, and speaks the OpenAI-compatible API with SSE. For the official high-level client
it also serves ``/rpc/meta``, ``/rpc/fs``, ingestion jobs and the ``/ws`` WebSocket. Every other operation of the
contract (the official client's whole REST layer) is answered by the shared generic resource layer over the same
state (``mockparts/generic.py``). Bad input always gets a documented 4xx ``EndpointError``, never a 5xx.

Example:
    state = H2OGPTeMockState(clock=ManualClock())
    with serve(make_app(state)) as served:
        httpx.get(served.url + "/api/v1/models", headers={"Authorization": "Bearer sk-h2oharness-mock"})
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from h2oharness.apis.h2ogpte.mockparts import (
    agentkeys,
    agents,
    assistants,
    catalogue,
    chat,
    docs,
    feedback,
    generic,
    ingest,
    keys,
    library,
    llm,
    mcps,
    memory,
    openai,
    roles,
    rpcdb,
    schedules,
    skills,
    tags,
    usage,
    users,
)
from h2oharness.apis.h2ogpte.mockparts.clientgaps import CLIENT_GAPS
from h2oharness.apis.h2ogpte.mockparts.schemas import OPERATIONS, Operation, Param
from h2oharness.apis.h2ogpte.mockparts.state import DEFAULT_KEY, FAIL_MARKER, H2OGPTeMockState, H2OGPTeTimings
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, json_body, parse_query
from h2oharness.mocks.app import Incoming, Wiring, build_app
from h2oharness.mocks.auth import bearer_token
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.resources import Operation as GenericOperation
from h2oharness.mocks.resources import Surface
from h2oharness.mocks.router import Lookup, Router

__all__ = [
    "DEFAULT_KEY",
    "DEVIATIONS",
    "FAIL_MARKER",
    "HANDLERS",
    "INGEST_TIMEOUT",
    "H2OGPTeMockState",
    "H2OGPTeTimings",
    "default_state",
    "make_app",
]

#: how long a scenario waits for an ingestion on a served mock (``targets.job_timeout``): one takes 0.45 s there
#: (``H2OGPTeTimings.ingest``); the other mocks' half minute is over sixty times that
INGEST_TIMEOUT = 30.0

Handler = Callable[[H2OGPTeMockState, Call], "Reply | Response"]
Answer = Reply | Response
Target = Operation | GenericOperation

HANDLERS: dict[str, Handler] = {
    "readiness": docs.readiness,
    "liveness": docs.readiness,
    "list_models": docs.list_models,
    "openai_list_models": docs.openai_list_models,
    "openai_retrieve_model": openai.retrieve_model,
    "create_collection": docs.create_collection,
    "list_collections": docs.list_collections,
    "get_collection": docs.get_collection,
    "delete_collection": docs.delete_collection,
    "upload_file": docs.upload_file,
    "ingest_upload": docs.ingest_upload,
    "create_chat_session": chat.create_chat_session,
    "list_chat_sessions": chat.list_chat_sessions,
    "get_chat_session": chat.get_chat_session,
    "delete_chat_session": chat.delete_chat_session,
    "update_chat_session_collection": chat.update_chat_session_collection,
    "fork_chat_session": chat.fork_chat_session,
    "delete_chat_session_collection": chat.delete_chat_session_collection,
    "get_chat_session_messages": chat.get_chat_session_messages,
    "list_questions_for_chat_session": chat.list_questions_for_chat_session,
    "get_completion": chat.get_completion,
    "openai_chat_completions": openai.chat_completions,
    "openai_responses": openai.responses,
    "get_message_meta": chat.get_message_meta,
    "get_message_references": chat.get_message_references,
    "delete_messages": chat.delete_messages,
    "pause_chat_message": chat.pause_chat_message,
    "resume_chat_message": chat.resume_chat_message,
    "stop_chat_message": chat.stop_chat_message,
    "finish_chat_message": chat.finish_chat_message,
    "list_agent_server_files": chat.list_agent_server_files,
    "delete_agent_server_files": chat.delete_agent_server_files,
    "list_all_agent_server_directories_stats": chat.list_all_agent_server_directories_stats,
    "get_agent_server_directory_stats": chat.get_agent_server_directory_stats,
    "delete_agent_server_directories": chat.delete_agent_server_directories,
    "list_agent_directory_stats": chat.list_agent_directory_stats,
    "list_agent_tools": agents.list_agent_tools,
    "list_agent_tool_preference": agentkeys.list_agent_tool_preference,
    "update_agent_tool_preference": agentkeys.update_agent_tool_preference,
    "delete_agent_tool_preference": agentkeys.delete_agent_tool_preference,
    "update_agent_key": agentkeys.update_agent_key,
    "list_agent_key_tool_associations": agentkeys.list_agent_key_tool_associations,
    "create_agent_key_tool_associations": agentkeys.create_agent_key_tool_associations,
    "delete_agent_tool_association": agentkeys.delete_agent_tool_association,
    "download_file": docs.download_file,
    "create_memory_block": memory.create_memory_block,
    "list_memory_blocks": memory.list_memory_blocks,
    "get_memory_block": memory.get_memory_block,
    "update_memory_block": memory.update_memory_block,
    "delete_memory_block": memory.delete_memory_block,
    "share_memory_block": memory.share_memory_block,
    "unshare_memory_block": memory.unshare_memory_block,
    "set_memory_block_privacy": memory.set_memory_block_privacy,
    "get_default_memory_blocks": memory.get_default_memory_blocks,
    "set_default_memory_block": memory.set_default_memory_block,
    "add_custom_agent_tool": agents.add_custom_agent_tool,
    "inspect_mcp_tool": agents.inspect_mcp_tool,
    "list_custom_agent_tools": agents.list_custom_agent_tools,
    "get_custom_agent_tool": agents.get_custom_agent_tool,
    "update_custom_agent_tool": agents.update_custom_agent_tool,
    "delete_custom_agent_tool": agents.delete_custom_agent_tool,
    "download_custom_agent_tool": agents.download_custom_agent_tool,
    "launch_custom_agent_tool": agents.launch_custom_agent_tool,
    "remove_custom_agent_tool_from_codeapi": agents.remove_custom_agent_tool_from_codeapi,
    "add_custom_agent": agents.add_custom_agent,
    "list_custom_agents": agents.list_custom_agents,
    "get_custom_agent": agents.get_custom_agent,
    "update_custom_agent": agents.update_custom_agent,
    "delete_custom_agent": agents.delete_custom_agent,
    "get_all_agents": agents.get_all_agents,
    "get_agent_suggestions": agents.get_agent_suggestions,
    "list_custom_agent_tool_associations": agents.list_custom_agent_tool_associations,
    "create_custom_agent_tool_association": agents.create_custom_agent_tool_association,
    "delete_custom_agent_tool_associations": agents.delete_custom_agent_tool_associations,
    "list_custom_agent_key_associations": agents.list_custom_agent_key_associations,
    "create_custom_agent_key_association": agents.create_custom_agent_key_association,
    "delete_custom_agent_key_associations": agents.delete_custom_agent_key_associations,
    "rpc_meta": docs.rpc_meta,
    "rpc_fs": docs.rpc_fs,
    "ingest_upload_job": docs.ingest_upload_job,
    # plain text, websites, cloud storage...: ingest_from_<source> and create_ingest_from_<source>_job
    **ingest.handlers(),
    "get_job": docs.get_job,
    "get_admin_jobs_stats": docs.get_admin_jobs_stats,
    "count_pending_jobs": docs.count_pending_jobs,
    "get_collection_settings": docs.get_collection_settings,
    "get_collection_chat_settings": docs.get_collection_chat_settings,
    "get_collection_metadata": docs.get_collection_metadata,
    "get_collection_count": library.get_collection_count,
    "list_documents_for_collection": library.list_documents_for_collection,
    "get_document_count_for_collection": library.get_document_count_for_collection,
    "list_chat_sessions_for_collection": library.list_chat_sessions_for_collection,
    "get_chat_session_count_for_collection": library.get_chat_session_count_for_collection,
    "search_collection_chunks": library.search_collection_chunks,
    "get_collection_chunks": library.get_collection_chunks,
    "list_document_chunks": library.list_document_chunks,
    "update_collection": library.update_collection,
    "create_delete_collection_job": library.create_delete_collection_job,
    "create_delete_document_from_collection_job": library.create_delete_document_from_collection_job,
    "create_insert_document_to_collection_job": library.create_insert_document_to_collection_job,
    "create_import_collection_to_collection_job": library.create_import_collection_to_collection_job,
    "insert_document_into_collection": library.insert_document_into_collection,
    "get_chat_session_count": library.get_chat_session_count,
    "update_chat_session": library.update_chat_session,
    "create_delete_chat_session_job": library.create_delete_chat_session_job,
    "get_document_count": library.get_document_count,
    "get_document": library.get_document,
    "update_document": library.update_document,
    "get_document_internal_metadata": library.get_document_part,
    "get_document_page_layout": library.get_document_part,
    "get_document_user_source_file": library.get_document_part,
    "get_document_page_ocr_model": library.get_document_part,
    "get_document_guardrails_settings": library.get_document_guardrails_settings,
    "get_document_metadata": library.get_document_metadata,
    "update_document_metadata": library.update_document_metadata,
    "create_delete_document_job": library.create_delete_document_job,
    "create_process_document_job": library.create_process_document_job,
    "get_document_summary": library.get_document_summary,
    "list_document_summaries": library.list_document_summaries,
    "delete_document_summaries": library.delete_document_summaries,
    "get_usage_stats": usage.get_usage_stats,
    "get_usage_stats_by_model": usage.get_usage_stats_by_model,
    "get_usage_stats_by_user": usage.get_usage_stats_by_user,
    "get_usage_stats_by_model_and_user": usage.get_usage_stats_by_model_and_user,
    "get_performance_stats_by_model": usage.get_performance_stats_by_model,
    "answer_question": llm.answer_question,
    "summarize_content": llm.summarize_content,
    "extract_data": llm.extract_data,
    "rpc_fs_list": library.list_uploads,
    "rpc_fs_delete": library.delete_upload,
    "rpc_db": rpcdb.rpc_db,
    "start_ai_assistant": assistants.assistant_action,
    "stop_ai_assistant": assistants.assistant_action,
    "wake_ai_assistant": assistants.assistant_action,
    "emit_event_ai_assistant": assistants.assistant_action,
    "send_message_to_assistant": assistants.send_message,
    "send_inter_assistant_message": assistants.send_message,
    "delete_ai_assistant": assistants.delete_assistant,
    "get_ai_assistant_chat_history": assistants.history,
    "get_ai_assistant_events_history": assistants.history,
    "search_forum_posts": assistants.search_forum_posts,
    "create_forum_post": assistants.create_forum_post,
    "reply_to_forum_post": assistants.create_forum_post,
    "create_assistant_webhook": assistants.create_webhook,
    "list_assistant_webhooks": assistants.list_webhooks,
    "delete_assistant_webhook": assistants.delete_webhook,
    "regenerate_assistant_webhook_token": assistants.regenerate_webhook,
    "create_slack_integration": assistants.create_slack,
    "list_slack_integrations": assistants.list_slack,
    "delete_slack_integration": assistants.delete_slack,
    "link_slack_channel": assistants.link_slack_channel,
    "create_scheduled_task": schedules.create_task,
    "list_scheduled_tasks": schedules.list_tasks,
    "get_scheduled_task": schedules.get_task,
    "update_scheduled_task": schedules.update_task,
    "delete_scheduled_task": schedules.delete_task,
    "delete_scheduled_tasks": schedules.batch_delete,
    "trigger_scheduled_task": schedules.trigger_task,
    "list_scheduled_task_executions": schedules.nothing_tracked,
    "list_all_user_scheduled_task_executions": schedules.nothing_tracked,
    "get_scheduled_task_summary": schedules.nothing_tracked,
    "generate_scheduled_task_spec": schedules.generate_spec,
    "generate_assistant_spec": schedules.generate_spec,
    "list_scheduled_tasks_by_admin": schedules.list_tasks,
    "update_scheduled_task_by_admin": schedules.update_task,
    "delete_scheduled_tasks_by_admin": schedules.batch_delete,
    "get_admin_scheduled_task_summary": schedules.nothing_tracked,
    "get_admin_scheduled_task_execution_stats": schedules.nothing_tracked,
    "get_admin_scheduled_task_executions": schedules.nothing_tracked,
    "get_user_approval_config": schedules.approval_config,
    "set_user_approval_config": schedules.set_approval_config,
    "list_approvals_routed_to_me": schedules.approvals_routed_to_me,
    "build_collection_graph": schedules.build_graph,
    "get_collection_graph_status": schedules.graph_status,
    "get_collection_graph": schedules.get_graph,
    "delete_collection_graph": schedules.delete_graph,
    "get_collection_graph_node": schedules.graph_node,
    "search_collection_graph_labels": schedules.graph_labels,
    "get_connector_status": schedules.connector_status,
    "list_connectors": schedules.list_connectors,
    "start_connector_link": schedules.connect,
    "revoke_connector": schedules.revoke,
    "get_default_prompt_template": generic.get_default_prompt_template,
    "list_builtin_mcps": mcps.list_builtin_mcps,
    "add_builtin_mcp": mcps.add_builtin_mcp,
    "create_user_builtin_mcp": mcps.create_user_builtin_mcp,
    "update_user_builtin_mcp": mcps.update_user_builtin_mcp,
    "delete_user_builtin_mcp": mcps.delete_user_builtin_mcp,
    "update_admin_mcp_logo": mcps.update_admin_mcp_logo,
    "remove_admin_mcp_logo": mcps.remove_admin_mcp_logo,
    "add_builtin_skill": skills.install_library_skill,
    "list_builtin_skills": skills.list_library_skills,
    "create_library_skill": skills.publish_library_skill,
    "delete_library_skill": skills.delete_library_skill,
    "download_builtin_skill_file": skills.download_library_skill,
    "delete_skills": catalogue.delete_skills,
    "add_skill": skills.add_skill,
    "set_agent_skill_preference": skills.set_agent_skill_preference,
    "set_skill_associations": skills.set_skill_associations,
    "list_skill_associations": skills.list_skill_associations,
    "star_library_item": catalogue.star_library_item,
    "unstar_library_item": catalogue.star_library_item,
    "get_default_embedding_model": catalogue.get_default_embedding_model,
    "rpc_job": catalogue.rpc_job,
    "download_feedback_export": catalogue.download_feedback_export,
    "list_question_answer_feedbacks": feedback.list_feedbacks,
    "get_question_answer_feedback_count": feedback.count_feedbacks,
    "share_collection": users.share_collection,
    "share_prompt_template": users.share_prompt_template,
    "delete_prompt_template": users.delete_prompt_templates,
    "unshare_prompt_template": users.unshare_prompt_template,
    "unshare_prompt_template_for_all": users.unshare_prompt_template_for_all,
    "reset_and_share_prompt_template": users.reset_and_share_prompt_template,
    "get_prompt_template_permissions": users.get_prompt_template_permissions,
    "unshare_collection": users.unshare_collection,
    "unshare_collection_for_all": users.unshare_collection_for_all,
    "get_collection_permissions": users.get_collection_permissions,
    "list_users": users.list_users,
    "get_user": users.get_user,
    **roles.HANDLERS,
    "list_all_api_keys": keys.list_all_api_keys,
    "list_shared_chats": generic.list_shared_chats,
    "create_tag": tags.create_tag,
    "get_tag": tags.get_tag,
    "update_tag": tags.update_tag,
    "delete_tag": tags.delete_tag,
    "list_tags": tags.list_tags,
    "create_tag_on_document": tags.create_tag_on_document,
    "delete_tag_from_document": tags.delete_tag_from_document,
    "list_documents_for_tags": tags.list_documents_for_tags,
}

# Where the mock answers differently from a real h2oGPTe, on purpose.
DEVIATIONS: dict[str, str] = {
    "documents in several collections": "import_document_into_collection puts a document in one more collection, as "
    "a real server does; the seeds do not say what deleting then does: following the client's docs, removing it from "
    "a collection (or deleting a collection) leaves it in the others and deletes it with the last, and "
    "delete_documents takes it from all of them. It is one document wherever it is: list_collections_for_document "
    "names every collection it is in that the user sees, the user's document listing and count show it once, it is "
    "read (GET, /file, chunks) by whoever sees one of its collections, a collection-specific key reaches it in any "
    "of them, and an answer's references name the chat's collection. The client's docs say 'at this time, each "
    "document will only be available in a single collection', which its own import_document_into_collection "
    "contradicts. PUT /collections/{id}/documents/{id} (insert_document_into_collection) does what its job twin "
    "does, and import_collection_into_collection puts each ingested document of the source collection in the "
    "target; with copy_document (the client: 'Whether to save a new copy of the document') each puts a new copy "
    "instead, a document of its own (new id; name and bytes, no tags; created and updated when copied), with the "
    "original's metadata only when preserve_metadata is true (the docs name no default: unset is taken as false, "
    "the default preserve_document_status states); skip_reparse with copy_document fails the job, importing "
    "nothing (the client: 'Cannot be combined'); the other options are accepted without effect",
    "health probes": "answered without a key, as Kubernetes probes are; a real server may require one",
    "ingestion": "POST /uploads/{ids}/ingest answers 204 at once and the documents appear when the ingestion job "
    "ends on the mock's clock (the seed waits 3 s before looking)",
    "ingestion from other sources": "ingest_from_plain_text, _website, _s3, _gcs, _azure_blob_storage, "
    "_confluence, _sharepoint_online and _file_system (204 at once) and their create_*_job twins (201 JobDetails) "
    "are timed as an upload's ingestion, into a collection the user sees (else the 404 of an unknown one, answered "
    "as the contract's 400), and their documents appear when the job ends. Plain text is one document named "
    "file_name holding the text. The mock fetches nothing: every other source is one document per name it is "
    "given (the website's URL, each S3 or GCS url, each Azure path, each Confluence page id, each SharePoint "
    "entry's name, web_url, object_id or drive_id, the file system's root_dir joined with its glob), named so and "
    "holding a placeholder text that names it; a real server crawls, lists and expands these (follow_links, "
    "directories, globs, attachments) into many documents named by their files. Credentials are not checked, and "
    "ingest_mode, metadata, the OCR and chunking options and timeout are accepted without effect. "
    "ingest_agent_only_to_standard (and its job) is answered by the generic layer: the mock keeps no agent_only "
    "documents, every ingested document already being a standard one",
    "answers": "the text is made of the question's words and filler on a token schedule; RAG answers cite every "
    "ingested document of the session's collection",
    "agent files": "an agent query writes the files its prompt names (name.csv, name.py...), else agent_report.md",
    "failure marker": f"a message containing {FAIL_MARKER!r} fails: its stream ends with an error line, "
    "the JSON answer is a 500 EndpointError",
    "users": "two users: the harness user (the mock's own keys) and alice@example.com (also the owner of a public "
    "memory block, for the 403 cases); a key is made for either (another user_id is a 404) and acts as its user. "
    "Collections (with their documents) and chats are their creator's: another user gets the 404 of an unknown id "
    "and does not see them listed or counted. The owner shares a collection with a username (any permissions "
    "list: read or edit alike) and it is seen (read, chatted on, ingested into) until unshared; only the owner "
    "shares, unshares or deletes it (else a 403, or the operation's first documented 4xx); sharing with the owner "
    "changes nothing, and the permissions listing names the users shared with, not the owner. Chats and feedback "
    "are never shared; memory blocks are their creator's, shared by username or made public. Uploads, jobs, "
    "custom tools, custom agents (with their tool and key associations) and prompt templates are their "
    "creator's too: another user gets a 404 and does not see them listed or counted (a template is seen by "
    "others when made with is_public, or by the users its owner shares it with by username (share_prompt, "
    "reset_and_share_prompt_template; undone by unshare_prompt and unshare_prompt_for_all; only the owner shares, "
    "updates or deletes it, else a 403 or the first documented 4xx, 400: the client's sharing gives no permission "
    "level, so the mock reads it as read access, and a collection too is deleted by its owner alone; "
    "delete_prompt_templates' ids go all or none; the permissions listing names them without permission levels, "
    "which a template's sharing takes none of); its group sharing and (from its owner) privacy calls are accepted "
    "without effect). The files "
    "an agent wrote are its chat's (GET /file, the directory stats; another user gets a 404), and a document "
    "summary is read, listed and deleted as its document is read (its collection's owner and the users it is "
    "shared with; another user gets a 404, and a deletion naming one such id deletes none); a process job "
    "naming another user's summary_id fails without writing over it (the seeds do not say; a real server may "
    "refuse the request). Each user sets and reads their own default memory blocks (/users/current/...). Agent keys "
    "and skills (added or installed from the library) are their creator's alone: never shared, another user "
    "neither lists them nor gets, changes or deletes one by id (a 404); deleting skills (and enabling them or "
    "setting their associations) is all or nothing, an id not the user's a 403, as the client documents ('if "
    "any ID does not belong to the current user'): an id of no skill at all gets that same 403, where other kinds "
    "answer an unknown id with a 404, so the answer never tells another user's skill from a missing one (the "
    "seeds do not say; delete_skills' contract declares no 404). The client does not say who sees an agent key of type "
    "'shared'; the mock keeps it its creator's like a private one. /rpc/db records (AI assistants, forums, "
    "event types...) and what the assistants' REST side makes (webhooks, Slack integrations) are their creator's "
    "as the client says ('accessible to the current user'): another user gets a 404 and does not see them listed "
    "until the owner shares an assistant or forum with their username (share_<kind>, whatever access mode, "
    "undone by unshare_<kind>); a forum's posts are seen by whoever sees the forum; only the owner deletes, "
    "shares or unshares (else a 403; a record not seen is left be, as an unknown one is). Scheduled tasks are "
    "their creator's (a 404 for another user, not listed or batch-deleted), but the admin paths "
    "(/admin/scheduled_tasks) reach every user's: the mock has no roles, so any key may call them. A star on a "
    "library item is its user's: star_count counts the users who starred it. A user shares only a chat of "
    "theirs (another's or an unknown one is refused as unknown); a shared chat is read by any user with its id "
    "(its link), but listed and deleted by its sharer only (a 403 for another user). The seeds do not say; the "
    "client's is_private ('requires authentication to view') suggests a shared chat is meant for others to read",
    "API keys": "a created key is refused with the unknown key's 401 {code, message: 'Unauthorized'} from its "
    "expires_at on, or once unused for inactivity_interval days (counted from its last use, else its creation); "
    "expires_in is a number and a unit (PostgreSQL's words and abbreviations: '30 minutes', '1d'; a month is 30 days, "
    "a year 365 days), anything else a 400; every request a key is let in with (the /ws handshake too) adds one to "
    "its total_calls and sets its last_used_at; the mock's own keys never expire and are not listed; the listing's "
    "filter keeps the keys whose username contains it, case-insensitively (the client says only 'matching')",
    "collection-specific API keys": "a key made with a collection_id acts as its user on that collection only, "
    "and is made only for a collection that user sees (theirs or shared with them; else the 404 an unknown "
    "collection gets; the creator, who makes keys for any user, need not see it): "
    "'default' names it, and the key may read it, its documents, summaries and chats (GET), make chats on it, chat "
    "in them (REST and /ws) and summarise its documents, plus GET /rpc/meta and the models; job ids are not "
    "checked. Every other call (listing collections or chats, creating, deleting, ingesting, another collection's "
    "or chat's ids, memory blocks, agents...) is a 401 naming the collection. The client's docs only say such a "
    "key does 'not allow other API calls'; the 401 is an assumption, chosen because seed 004 answers a caller "
    "lacking a permission with 401 and the contract documents 401 on nearly every operation (403 on few)",
    "WebSocket identity": "a /ws socket acts as the user its key was let in with at the handshake, and checks "
    "the key again (without counting a use) before each query: once the key is deleted, deactivated, expired or "
    "inactive, the query gets a ce frame with error 'Unauthorized' and the socket is closed with 1008. Neither "
    "the seeds nor the client say what a real server does with a socket whose key goes away; it may keep a "
    "session authenticated at connect until the socket closes",
    "agent tool settings": "each user has their own tool preference; DELETE /agents/tool_preference puts them back "
    "on the mock's default (python, shell, web_search; nothing says what a deleted preference reads as). An agent "
    "key's update changes the fields given (a null one is left as it was) and the value is kept, never answered. "
    "A tool is given at most one key per env var name: associating another under the same name replaces it; a "
    "key that is not the user's is refused as unknown (the first documented 4xx, 400: that create declares no "
    "404), deleting associations is all or nothing with a 404 for an id not the user's, and a deleted key's "
    "associations go with it (the client says none of this). add_skill makes a skill per SKILL.md at the "
    "archive's root or one folder down, named by its frontmatter; the mock keeps no envs.json, so a skill "
    "association accepts any env var name (the client: only those envs.json declares), and a binding whose key "
    "was deleted is listed with a null key_id. A name is one agent key of its user's: making a key, or renaming one, "
    "with a name another of their keys has is a 409 (the contract declares 409 on both and nothing says what "
    "conflicts; the mock assumes the name, the env var the key is given to tools under, as memory blocks do)",
    "built-in MCP library": "every user's, and any key may publish, edit or remove an entry (the mock has no "
    "ManageLibrary permission); it starts with playwright_builtin and slack_builtin (api_app) and github_builtin "
    "(oauth_app). A published entry's mcp_id is its name's slug + '_builtin' (the client's examples end so; a name "
    "whose mcp_id is taken is a 400). GET /agents/builtin_mcps lists each under oauth_apps or api_key_apps as its "
    "config (without mcp_config_json) with id (the mcp_id, which the client matches), logo_url, added_by_admin, and "
    "is_added and tool_id for the acting user's tool made from it (is_connected: false for an OAuth app): the client "
    "says only that an entry tells whether it is added and its connector connected, so these names are assumed. "
    "add_builtin_mcp makes the user a custom tool named by the mcp_id (local_mcp for a command, else remote_mcp; "
    "tool_args.builtin_mcp_id names the entry), adds it to their tool preference and gives it the keys named (as "
    "assign_agent_key_for_tool does); adding it again answers the same tool, deleting the tool un-adds it, and "
    "removing the entry leaves the users' tools be. An OAuth app (as the client refuses), an unknown entry or a key "
    "not the user's is a 400 (the contract declares no 404); uploaded files and logos are not kept (a logo_url names "
    "no file GET /file serves)",
    "skill library": "every user's; it starts with the predefined pdf, xlsx and docx (version 1.0.0, official), and "
    "any key may publish (an entry per SKILL.md, whose library id is its name + '_library' as in the client's "
    "example; publishing a name again replaces its entry, inserted false; a predefined skill's name is a 409) or "
    "remove a published entry (a predefined or unknown one is a 404). GET /agents/builtin_skills shows the caller's "
    "is_skill_added and user_skill_id, install_count (users with a skill installed from it) and the stars. "
    "Installing copies the entry into the user's skills (an unknown entry is a 404; one they installed already, the "
    "contract's 409); the copies stay when the entry goes. The download is the published skill's folder of its "
    "archive (a predefined one: a zip of its SKILL.md)",
    "custom tool launch": "POST /agents/custom_tools/{id}/launch answers a CodeAPI job id and URL (on a host that "
    "never resolves) kept with the user's tool: launching again answers the same job until DELETE .../launch ends "
    "it (success true; false when none ran); another user's tool is a 404. The contract's custom tool models have "
    "no field for a launch, so GET and list of custom_tools do not show one",
    "tags": "a tag's id is its name (every path names a tag by its name); creating a tag that exists answers it "
    "(201: the contract documents no conflict), and tagging a document with a tag that does not exist makes it (the "
    "client's tag_document answers 'the id of the newly created tag'). Tags are listed to every user; user_scope "
    "keeps those on a document the user sees or that they made. GET /tags/{tag_names}/documents answers the "
    "documents that have every tag named (the client: 'the specified set of tags'; a real server may answer those "
    "with any). Deleting another user's tag is a 404 (the contract documents no 403 there); untagging a document "
    "that lacks the tag is a 404",
    "OpenAI errors": "OpenAI-style {error: {message, type, param, code}} bodies under /openai_api. A chat "
    "completion, response or model retrieval naming a model that is neither 'auto' nor listed gets OpenAI's 404 "
    "(type invalid_request_error, code model_not_found): the seeds do not say what h2oGPTe answers, and its REST "
    "API answers an unknown LLM with a 404 too",
    "client surface": "operations without a hand-written handler (most of h2ogpte.rest_sync) are answered by the "
    "generic resource layer: objects stored as sent, answers fitted to the client's models, *_job endpoints as jobs "
    "on the clock (the delete jobs delete at once); anything else an operation would do is not done",
    "collection and chat fields": "the calls that set one field of a collection or chat session (expiry date, "
    "inactivity interval, prompt template, workspace, exemption from chat expiry, privacy, metadata, chat settings; "
    "keep_forever, archive and unarchive) write it where GET reads it; an expiry date alone is its midnight in the "
    "timezone given (else UTC). A public collection is seen by every user, and only its owner makes it public or "
    "private (another user who sees it gets the operation's first documented 4xx, 400). A collection's size limit, "
    "thumbnail and topic model are not kept",
    "undocumented refusals": "a refusal whose status the client's contract does not declare for that operation (a "
    "404 for an unknown job) is answered with the operation's first documented 4xx",
    "rest_sync delete_chat_session": "answered 204 without a body, as seed 003 says; the generated client declares "
    "a ChatSession body on that 204 and fails to parse any empty 204 (a client defect: HTTP forbids a 204 body)",
    "OpenAI max_tokens": "a chat completion's max_tokens (1 or more) cuts the mock's answer after that many tokens, "
    "finish_reason 'length', as OpenAI's API does (seed 004 shows max_tokens in its request); the Responses API's "
    "max_output_tokens (1 or more) cuts it so with status 'incomplete' and incomplete_details.reason "
    "'max_output_tokens' (streamed: output_item.done's item 'incomplete', then response.incomplete), as OpenAI's "
    "does (seed 004 documents the endpoint, not the field; OpenAI refuses a max_output_tokens below 16, the mock "
    "does not). A value below 1 is ignored",
    "OpenAI n": "a chat completion's n (1 to 128) answers that many choices, each the same answer (streamed: a chunk "
    "per choice per token), usage counting the tokens of all, as OpenAI's API does; seed 004 does not mention n and "
    "says most unsupported fields are ignored, so a real server may answer one choice. Another n is ignored",
    "OpenAI tools and JSON": "a forced tool_choice answers with that tool call, tool messages are accepted, "
    "response_format/text.format make the content JSON; seed 004 says the real server ignores these",
    "admin job stats": "GET /admin/jobs/stats (count_jobs_by_status) counts every user's jobs the mock still holds, "
    "made since created_after (7 days before now when omitted), by phase: queued, running, completed, failed, "
    "canceled; timeout, stale and unknown stay 0. The client says the real counts include cleared (deleted) jobs; "
    "the mock's board forgets the oldest finished jobs beyond keep_finished (10,000), and those are not counted. "
    "The mock has no roles: any key may call it (the real server answers admins only)",
    "LLM usage": "every LLM call the mock answers is recorded on its clock as the asking user's call to the model it "
    "named ('auto' and no model: the first listed; a display name: its model): chat answers over REST, JSONL and "
    "the WebSocket, agent answers, OpenAI-compatible completions and responses (forced tool calls too), "
    "answer_question, summarize_content, extract_data and document summaries (process jobs). Its tokens are those "
    "the answer's usage_stats metadata (or OpenAI usage, n choices counted) states, tokens sent when an answer was "
    "stopped, and its cost is a millionth of a cost unit (USD) per token. A failed answer (the failure marker) is "
    "still a call, as a usage meter counts an attempt (the seeds and the client are silent): its prompt's tokens "
    "and the tokens streamed before it failed (none for a JSON answer or a direct LLM call). "
    "GET /stats/usage and /stats/usage_by_model answer the acting user's calls (max_allowed_24h is 100, never "
    "enforced); /stats/usage_by_user, /stats/usage_by_model_and_user and /stats/performance_by_model every user's "
    "(the mock has no roles: any key may call them), tokens per second and the first token's wait following the "
    "token schedule. Calls are added up per minute, user and model, and a minute that overlaps the interval counts "
    "whole; beyond max_llm_usage (50,000) such minutes the oldest go. The seeds and the client say nothing of how a "
    "real server prices or scopes these figures",
    "scheduler stats": "GET /jobs/pending/count (get_scheduler_stats) counts every user's jobs the mock holds that "
    "are still queued (running ones are not pending), and names a queue per job kind (IngestUploadsJob, "
    "DeleteCollectionsJob...) with its length; a real server's queues, and their names, are its scheduler's, which "
    "the seeds and the client do not describe",
    "/rpc/db": "records are kept per kind with the fields the client requires (id, name, user_id...); updates "
    "and links are accepted without effect, and lists of links, files and messages are empty",
    "/rpc/job": "starts DeleteCollectionsAsAdminJob (deletes at once, as the delete jobs do) and "
    "ExportFeedbackCSVJob (its CSV, written when the job is submitted, has a row per answer given feedback that "
    "the job's collection_id, no_collection, interval and filter keep); any other job is a 400",
    "feedback filters": "an interval is a number and a unit (second to year; a month is 30 days, a year 365 days) "
    "ending now, and filter matches the question or the answer case-insensitively; the seeds do not say how a real "
    "server reads them, and a malformed interval is a 400",
    "jobs naming unknown ids": "a delete or process job naming an object that does not exist is created (201) and "
    "fails with the reason, deleting nothing; a real server may refuse the request instead",
    "metadata filters": "the metadata_filter of list_collections and of a collection's documents (a dict's JSON) "
    "keeps those whose metadata has each of its keys with the value it gives; one that is not a dict's JSON filters "
    "nothing (the client says only 'matching' and the contract any string; no operators are read)",
    "default collection": "the collection id 'default' names the user's default collection, made the first time it "
    "is asked for",
    "held objects": "real: objects live until deleted or the server runs out of room; mock: its memory is bounded "
    "whatever clients send. It holds at most max_uploads (1,000) uploads of max_upload_bytes (1 GiB) in all, "
    "max_documents (100,000) documents of max_document_bytes (1 GiB) in all, max_messages (5,000) messages, and "
    "max_objects (10,000) of every other kind each (collections, chats, tags, memory blocks, custom tools and "
    "agents and their associations, document summaries, agent files, feedback exports, created keys' secrets, "
    "published library entries, stars, /rpc/db records of each kind), and the generic layer 1,000 objects per "
    "collection, 10,000 paths under a parent object and 256 MiB of objects (as JSON) in all (max_per_collection, "
    "max_paths, max_bytes). Beyond a budget the "
    "oldest made go first, never the newest (one upload may fill the bytes alone), as if deleted: "
    "an evicted id is the 404 of an unknown one, a collection takes its documents and a chat its messages and agent "
    "files with it, a tag leaves its documents, a chat on a collection that went answers on no documents, and "
    "answers given keep the references they cited. A long ingesting load run (over 100,000 documents) sees its "
    "oldest documents go",
    # "<client>.<method>": why that official client's method fails against the mock
    **{f"{client}.{method}": why for client, gaps in CLIENT_GAPS.items() for method, why in gaps.items()},
}


def make_app(state: H2OGPTeMockState | None = None) -> Starlette:
    """A fresh mock h2oGPTe app over ``state`` (a new default state when None)."""
    state = state if state is not None else H2OGPTeMockState()
    if state.resources is None:
        state.resources = generic.resources(state)
    # by resource: a literal path (``/prompt_templates/count``) is its own resource, whose undocumented methods
    # get a 405, not the templated neighbour's handler
    router: Router[Target] = Router(((op.method, op.path, op) for op in OPERATIONS), by_resource=True)
    for target in _generic_targets(state.resources.surface):
        router.add(target.method, target.path if isinstance(target, Operation) else target.template, target)

    async def ws(websocket: WebSocket) -> None:
        await chat.websocket_endpoint(state, websocket)

    # a method a path lacks gets a 405 with an exact Allow and an EndpointError body; routed on the raw path, so a
    # path parameter may hold an encoded slash; answered on the event loop, where streamed answers are timed
    wiring = Wiring(
        name="h2ogpte",
        router=router,
        path=_raw_path,
        decode=_decode,
        authenticate=lambda state, incoming: (
            None if state.accepts(bearer_token(incoming.authorization)) else "Unauthorized"
        ),
        unauthorized=lambda state, incoming, lookup, problem: _error(
            401, problem, incoming.path, {"WWW-Authenticate": "Bearer"}
        ),
        unrouted=_unrouted,
        invoke=_invoke,
        refusal=ApiError,
        refuse=lambda state, incoming, lookup, err: _error(
            _documented(state, lookup, err.status), err.message, incoming.path, kind=err.kind, code=err.code
        ),
        bug=lambda state, incoming, lookup, what: _error(
            400, f"The mock could not handle this request: {what}", incoming.path
        ),
        render=_render,
        # an unknown path is a 404 before the key is looked at; a known one is a 401 before its 405
        protects=lambda lookup: any(getattr(route.target, "auth", True) for route in lookup.matches),
        threadpool=False,
    )
    return build_app(state, wiring, routes=[WebSocketRoute("/ws", ws)])


def _generic_targets(surface: Surface) -> list[Target]:
    """Every contract operation the request table lacks: its handler when HANDLERS has one, else the generic layer."""
    hand = {(op.method, op.path) for op in OPERATIONS}
    targets: list[Target] = []
    for op in surface.operations:
        if (op.method, op.template) in hand:
            continue
        if op.operation_id in HANDLERS:
            query = tuple(Param(n, dict(s), r) for n, (where, r, s) in op.params.items() if where == "query")
            targets.append(Operation(op.method, op.template, op.operation_id, "client", "", query, documented=False))
        else:
            targets.append(op)
    return targets


def _documented(state: H2OGPTeMockState, lookup: Lookup[Target], status: int) -> int:
    """The refusal's status, or the operation's first documented 4xx when its contract lacks that one."""
    route = lookup.route
    if route is None or state.resources is None:
        return status
    try:
        op = state.resources.surface.operation(route.method, route.template)
    except KeyError:
        return status
    return op.error_status(status)


def _error(
    status: int,
    message: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    kind: str | None = None,
    code: str | None = None,
) -> Reply:
    if path.startswith("/openai_api/"):
        kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}
        error = {"message": message, "type": kind or kinds.get(status, "api_error"), "param": None}
        body: dict[str, Any] = {"error": {**error, "code": code or status}}
    else:
        body = {"code": status, "message": message}
    return Reply(body, status=status, headers=headers or {})


def _raw_path(state: H2OGPTeMockState, request: Request) -> str:
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    return raw.decode("latin-1").split("?", 1)[0]


def _decode(state: H2OGPTeMockState, incoming: Incoming, lookup: Lookup[Target]) -> Call:
    return Call(
        method=incoming.method,
        path=incoming.path,
        path_params={k: unquote(v) for k, v in lookup.params.items()},
        query={},
        raw_query=parse_qsl(incoming.query_string, keep_blank_values=True),
        body=incoming.body,
        content_type=incoming.content_type,
        accept=incoming.headers.get("accept", ""),
        bearer=bearer_token(incoming.authorization),
    )


def _unrouted(state: H2OGPTeMockState, call: Call, lookup: Lookup[Target]) -> Answer:
    if not lookup.matches:
        return _error(404, f"{call.method} {call.path} not found", call.path)
    # the methods of the most specific path template matching this path
    allow = ", ".join(lookup.allow)
    return _error(405, f"Method {call.method} not allowed on {call.path}", call.path, {"Allow": allow})


def _invoke(state: H2OGPTeMockState, op: Target, call: Call) -> Answer:
    if isinstance(op, GenericOperation):
        with state.lock:
            state.act_as(call.bearer)
            keys.check_scope(state, op.operation_id, op.method, call)
            try:
                return generic.answer(state, op, call)
            finally:
                state.trim()
    if not op.documented:
        generic.check(state, op.method, op.path, call)
    call.query = parse_query(op.query, call.raw_query, strict=op.documented)
    if op.form is None:
        call.json = json_body(op, call)
    with state.lock:
        state.act_as(call.bearer)
        keys.check_scope(state, op.operation_id, op.method, call)
        try:
            return HANDLERS[op.operation_id](state, call)
        finally:
            # whatever the request made, the oldest objects beyond the state's budgets go
            state.trim()


async def _render(state: H2OGPTeMockState, incoming: Incoming, reply: Answer) -> Response:
    if isinstance(reply, Response):
        return reply
    if reply.delay and state.stream_speed:
        await asyncio.sleep(reply.delay / state.stream_speed)
    response = Response(reply.content(), status_code=reply.status, headers=reply.headers)
    if reply.content_type:
        response.headers["content-type"] = reply.content_type
    return response


def default_state(speed: float = 1.0, clock: Clock | None = None) -> H2OGPTeMockState:
    """A state for a served mock: realistic ingestion and token timings on wall time run ``speed`` times faster.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return H2OGPTeMockState(clock=clock or MonotonicClock(speed=speed), timings=H2OGPTeTimings(), stream_speed=speed)
