"""Batch mode: the same work items, sent in provider batches at the batch price.

A batch run is a loop of rounds. Each round first moves every open batch of the
store as far as it goes (upload -> create -> poll -> download), recording each
id *before* the next step (:mod:`augment.engine.batch_log`); then walks every
unfinished item through the completion cache (:mod:`augment.engine.walk`,
exactly as online: parse, schema, check, re-ask, truncation) and collects the
requests that still need an answer. Those not already in an open batch go into
new batches, split under the provider's limits (requests and bytes). Re-asks
are simply the next round's requests. Cache hits never enter a batch.

Because every step is recorded first, a process killed anywhere re-attaches on
rerun: a batch with a stored id is polled, one whose create was sent but whose
id was lost is found again by its tag, an upload whose id was lost is uploaded
again (an unused file costs nothing). A row is submitted at most once per
attempt; rows that come back expired, cancelled or errored are resubmitted once,
as their own batch, and fail with that reason if they fail again.

Without ``EngineConfig.wait`` the run raises :class:`~augment.errors.BatchesInFlight`
while batches are running; run again to re-attach.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from augment.engine.batch_log import OPEN_STATES, BatchEntry
from augment.engine.cost import max_output_tokens, request_tokens
from augment.engine.progress import Progress
from augment.engine.runner import RESERVE_INPUT_FACTOR, Engine, _now, _Run
from augment.engine.types import RunResult, WorkItem
from augment.engine.walk import Need, Outcome
from augment.errors import BatchesInFlight, ConfigError, TransientProviderError
from augment.providers.base import BatchInfo, BatchProvider, Completion, Request, Usage

__all__ = ["BatchRun", "cancel_batches"]

log = logging.getLogger("augment.engine")

FIND_SKEW_S = 60.0
"""A lost batch is looked for among batches created at most this long before its create
was sent (clock skew between us and the provider)."""

FAILED_ROW = ("expired", "cancelled", "errored")

ADVANCE_CONCURRENCY = 8
"""Batches moved forward (uploaded, created, polled, downloaded) at once."""
"""Row outcomes that are resubmitted once."""


class BatchRun(_Run):
    """One batch-mode run of the engine (see the module doc)."""

    def __init__(self, engine: Engine, items: list[WorkItem], desc: str | None) -> None:
        super().__init__(engine, items, desc)
        provider = engine.provider
        if not isinstance(provider, BatchProvider):
            raise ConfigError(f"provider {provider.name}/{provider.model} has no batch API: use "
                              "mode = \"online\", or the openai or anthropic provider",
                              key="engine.mode")
        self.bp: BatchProvider = provider
        limit = provider.batch_limits.max_requests
        if self.cfg.batch_max_requests:
            limit = min(limit, self.cfg.batch_max_requests)
        self.max_requests = max(1, limit)
        self.max_bytes = provider.batch_limits.max_bytes
        self._creating = asyncio.Lock()
        """One create in flight at a time: after a kill at most one batch can have lost its
        id, so finding it again is never ambiguous (Anthropic batches carry no tag)."""

    async def execute(self) -> RunResult:
        stored = self.e._stored(self.items)
        n = len(self.items)
        out: list[dict[str, Any] | None] = [None] * n
        ok = [False] * n
        progress = Progress(n, self.desc, self.cfg.progress)
        pending: list[int] = []
        for i, item in enumerate(self.items):
            rec = self.stored_record(item, self.e._hash(item.request), stored)
            if rec is None:
                pending.append(i)
            else:
                ok[i], out[i] = True, rec
                progress.update(cached=True, cost=self.result.cost_usd)
        self.cached_before = self.e.store.has_completions(
            [self.e._hash(self.items[i].request) for i in pending])
        """First requests answered before this invocation: their records count as cached."""
        delay = self.cfg.poll_initial_s
        try:
            while True:
                needs = self._walk(pending, ok, out, progress)
                pending = [i for group in needs.values() for _, i in group]
                if not needs:
                    break
                if await self._advance_all(needs, progress):
                    continue  # results arrived: walk again (re-asks go in the next round)
                if self._submit(needs, ok, out, progress):
                    continue
                pending = [i for i in pending if out[i] is None]
                mine = self._mine(needs)
                if not mine:  # nothing in flight and nothing could be sent (budget)
                    self._fail_rest(pending, out, progress)
                    break
                if not self.cfg.wait:
                    ids = [b.batch_id or b.local_id for b in mine]
                    raise BatchesInFlight(
                        f"{len(mine)} provider batches still running ({len(pending)} "
                        f"requests); nothing is lost: run the same command again to re-attach "
                        "(never resubmits), or add --wait to poll until they end",
                        batch_ids=ids, pending=len(pending))
                log.info("waiting %.1fs for %d batches (%d requests)", delay, len(mine),
                         len(pending))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.cfg.poll_max_s)
        finally:
            progress.close()
        return self.finish(ok, out)

    def _mine(self, needs: dict[str, list[tuple[Need, int]]]) -> list[BatchEntry]:
        """Open batches of this provider holding at least one request this run needs."""
        store = self.e.store
        return [b for b in store.batches(OPEN_STATES)
                if b.provider == self.pname and b.model == self.pmodel
                and not needs.keys().isdisjoint(store.batch_custom_ids(b.local_id))]

    def _fail_rest(self, pending: list[int], out: list[dict[str, Any] | None],
                   progress: Progress) -> None:
        for i in pending:
            if out[i] is None:
                out[i] = self._failure(self.items[i], "budget", "not attempted: the next "
                                       f"request could exceed max_cost_usd={self.cfg.max_cost_usd}"
                                       "; raise the budget and run again", None, 0, Usage())
                progress.update(failed=True, cost=self.result.cost_usd)
        self.stopped = True

    # walking ---------------------------------------------------------------------------------
    def _walk(self, pending: list[int], ok: list[bool], out: list[dict[str, Any] | None],
              progress: Progress) -> dict[str, list[tuple[Need, int]]]:
        """Walk pending items; finished ones are settled, the rest grouped by needed request."""
        needs: dict[str, list[tuple[Need, int]]] = {}
        for i in pending:
            item = self.items[i]
            h0 = self.e._hash(item.request)
            steps = self.walk(item, h0)
            try:
                need = next(steps)
            except StopIteration as stop:
                outcome: Outcome = stop.value
                outcome.called = h0 not in self.cached_before
                ok[i] = self.conclude(item, h0, outcome)
                out[i] = self.row(item, h0, outcome)
                progress.update(failed=not ok[i], cost=self.result.cost_usd)
                continue
            needs.setdefault(need.request_hash, []).append((need, i))
        return needs

    # submitting ------------------------------------------------------------------------------
    def _submit(self, needs: dict[str, list[tuple[Need, int]]], ok: list[bool],
                out: list[dict[str, Any] | None], progress: Progress) -> int:
        """New batches for needed requests in no open batch; returns how many were made."""
        history = self.e.store.row_history()
        fresh: list[tuple[str, Need]] = []
        retry: list[tuple[str, Need]] = []
        for h, group in needs.items():
            past = history.get(h, [])
            if any(state in OPEN_STATES for state, _, _ in past):
                continue  # in a batch that has not ended: wait for it
            failed = [(o, e) for state, o, e in past if o in FAILED_ROW]
            if len(failed) >= 2:
                reason = str(failed[-1][0])
                error = "; ".join(f"attempt {k + 1}: {o}" + (f" ({e})" if e else "")
                                  for k, (o, e) in enumerate(failed))
                for _, i in group:
                    out[i] = self._failure(self.items[i], f"batch_{reason}",
                                           f"batch row failed twice: {error}", None, 0, Usage())
                    progress.update(failed=True, cost=self.result.cost_usd)
                continue
            (retry if failed else fresh).append((h, group[0][0]))
        made = 0
        for attempt, rows in ((1, fresh), (2, retry)):
            for chunk in self._chunks(rows):
                if not self._afford(chunk, needs, out, progress):
                    return made
                self._record(chunk, attempt)
                made += 1
        return made

    def _chunks(self, rows: list[tuple[str, Need]]) -> list[list[tuple[str, Need, bytes]]]:
        """Rows split under the provider's request and byte limits."""
        chunks: list[list[tuple[str, Need, bytes]]] = []
        current: list[tuple[str, Need, bytes]] = []
        size = 0
        for h, need in rows:
            line = self.bp.batch_line(h, need.request)
            if current and (len(current) >= self.max_requests
                            or size + len(line) + 1 > self.max_bytes):
                chunks.append(current)
                current, size = [], 0
            current.append((h, need, line))
            size += len(line) + 1
        if current:
            chunks.append(current)
        return chunks

    def _worst(self, need: Need) -> float:
        n_in = int(request_tokens(need.request) * RESERVE_INPUT_FACTOR)
        return self.e.price.cost(Usage(n_in, max_output_tokens(need.request)))

    def _afford(self, chunk: list[tuple[str, Need, bytes]],
                needs: dict[str, list[tuple[Need, int]]], out: list[dict[str, Any] | None],
                progress: Progress) -> bool:
        """True when the chunk's worst case fits the budget; else it is cut to what fits."""
        budget = self.cfg.max_cost_usd
        if budget is None:
            return True
        spend = self.e.store.spend()
        room = budget - spend.spent - spend.reserved
        total = 0.0
        for k, (_, need, _) in enumerate(chunk):
            total += self._worst(need)
            if total > room:
                if spend.reserved > 0 and k == 0:
                    return False  # batches in flight may free budget: wait for them
                self.stopped = True
                for h, _, _ in chunk[k:]:
                    for _, i in needs[h]:
                        out[i] = self._failure(self.items[i], "budget", "not attempted: the "
                                               "next request could exceed max_cost_usd="
                                               f"{budget}; raise the budget and run again",
                                               None, 0, Usage())
                        progress.update(failed=True, cost=self.result.cost_usd)
                del chunk[k:]
                return bool(chunk)
        return True

    def _record(self, chunk: list[tuple[str, Need, bytes]], attempt: int) -> None:
        local_id = f"augment-{uuid.uuid4().hex[:16]}"
        self.e.store.add_batch(local_id, self.pname, self.pmodel,
                               [(h, line) for h, _, line in chunk], attempt,
                               info={"base_url": getattr(self.bp, "base_url", None)})
        self.e.store.reserve(f"batch:{local_id}", sum(self._worst(n) for _, n, _ in chunk),
                             batch=local_id)
        log.info("batch %s: %d requests recorded (attempt %d)", local_id, len(chunk), attempt)

    # advancing -------------------------------------------------------------------------------
    async def _advance_all(self, needs: dict[str, list[tuple[Need, int]]],
                           progress: Progress) -> bool:
        """Advance this run's open batches; True when some batch's results were stored."""
        requests = {h: group[0][0].request for h, group in needs.items()}
        gate = asyncio.Semaphore(ADVANCE_CONCURRENCY)

        async def advance(entry: BatchEntry) -> bool:
            async with gate:
                try:
                    return await self._advance(entry, requests)
                except TransientProviderError as exc:
                    log.warning("batch %s: %s; will try again at the next poll", entry.local_id,
                                exc)
                    return False

        downloaded = any(await asyncio.gather(*(advance(b) for b in self._mine(needs))))
        counts = [b.counts for b in self.e.store.batches(("created",))]
        progress.note(batches=len(counts), done=sum(c.get("done", 0) for c in counts),
                      total=sum(c.get("total", 0) for c in counts))
        return downloaded

    async def _retry(self, fn: Any) -> Any:
        result, _ = await self.policy.call(fn)
        return result

    async def _advance(self, b: BatchEntry, requests: dict[str, Request]) -> bool:
        """Move one batch as far as it goes, storing each id before the next step; True when
        its results were stored."""
        store = self.e.store
        lines = [line for _, line in store.batch_lines(b.local_id)]
        if b.state == "new":
            upload_id = await self._retry(lambda: self.bp.batch_upload(lines, b.local_id))
            store.update_batch(b.local_id, state="uploaded", upload_id=upload_id)
            b.state, b.upload_id = "uploaded", upload_id
        if b.state == "uploaded":
            async with self._creating:
                await self._create(b, lines)
        if b.state in ("created", "ended"):
            assert b.batch_id is not None
            batch_id = b.batch_id
            info = await self._retry(lambda: self.bp.batch_poll(batch_id))
            state = "ended" if info.ended else "created"
            store.update_batch(b.local_id, state=state, provider_state=info.state,
                               counts=_counts(info), error=info.error)
            if info.ended:
                await self._download(b, info, requests)
                return True
        return False

    async def _create(self, b: BatchEntry, lines: list[bytes]) -> None:
        """Create the batch, or re-attach to it when a create was sent but its id was lost."""
        store = self.e.store
        info: BatchInfo | None = None
        if b.info.get("create_sent"):
            known = {x.batch_id for x in store.batches() if x.batch_id}
            since = float(b.info["create_sent"]) - FIND_SKEW_S
            info = await self._retry(lambda: self.bp.batch_find(b.local_id, b.n_rows, since,
                                                                known))
            if info is not None:
                log.info("batch %s: re-attached to %s after a lost create", b.local_id,
                         info.batch_id)
        if info is None:
            b.info = {**b.info, "create_sent": time.time()}
            store.update_batch(b.local_id, info=b.info)
            # no retry here: a create that failed may still have made the batch; the next
            # round looks for it first (find), then creates
            info = await self.bp.batch_create(lines, b.upload_id, b.local_id)
            self.result.n_batches += 1
        store.update_batch(b.local_id, state="created", batch_id=info.batch_id,
                           provider_state=info.state, counts=_counts(info))
        b.state, b.batch_id = "created", info.batch_id

    async def _download(self, b: BatchEntry, info: BatchInfo,
                        requests: dict[str, Request]) -> None:
        store = self.e.store
        rows = await self._retry(lambda: self.bp.batch_results(info, requests))
        ours = set(store.batch_custom_ids(b.local_id))
        done: list[tuple[str, Completion]] = []
        outcomes: dict[str, tuple[str, str | None]] = {}
        paid: list[tuple[str, Completion]] = []
        for row in rows:
            if row.custom_id not in ours:
                continue
            if row.completion is not None:
                paid.append((row.custom_id, row.completion))
                if row.custom_id in requests:  # else no longer needed: paid, not kept
                    done.append((row.custom_id, row.completion))
                outcomes[row.custom_id] = ("succeeded", None)
            else:
                outcomes[row.custom_id] = (row.reason or "errored", row.error)
        missing = _missing_reason(info)
        for cid in ours - outcomes.keys():
            outcomes[cid] = missing
        costs = [(f"batch:{b.local_id}:{cid}", self.e.price.cost(c.usage)) for cid, c in paid]
        store.put_completions(done, _now())
        store.pay_many(costs, batch=b.local_id)
        store.set_row_outcomes(b.local_id, [(cid, o, e) for cid, (o, e) in outcomes.items()])
        cost = sum(c for _, c in costs)
        self.spent += cost
        self.result.cost_usd += cost
        self.result.n_calls += len(paid)
        for _, comp in paid:
            self.result.usage = self.result.usage + comp.usage
        failed = len(outcomes) - len(paid)
        log.info("batch %s (%s) %s: %d answers, %d failed rows, $%.4f", b.local_id, b.batch_id,
                 info.state, len(done), failed, cost)


def _counts(info: BatchInfo) -> dict[str, int]:
    counts = dict(info.counts)
    counts.setdefault("done", sum(v for k, v in counts.items() if k not in ("total", "processing")))
    return counts


def _missing_reason(info: BatchInfo) -> tuple[str, str | None]:
    """Outcome of a row the provider returned nothing for."""
    state = info.state.lower()
    if "expire" in state:
        return "expired", "the batch expired before this row ran"
    if "cancel" in state:
        return "cancelled", "the batch was cancelled before this row ran"
    return "errored", info.error or f"no result for this row (batch {info.state})"


async def cancel_batches(engine: Engine) -> list[BatchInfo]:
    """Ask the provider to cancel every open batch of ``engine``'s store and provider."""
    provider = engine.provider
    if not isinstance(provider, BatchProvider):
        raise ConfigError(f"provider {provider.name}/{provider.model} has no batch API")
    out: list[BatchInfo] = []
    for b in engine.store.batches(("created",)):
        if b.provider == provider.name and b.model == provider.model and b.batch_id:
            info = await provider.batch_cancel(b.batch_id)
            engine.store.update_batch(b.local_id, provider_state=info.state,
                                      counts=_counts(info))
            out.append(info)
    return out

