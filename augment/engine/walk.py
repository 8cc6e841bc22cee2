"""One work item's conversation, shared by online and batch mode.

:func:`walk` is a generator: it answers each request of the item's conversation
from the completion cache and yields a :class:`Need` when a request has no
answer yet. Online mode sends it and ``send()``\\ s the completion back; batch
mode collects every item's need into a provider batch, stores the results in
the cache and walks again. Either way the same rules apply:

* a parsed, schema-valid answer that passes the item's check ends the walk;
* an invalid answer is re-asked with its errors quoted, at most ``max_reasks`` times;
* a truncated answer (the token cap cut it) is never re-asked with the same cap:
  it is retried once with a larger cap (at most ``truncation_max_tokens``), else
  the item fails with reason ``truncated``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from augment.engine.cost import max_output_tokens
from augment.engine.types import WorkItem
from augment.engine.validate import reask_message
from augment.providers.base import Completion, Request, Usage

__all__ = ["Need", "Outcome", "walk", "CheckCrashed", "Walk"]


class CheckCrashed(Exception):
    """The item's check raised (a bug in the task, not a bad answer)."""


@dataclass(frozen=True)
class Need:
    """A request of the conversation that has no answer yet."""

    request: Request
    request_hash: str


@dataclass
class Outcome:
    """How an item's conversation ended."""

    ok: bool
    output: Any = None
    reason: str = ""
    """Failure reason: ``validation``, ``truncated`` or ``check``."""
    error: str = ""
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    last_text: str | None = None
    called: bool = False
    """True if a completion came from a call in this walk (not from the cache)."""


Walk = Generator[Need, Completion, Outcome]
Checker = Callable[[str, Request, WorkItem], tuple[Any, list[str]]]


def walk(item: WorkItem, *, hash_of: Callable[[Request], str],
         cached: Callable[[str], Completion | None], check_text: Checker, max_reasks: int,
         truncation_max_tokens: int, first_hash: str | None = None) -> Walk:
    """Walk ``item``'s conversation (see the module doc); returns its :class:`Outcome`."""
    req = item.request
    r = req
    h = first_hash or hash_of(r)
    usage = Usage()
    attempts = reasks = 0
    widened = called = False
    last_text: str | None = None
    while True:
        comp = cached(h)
        if comp is None:
            comp = yield Need(r, h)
            called = True
        attempts += 1
        usage = usage + comp.usage
        last_text = comp.text
        if comp.truncated:
            cap = max_output_tokens(r)
            wider = min(cap * 2, truncation_max_tokens)
            if widened or wider <= cap:
                return Outcome(False, reason="truncated", error=(
                    f"the answer was cut at the token cap ({cap} tokens"
                    + (", already retried with a larger cap" if widened else "")
                    + "); raise params.max_tokens or EngineConfig.truncation_max_tokens"),
                    attempts=attempts, usage=usage, last_text=last_text, called=called)
            r = Request(r.messages, r.schema, r.schema_name, {**r.params, "max_tokens": wider},
                        r.prompt_version)
            widened = True
            h = hash_of(r)
            continue
        try:
            output, errors = check_text(comp.text, req, item)
        except CheckCrashed as exc:
            return Outcome(False, reason="check", error=str(exc), attempts=attempts,
                           usage=usage, last_text=last_text, called=called)
        if not errors:
            return Outcome(True, output=output, attempts=attempts, usage=usage,
                           last_text=last_text, called=called)
        if reasks >= max_reasks:
            return Outcome(False, reason="validation", error="; ".join(errors[:5]),
                           attempts=attempts, usage=usage, last_text=last_text, called=called)
        reasks += 1
        r = r.with_messages([*r.messages, {"role": "assistant", "content": comp.text},
                             {"role": "user", "content": reask_message(errors)}])
        h = hash_of(r)
