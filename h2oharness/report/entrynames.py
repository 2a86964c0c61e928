"""The names of the entries a load run records besides its requests: ``"<type> <name> <suffix>"``.

``h2oharness.loadtest.job_metrics`` records ``JOB <job> submitted``, ``JOB <job> submit-to-done``... of a job it is
given the name of, ``stream_metrics`` ``STREAM <stream> time to first token``...; the reports, the capacity search
and the SLO check read them by these names.
"""

from __future__ import annotations

#: the entry types h2oharness/loadtest.py records besides the requests' own (their HTTP method)
JOB = "JOB"
STREAM = "STREAM"
#: the entry of a profile's setup or task that failed without a failed request to show for it
TASK = "TASK"

# what job_metrics records of a job named N: "JOB N submitted", "JOB N submit-to-done"...
SUBMITTED = "submitted"
SUBMIT_TO_DONE = "submit-to-done"
POLLS_PER_JOB = "polls per job"
FROM_SCHEDULE = "submit-to-done (from schedule)"
#: jobs submitted and still running when the run stopped (their time so far)
UNFINISHED = "unfinished at stop"
#: submissions the target refused (an HTTP error) or never answered: no job was made, so none is a failed job
REFUSED = "refused"
JOB_SUFFIXES = (SUBMITTED, SUBMIT_TO_DONE, POLLS_PER_JOB, FROM_SCHEDULE, UNFINISHED, REFUSED)

# what stream_metrics records of a stream named N: "STREAM N stream", "STREAM N time to first token"...
WHOLE_STREAM = "stream"
TIME_TO_HEADERS = "time to headers"
TTFT = "time to first token"
ITL = "ITL"
TPOT = "TPOT"
OUTPUT_TOKENS = "output tokens"
TOKENS_PER_SECOND = "output tokens per second"
USAGE_MISMATCH = "usage mismatch"
STALLS = "stalls"
STREAM_SUFFIXES = (
    WHOLE_STREAM, TIME_TO_HEADERS, TTFT, ITL, TPOT, OUTPUT_TOKENS, TOKENS_PER_SECOND, USAGE_MISMATCH,
    STALLS,
)  # fmt: skip

#: entries whose "response time" is a count, not milliseconds: never plotted or judged as one
COUNTS = (SUBMITTED, POLLS_PER_JOB, TOKENS_PER_SECOND, STALLS, OUTPUT_TOKENS, USAGE_MISMATCH, REFUSED)
#: the entries fired once per job or stream, failed when it failed; the others (ITL once per token, polls per job,
#: time to first token...) are figures of one and never fail
OUTCOMES = (SUBMIT_TO_DONE, WHOLE_STREAM)


def suffixed(*suffixes: str) -> tuple[str, ...]:
    """``suffixes`` as a name ends with them (``" submit-to-done"``), for ``str.endswith``."""
    return tuple(f" {suffix}" for suffix in suffixes)
