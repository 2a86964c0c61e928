"""The explicit state of one h2oGPTe mock: clock, timings, keys, stored objects and a request log."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.wire import parse_iso
from h2oharness.mocks.auth import token_in
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.jobs import Job, JobBoard, JobTiming
from h2oharness.mocks.resources import Resources
from h2oharness.mocks.state import MockState
from h2oharness.targets import Credentials

DEFAULT_KEY = "sk-h2oharness-mock"
USERNAME = "harness@example.com"
USER_ID = "00000000-0000-4000-8000-000000000001"
OTHER_USER = "alice@example.com"
#: a message containing this marker makes its answer fail: an ``{"error": ...}`` line ends the stream
FAIL_MARKER = "[[h2oharness:fail]]"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
#: the built-in MCP library's predefined entries (mcp_id, name, type, server configuration); the client names
#: playwright_builtin and slack_builtin in its examples
PREDEFINED_MCPS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("playwright_builtin", "Playwright", "api_app", {"command": "npx", "args": ["-y", "@playwright/mcp"]}),
    ("slack_builtin", "Slack", "api_app", {"command": "npx", "args": ["-y", "slack-mcp-server"]}),
    ("github_builtin", "GitHub", "oauth_app", {"url": "https://api.githubcopilot.com/mcp/"}),
)
#: the skill library's predefined skills (library id, description)
PREDEFINED_SKILLS = (
    ("pdf", "Read, fill and create PDF files"),
    ("xlsx", "Read and write spreadsheets"),
    ("docx", "Read and write Word documents"),
)
#: where the generic layer keeps the API keys created through the API (POST /api/v1/admin/api_keys)
CREATED_KEYS = "/api/v1/admin/api_keys"


@dataclass(frozen=True)
class H2OGPTeTimings:
    """How long things take, in clock seconds: ingestion, and the token schedule of every answer."""

    ingest: JobTiming = field(default_factory=lambda: JobTiming(queued=0.05, running=0.4))
    #: every other job: deletions, document processing
    job: JobTiming = field(default_factory=lambda: JobTiming(queued=0.02, running=0.1))
    first_token: float = 0.1
    token_gap: float = 0.01
    tokens: int = 20

    @classmethod
    def instant(cls) -> H2OGPTeTimings:
        """Ingestion done on submission and answers with no pauses between tokens."""
        return cls(ingest=JobTiming(0.0, 0.0), job=JobTiming(0.0, 0.0), first_token=0.0, token_gap=0.0, tokens=12)


@dataclass(frozen=True)
class User:
    """A user of the mock: who a key acts as, and who owns (and is shared) collections and chats."""

    id: str
    username: str

    def info(self) -> dict[str, str]:
        """The user as UserInfo (the username is the email, as the mock's users sign in with one)."""
        return {"id": self.id, "username": self.username, "email": self.username}


#: the user the mock's own keys act as
HARNESS = User(USER_ID, USERNAME)
#: a second user: the owner of the public memory block, and a user keys can be made for
ALICE = User("00000000-0000-4000-8000-000000000002", OTHER_USER)


@dataclass
class UserJobs(JobBoard):
    """The mock's jobs, each stamped with the user acting when it was submitted."""

    acting: Callable[[], str] = lambda: HARNESS.id

    def submit(self, *args: Any, **kwargs: Any) -> Job:
        """Submit a job (as ``JobBoard.submit``), the acting user's."""
        job = super().submit(*args, **kwargs)
        job.owner = self.acting()
        return job


@dataclass
class Document:
    """An ingested (or ingesting) document of one or more collections: ``collection_id`` is the one it was ingested
    into (or, once it has left that one, another it is in), ``collection_ids`` every one it is in."""

    id: str
    name: str
    data: bytes
    collection_id: str
    job_id: str
    #: what its ingestion or a later update gave it (the Document's metadata_dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the names of the tags put on it
    tags: set[str] = field(default_factory=set)
    #: where it came from, as PATCH /documents/{id} last set it (none until then)
    uri: str | None = None
    #: when PATCH /documents/{id} last changed it (its ingestion's time until then)
    updated_at: datetime | None = None
    #: when it was made, for a copy (copy_document); its ingestion job's creation time when None
    created_at: datetime | None = None
    #: every collection it is in (import_document_into_collection adds one): its collection_id and any others
    collection_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.collection_ids.add(self.collection_id)


class Documents(dict[str, Document]):
    """The documents by id, each collection's also by collection: a poll of one collection reads only its own.

    Every GET of a collection counts its documents; a scan of all of them made each poll of a long load run
    slower than the last (27 ms with 50,000 held, against 0.5 ms; benchmarks/h2ogpte_collection_poll.py).
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_collection: dict[str, dict[str, Document]] = {}

    def __setitem__(self, doc_id: str, doc: Document) -> None:
        self.pop(doc_id, None)
        super().__setitem__(doc_id, doc)
        for cid in doc.collection_ids:
            self._by_collection.setdefault(cid, {})[doc_id] = doc

    def __delitem__(self, doc_id: str) -> None:
        doc = self[doc_id]
        super().__delitem__(doc_id)
        self._forget(doc)

    def pop(self, doc_id: str, *default: Any) -> Any:
        if doc_id not in self:
            return super().pop(doc_id, *default)
        doc = super().pop(doc_id)
        self._forget(doc)
        return doc

    def popitem(self) -> tuple[str, Document]:
        doc_id, doc = super().popitem()
        self._forget(doc)
        return doc_id, doc

    def clear(self) -> None:
        super().clear()
        self._by_collection.clear()

    def of(self, collection_id: str) -> list[Document]:
        """The documents of one collection, oldest first (of those it received)."""
        return list(self._by_collection.get(collection_id, {}).values())

    def add_to(self, doc: Document, collection_id: str) -> None:
        """Put a held document in one more collection (the real server lets a document be in several)."""
        doc.collection_ids.add(collection_id)
        self._by_collection.setdefault(collection_id, {})[doc.id] = doc

    def remove_from(self, doc: Document, collection_id: str) -> None:
        """Take a document out of one collection; it is deleted when that was the last one it was in."""
        if collection_id not in doc.collection_ids:
            return
        if doc.collection_ids == {collection_id}:
            del self[doc.id]
            return
        doc.collection_ids.discard(collection_id)
        self._unindex(doc, collection_id)
        if doc.collection_id == collection_id:
            doc.collection_id = min(doc.collection_ids)

    def drop_collection(self, collection_id: str) -> None:
        """A collection's deletion: its documents leave it, and go with it unless another collection holds them."""
        for doc in self.of(collection_id):
            self.remove_from(doc, collection_id)

    def _forget(self, doc: Document) -> None:
        for cid in doc.collection_ids:
            self._unindex(doc, cid)

    def _unindex(self, doc: Document, collection_id: str) -> None:
        held = self._by_collection.get(collection_id)
        if held is not None:
            held.pop(doc.id, None)
            if not held:
                del self._by_collection[collection_id]


@dataclass
class LLMUsage:
    """The LLM calls one user made to one model within one minute of the mock's clock, added up."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    #: clock seconds the answers took (first token to last), and their waits for the first token, summed
    seconds: float = 0.0
    first_token: float = 0.0


@dataclass
class Generation:
    """The answer being generated for one question: what pause/resume/stop/finish act on."""

    question_id: str
    paused: bool = False
    stopped: bool = False
    finishing: bool = False
    live: bool = True
    #: tokens sent so far
    emitted: int = 0


@dataclass
class H2OGPTeMockState(MockState):
    """Everything one mock knows; the handlers read and change it under ``lock``."""

    clock: Clock = field(default_factory=MonotonicClock)
    timings: H2OGPTeTimings = field(default_factory=H2OGPTeTimings.instant)
    #: how many clock seconds pass per real second while streaming; None: never sleep (unit tests)
    stream_speed: float | None = None
    #: the keys the mock is made with; they are always accepted
    api_keys: set[str] = field(default_factory=lambda: {DEFAULT_KEY})
    #: the secret of every key created through the API, with the key's id: accepted while the key is kept and active
    issued_keys: dict[str, str] = field(default_factory=dict)
    max_recorded_requests: int = 2000
    #: added to the completion_tokens the OpenAI API reports: usage that disagrees with the chunks streamed
    usage_skew: int = 0
    #: what a long load run may leave behind: the oldest messages (with their meta and references) and uploads go
    max_messages: int = 5000
    max_uploads: int = 1000
    #: bytes the held uploads hold at most: a thousand of the largest body (1 GiB) would be a terabyte; beyond it the
    #: oldest go (never the newest: one may be that large alone)
    max_upload_bytes: int = 1 << 30
    #: documents held at most, and the bytes they hold: beyond either the oldest made go, as if deleted (an upload's
    #: document shares its bytes, so the two budgets together hold at most 2 GiB)
    max_documents: int = 100_000
    max_document_bytes: int = 1 << 30
    #: every other kind of object held at most, each: collections (with their documents), chats (with their messages
    #: and agent files), tags, memory blocks, custom tools and agents and their associations, document summaries,
    #: agent files, feedback exports, answers' generations, created keys' secrets, published library entries, stars
    #: and each kind of /rpc/db record; beyond it the oldest made go, as if deleted
    max_objects: int = 10_000
    #: the LLM calls answered (chat, agent and OpenAI answers, direct LLM calls, document summaries), added up per
    #: minute, user and model: what the usage statistics read; beyond this many the oldest minutes go
    max_llm_usage: int = 50_000
    jobs: UserJobs = field(init=False)
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: the user id of each upload's uploader
    upload_owners: dict[str, str] = field(default_factory=dict)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: Documents = field(default_factory=Documents)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    references: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    generations: dict[str, Generation] = field(default_factory=dict)
    agent_files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: what POST /rpc/db keeps (AI assistants, forums, event types...): kind -> id -> record
    rpc_records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: document summaries written by process jobs, by summary id
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory_blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: each user's default memory block per scope (llm, agent): user id -> scope -> block id
    default_blocks: dict[str, dict[str, str | None]] = field(default_factory=dict)
    custom_tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    tool_associations: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_associations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the tool preference of a user who set none (or deleted theirs)
    tool_preference: list[str] = field(default_factory=lambda: ["python", "shell", "web_search"])
    #: each user's own tool preference: user id -> tool names
    tool_preferences: dict[str, list[str]] = field(default_factory=dict)
    #: the agent keys each tool receives, by associate id (each names its user_id)
    key_tool_associations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: each skill's env var -> agent key bindings and the tools that receive them, by skill id
    skill_associations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the built-in MCP library, shared by every user: the predefined entries and those published, by mcp_id
    builtin_mcps: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the skill library, shared by every user: the predefined skills and those published, by library id
    library_skills: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the tags, by name (each names its creator in ``_owner``); the documents keep which are put on them
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the library items each user starred: (user id, item_kind, item_id) (a dict for its order: the oldest stars go
    #: beyond ``max_objects``, any item id being starrable)
    stars: dict[tuple[str, str, str], None] = field(default_factory=dict)
    #: the users, by id: the harness user (the mock's own keys) and alice; a created key acts as its user
    users: dict[str, User] = field(default_factory=lambda: {u.id: u for u in (HARNESS, ALICE)})
    #: the roles each user holds (role ids, in the order given), by user id; the roles are the generic layer's
    user_roles: dict[str, list[str]] = field(default_factory=dict)
    #: the roles each group holds, by group id
    group_roles: dict[str, list[str]] = field(default_factory=dict)
    #: the permissions each role grants (permission names), by role id
    role_permissions: dict[str, list[str]] = field(default_factory=dict)
    #: the user whose request the handlers are answering, set under ``lock`` for each request
    acting: User = HARNESS
    #: the collection the request's key is specific to (a collection-specific key's); None for a global key
    scope: str | None = None
    #: the CSV of every feedback export job, by job id
    exports: dict[str, bytes] = field(default_factory=dict)
    #: the LLM calls answered: (clock minute, user id, model) -> their usage, oldest first
    llm_usage: dict[tuple[int, str, str], LLMUsage] = field(default_factory=dict)
    #: the generic layer answering the contract's operations no handler takes (mockparts/generic.py)
    resources: Resources | None = None
    #: the bytes each store bounded by bytes held when last summed, with its size and newest key then
    _sizes: dict[str, tuple[tuple[int, str | None], int]] = field(default_factory=dict, repr=False)

    def forget_messages(self, ids: list[str]) -> None:
        """Drop these messages with their meta and references."""
        for mid in ids:
            self.messages.pop(mid, None)
            self.meta.pop(mid, None)
            self.references.pop(mid, None)

    def forget_collection(self, collection_id: str) -> None:
        """Drop a collection with its documents (its chats stay, on no collection, as after a deletion)."""
        self.collections.pop(collection_id, None)
        self.documents.drop_collection(collection_id)

    def forget_session(self, session_id: str) -> None:
        """Drop a chat session with its messages and the files its agent wrote."""
        self.sessions.pop(session_id, None)
        for made in self.agent_files.pop(session_id, []):
            self.files.pop(str(made.get("id")), None)
        self.forget_messages([mid for mid, m in self.messages.items() if m.get("_session") == session_id])

    def trim(self) -> None:
        """Keep memory bounded whatever clients send: evict the oldest objects beyond their budgets (``max_*``), as
        if deleted, never the newest of a kind. The mock calls it after every request."""
        with self.lock:
            extra = len(self.messages) - self.max_messages
            if extra > 0:
                self.forget_messages(list(self.messages)[:extra])
            for cid in _oldest(self.collections, self.max_objects):
                self.forget_collection(cid)
            for sid in _oldest(self.sessions, self.max_objects):
                self.forget_session(sid)
            for uid in self._evict("uploads", self.uploads, self.max_uploads, self.max_upload_bytes):
                self.upload_owners.pop(uid, None)
            self._evict("documents", self.documents, self.max_documents, self.max_document_bytes)
            for held in self._held():
                for key in _oldest(held, self.max_objects):
                    del held[key]
            for star in list(itertools.islice(self.stars, max(0, len(self.stars) - max(1, self.max_objects)))):
                del self.stars[star]
            for minute in list(
                itertools.islice(self.llm_usage, max(0, len(self.llm_usage) - max(1, self.max_llm_usage)))
            ):
                del self.llm_usage[minute]
            untagged = set(_oldest(self.tags, self.max_objects))
            for name in untagged:
                del self.tags[name]
            # as a deleted tag does, an evicted one leaves every document (made again, it tags nothing)
            for doc in self.documents.values() if untagged else ():
                doc.tags -= untagged
            gone = set(_oldest(self.files, self.max_objects))
            for file_id in gone:
                del self.files[file_id]
            # a chat lists only the agent files still held (one chat's agent may write files without end)
            for sid, made in list(self.agent_files.items()) if gone else ():
                self.agent_files[sid] = [f for f in made if f.get("id") not in gone]

    def _held(self) -> list[dict[str, Any]]:
        """The stores ``max_objects`` bounds whose entries nothing else names (or names by a lookup that may miss)."""
        return [
            self.memory_blocks,
            self.custom_tools,
            self.custom_agents,
            self.tool_associations,
            self.key_associations,
            self.key_tool_associations,
            self.skill_associations,
            self.summaries,
            self.agent_files,
            self.exports,
            self.generations,
            self.issued_keys,
            self.builtin_mcps,
            self.library_skills,
            self.rpc_records,
            *self.rpc_records.values(),
        ]

    def _evict(self, name: str, held: dict[str, Any], count: int, budget: int) -> list[str]:
        """Drop the oldest of ``held`` (uploads or documents) beyond ``count`` of them or ``budget`` bytes, never the
        newest, and say which went. The bytes held are kept between calls: when the store only gained entries since,
        only theirs are added (the entry that was newest then is just before them), else they are summed again."""
        newest = next(reversed(held), None)
        cached = self._sizes.get(name)
        total: int | None = None
        if cached is not None:
            (length, was_newest), was_total = cached
            grown = len(held) - length
            tail = list(itertools.islice(reversed(held), max(0, grown + 1)))
            if grown >= 0 and len(tail) == grown + 1 and tail[-1] == was_newest:
                total = was_total + sum(_size(held[key]) for key in tail[:-1])
        if total is None:
            total = sum(_size(item) for item in held.values())
        drop: list[str] = []
        for key in held:
            if key == newest or (len(held) - len(drop) <= count and total <= budget):
                break
            drop.append(key)
            total -= _size(held[key])
        for key in drop:
            del held[key]
        self._sizes[name] = ((len(held), newest), total)
        return drop

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jobs = UserJobs(self.clock, acting=lambda: self.acting.id)
        # someone else's public block: readable by the harness user, but not its to change (the 403 cases)
        shared = new_id()
        self.memory_blocks[shared] = {
            "id": shared,
            "name": "Team Glossary",
            "content": "Terms the whole team uses.",
            "system_prompt_amendment": "",
            "injection_mode": "system_prompt",
            "access_mode": "read",
            "user_id": ALICE.id,
            "username": ALICE.username,
            "created_at": EPOCH,
            "updated_at": EPOCH,
            "is_public": True,
            "max_content_length": 10000,
            "is_auto": False,
            "user_count": 0,
            "group_count": 0,
            "_shared": {},
        }

        # the libraries' predefined entries: what every user may add or install before any admin publishes
        for mcp_id, name, kind, server in PREDEFINED_MCPS:
            config = {"name": name, "description": f"The {name} MCP server", "type": kind, "mcp_config_json": server}
            self.builtin_mcps[mcp_id] = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, mcp_id)),
                "mcp_id": mcp_id,
                "config": config,
                "user_id": None,
                "logo_url": None,
                "created_at": EPOCH.isoformat(),
                "updated_at": EPOCH.isoformat(),
            }
        for skill_id, description in PREDEFINED_SKILLS:
            self.library_skills[skill_id] = {
                "id": skill_id,
                "skill_name": skill_id,
                "description": description,
                "added_by_admin": False,
                "version": "1.0.0",
                "updated_at": "",
                "official": True,
            }

    def accepts(self, token: str | None, use: bool = True) -> bool:
        """Whether a bearer token is one of the mock's keys or the secret of a created key that is live: kept, active,
        not past its expiry and not unused for longer than its inactivity interval. A created key accepted counts as
        used (unless ``use`` is false: a check, not a request): its ``total_calls`` goes up by one and its
        ``last_used_at`` is now."""
        if token_in(token, list(self.api_keys)):
            return True
        with self.lock:
            key = self.created_key(token)
            if key is None or not self.live(key):
                return False
            if not use:
                return True
            key["total_calls"] = int(key.get("total_calls") or 0) + 1
            key["last_used_at"] = self.now().isoformat()
            return True

    def owns(self, record: Mapping[str, Any]) -> bool:
        """Whether the acting user owns a collection or chat session (the mock's first objects are the harness
        user's)."""
        return bool(record.get("_owner", HARNESS.id) == self.acting.id)

    def sees(self, record: Mapping[str, Any], owner: str = "_owner", viewer: User | None = None) -> bool:
        """Whether the acting user (or ``viewer``) may see a record (a collection, a memory block...): theirs (its
        ``owner`` field names their id; none: the harness user's), shared with them by username (``_shared``), or
        public."""
        user = viewer or self.acting
        shared = record.get("_shared")
        mine = record.get(owner, HARNESS.id) == user.id
        return mine or bool(record.get("is_public")) or (isinstance(shared, dict) and user.username in shared)

    def upload(self, upload_id: str) -> tuple[str, bytes] | None:
        """The acting user's upload (name and bytes) of that id; None for another user's, as for an unknown one."""
        found = self.uploads.get(upload_id)
        return found if found is not None and self.upload_owners.get(upload_id) == self.acting.id else None

    def job(self, job_id: str) -> Job | None:
        """The acting user's job of that id; None for another user's, as for an unknown one."""
        found = self.jobs.get(job_id)
        return found if found is not None and (found.owner or HARNESS.id) == self.acting.id else None

    def user_of(self, token: str | None) -> User:
        """The user a bearer token acts as: a created key's user, else (the mock's own keys) the harness user."""
        key = self.created_key(token)
        return self.users.get(str(key.get("_user_id")), HARNESS) if key is not None else HARNESS

    def scope_of(self, token: str | None) -> str | None:
        """The collection a bearer token's key is specific to: a created key's ``collection_id``, else None."""
        key = self.created_key(token)
        return str(key["collection_id"]) if key is not None and key.get("collection_id") else None

    def act_as(self, token: str | None) -> None:
        """Answer the request as the bearer token's user, within its key's collection when it is specific to one."""
        self.acting, self.scope = self.user_of(token), self.scope_of(token)

    def created_key(self, token: str | None) -> dict[str, Any] | None:
        """The record of the created key whose secret ``token`` is (as GET /admin/api_keys lists it), if kept."""
        created = self.resources.collections.get(CREATED_KEYS, {}) if self.resources is not None else {}
        found = ""
        # every secret compared (token_in runs in constant time), none skipped once one matched
        for secret, key_id in self.issued_keys.items():
            found = key_id if token_in(token, [secret]) else found
        return created.get(found) if found else None

    def live(self, key: dict[str, Any]) -> bool:
        """Whether a created key may be used now: active, before its expiry, and used (or made) within its
        inactivity interval of days."""
        now = self.now()
        expires = _moment(key.get("expires_at"))
        if not key.get("is_active") or (expires is not None and now >= expires):
            return False
        days = key.get("inactivity_interval")
        last = _moment(key.get("last_used_at")) or _moment(key.get("created_at"))
        return not (isinstance(days, int) and last is not None and now >= last + timedelta(days=days))

    def client_credentials(self) -> Credentials:
        """Credentials this mock accepts."""
        return Credentials(token=sorted(self.api_keys)[0])

    def now(self) -> datetime:
        """The clock's time as a UTC timestamp (the clock's zero is 2026-01-01)."""
        return EPOCH + timedelta(seconds=self.clock.now())


def _oldest(held: Mapping[str, Any], budget: int) -> list[str]:
    """The keys of the oldest entries beyond ``budget`` (dicts keep the order entries were made in)."""
    return list(itertools.islice(held, max(0, len(held) - max(1, budget))))


def _size(item: Any) -> int:
    """The client bytes an upload (name, bytes) or a document holds."""
    return len(item.data) if isinstance(item, Document) else len(item[1])


def _moment(value: Any) -> datetime | None:
    """A timestamp the mock wrote into a record, or None."""
    return parse_iso(value) if isinstance(value, str) else None


def new_id() -> str:
    """A fresh UUID4 string, the id format of every h2oGPTe object."""
    return str(uuid.uuid4())
