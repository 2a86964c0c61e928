"""Locust profiles for h2oGPTe: ingestion polling, JSONL and OpenAI-compatible SSE streaming, and mixed traffic.

Run through ``h2oharness load h2ogpte.polling`` / ``h2ogpte.streaming`` / ``h2ogpte.mixed``, never imported by
pytest. Streams are read line by line through the harness's readers, which enforce the stream contract; each
stream's time to headers, TTFT, ITL, TPOT, output tokens (the server's usage where it reports one), output tokens per
second, usage mismatch and stalls are entries of their own (h2oharness/http/streammetrics.py defines them).
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from locust import between, task

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient, H2OGPTeResponseError
from h2oharness.loadtest import HarnessUser, Pacer, harness_http, job_metrics, stream_metrics
from h2oharness.settings import Settings, variable
from h2oharness.targets import stream_deadline

SETTINGS = Settings.from_env()

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "h2ogpte" / "openapi.yaml"
DEADLINE = stream_deadline(120.0)
STALL_AFTER = SETTINGS.stall_seconds or 1.0
INGEST_TIMEOUT = SETTINGS.job_timeout or 120.0
MODEL = variable("H2OGPTE_LOAD_MODEL") or "auto"
MESSAGE = variable("H2OGPTE_LOAD_MESSAGE") or "Summarise the quarterly figures in two sentences."
QUESTION = {"message": MESSAGE, "llm": MODEL,
            "rag_config": {"rag_type": "llm_only"}, "include_chat_history": "off"}  # fmt: skip


class _H2OGPTeUser(HarnessUser):
    abstract = True

    def on_start(self) -> None:
        self.api = H2OGPTeClient(harness_http(self, CONTRACT, "H2OGPTE"))
        self.pacer = Pacer.from_environment()
        self.collection = str(self.api.create_collection(f"h2oharness load {uuid.uuid4().hex[:8]}")["id"])
        self.chat = str(self.api.create_chat()["id"])
        self.documents = 0

    def on_stop(self) -> None:
        with contextlib.suppress(H2OGPTeResponseError):
            self.api.delete_chat(self.chat, missing_ok=True)
            self.api.delete_collection(self.collection, missing_ok=True)
        self.api.http.close()

    def _ingest(self) -> None:
        """Upload a CSV, ingest it and poll the collection until it holds the document: one ``ingest`` job."""
        scheduled = self.pacer.wait() if self.pacer.interval else None
        with job_metrics(self.environment, "h2ogpte ingest", scheduled) as out:
            upload = self.api.upload(f"sales-{uuid.uuid4().hex[:6]}.csv", b"region,q1,q2\nnorth,10,12\nsouth,7,9\n")
            self.api.ingest(str(upload["id"]), self.collection)
            out.submitted()
            self.documents += 1
            out["polls"] = self.api.wait_for_documents(self.collection, self.documents, timeout=INGEST_TIMEOUT).polls

    def _jsonl(self) -> None:
        with (
            stream_metrics(self.environment, "h2ogpte jsonl", STALL_AFTER) as out,
            self.api.stream(self.chat, QUESTION, deadline=DEADLINE) as reader,
        ):
            out["reader"] = reader
            reader.read()

    def _sse(self) -> None:
        # include_usage: the server's own output-token count, held against the chunks we count
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": QUESTION["message"]}],
            "stream_options": {"include_usage": True},
        }
        with (
            stream_metrics(self.environment, "h2ogpte sse", STALL_AFTER) as out,
            self.api.openai_stream("chat/completions", body, deadline=DEADLINE) as reader,
        ):
            out["reader"] = reader
            reader.read()


class PollingUser(_H2OGPTeUser):
    """Upload and ingest a document, poll until the collection counts it, again."""

    @task
    def ingest(self) -> None:
        self._ingest()


class StreamingUser(_H2OGPTeUser):
    """Streamed answers, read as they arrive: h2oGPTe's JSONL completions and the OpenAI-compatible SSE."""

    @task(3)
    def jsonl(self) -> None:
        self.pacer.wait()  # open model: each stream is one arrival on the schedule (closed model: returns at once)
        self._jsonl()

    @task(1)
    def sse(self) -> None:
        self.pacer.wait()
        self._sse()


class MixedUser(_H2OGPTeUser):
    """Mostly reads, some plain and streamed answers, a few ingestions: a chat front end and a document pipeline."""

    wait_time = between(0.05, 0.2)

    @task(6)
    def models(self) -> None:
        self.api.models()

    @task(4)
    def collection(self) -> None:
        self.api.get_collection(self.collection)

    @task(3)
    def messages(self) -> None:
        self.api.messages(self.chat, limit=10)

    @task(2)
    def answer(self) -> None:
        self.api.complete(self.chat, payloads.rag_completion("What is in the figures?", rag_type="llm_only"))

    @task(2)
    def stream(self) -> None:
        self._jsonl()

    @task(1)
    def ingest(self) -> None:
        self._ingest()
