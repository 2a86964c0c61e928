"""Pure builders and hypothesis strategies for h2oGPTe requests: the seed's CSV, completion payloads, forms.

Nothing here does I/O.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from hypothesis import strategies as st

SALES_CSV = """product,category,revenue,units_sold,month
Widget A,Electronics,12500,250,January
Widget B,Electronics,8300,166,January
Gadget X,Accessories,4200,420,January
Widget A,Electronics,14200,284,February
"""

AGENT_PROMPT = (
    "Analyze the sales data and perform the following tasks:\n"
    "- Calculate total revenue and total units sold per product\n"
    "- Calculate total revenue per category\n"
    "- Find the best-selling product by revenue\n"
    "- Save the summary as a CSV file named 'sales_summary.csv'\n"
    "- Save a month-over-month revenue report as 'monthly_revenue.csv'\n"
    "Provide a brief written summary of the findings."
)
STREAM_PROMPT = (
    "Write a short Python script that generates fibonacci numbers up to 100 and saves them to 'fibonacci.csv'."
)
INFO_TYPES = ("usage_stats", "prompt_raw", "agent_files", "agent_files_old", "agent_chat_history",
              "agent_chat_history_md", "agent_analysis")  # fmt: skip


def agent_completion(message: str = AGENT_PROMPT, *, accuracy: str = "standard", llm: str = "auto") -> dict[str, Any]:
    """The seed's agent query body (``use_agent``, ``rag_type: llm_only``, chat history off)."""
    return {
        "message": message,
        "llm": llm,
        "llm_args": {
            "use_agent": True,
            "agent_accuracy": accuracy,
            "agent_max_turns": "auto",
            "agent_tools": "auto",
            "agent_total_timeout": 300,
            "agent_stream_files": True,
            "temperature": 0.0,
            "max_new_tokens": 4096,
        },
        "rag_config": {"rag_type": "llm_only"},
        "include_chat_history": "off",
    }


def rag_completion(message: str, *, rag_type: str = "rag", llm: str = "auto") -> dict[str, Any]:
    """A query answered from the session's collection."""
    return {"message": message, "llm": llm, "rag_config": {"rag_type": rag_type}, "llm_args": {"temperature": 0.0}}


def memory_block(name: str, content: str = "Project reference: PRJ-2024-0142\nBudget: $50,000") -> dict[str, Any]:
    """The seed's memory-block create body."""
    return {
        "name": name,
        "content": content,
        "system_prompt_amendment": "Save key project decisions and milestones.",
        "injection_mode": "system_prompt",
        "access_mode": "read_write",
        "max_content_length": 10000,
    }


def tool_zip(folders: tuple[str, ...] = ("my_agent",)) -> bytes:
    """A small .zip with one ``main.py`` per folder (a custom agent or local MCP package)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in folders:
            archive.writestr(f"{folder}/main.py", "print('hello')\n")
    return buffer.getvalue()


def remote_mcp_args(*servers: str) -> dict[str, Any]:
    """``tool_args`` of a remote MCP tool with these server names."""
    import json

    config = {"mcpServers": {name: {"url": f"https://example.com/{name}/mcp"} for name in servers or ("srv",)}}
    return {"mcp_config_json": json.dumps(config), "enable_by_default": True}


def completion_messages() -> st.SearchStrategy[str]:
    """Questions a user might send: printable text of 1-200 characters."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=200)
