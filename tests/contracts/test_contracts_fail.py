"""The contract suites can fail: a provider and recommenders broken on purpose fail the
checks they break (run in a child pytest session, as a user's test module would be)."""

from __future__ import annotations

pytest_plugins = ["pytester"]

BROKEN_PROVIDER = '''
import pytest
from augment.errors import PermanentProviderError, ProviderError
from augment.providers.base import Completion, Usage
from augment.providers.openai import OpenAIProvider
from augment.testing import OpenAIServer
from augment.testing.contracts import ProviderContract, contract_request
from augment.testing.harness import OpenAIHarness


@pytest.fixture(scope="session", autouse=True)
def warm_sdk():
    """A first SDK call (slow lazy imports) before the short-timeout tests."""
    import asyncio
    with OpenAIServer() as srv:
        provider = OpenAIProvider(base_url=srv.base_url, api_key="sk-warm-0123", timeout=60)
        asyncio.run(provider.complete(contract_request()))


class CarelessProvider(OpenAIProvider):
    """Calls every failure permanent (losing its status) and drops usage and the
    truncation flag."""

    async def complete(self, request):
        try:
            comp = await super().complete(request)
        except ProviderError as exc:
            raise PermanentProviderError(str(exc), provider=self.name) from exc
        return Completion(comp.text, Usage(), comp.model)


class TestCareless(ProviderContract):
    @pytest.fixture
    def harness(self):
        h = OpenAIHarness()
        h.provider = CarelessProvider("gpt-contract", base_url=h.server.url + "/v1",
                                      api_key=h.secret, timeout=h.timeout)
        yield h
        h.close()
'''

BROKEN_RECOMMENDERS = '''
import numpy as np
from augment.evaluation import fit_baselines
from augment.features import with_item_features
from augment.recommend import ALSRecommender
from augment.testing.contracts import RecommenderContract


class Guessing(ALSRecommender):
    """Scores unknown ids 0 instead of NaN and recommends training items again."""

    def score(self, user_ids, item_ids=None):
        return np.nan_to_num(super().score(user_ids, item_ids), nan=0.0)

    def recommend(self, user_ids, k=10, candidates=None, exclude_seen=True):
        return super().recommend(user_ids, k, candidates, exclude_seen=False)


class TestGuessing(RecommenderContract):
    def fit(self, case, seed):
        return Guessing(factors=8, iterations=10, regularization=1.0, seed=seed).fit(
            with_item_features(case.split.train))


class TestRandomClaimingToLearn(RecommenderContract):
    def fit(self, case, seed):
        return fit_baselines(case.split, seed, include=["random"])["random"]
'''


def _outcomes(pytester, source: str) -> tuple[set[str], set[str]]:
    """(passed, failed) test names of ``source`` run by pytest in a child process (a child
    session in this process would leave re-imported SDK modules behind)."""
    pytester.makepyfile(test_broken=source)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-rA")
    out: dict[str, set[str]] = {"PASSED": set(), "FAILED": set()}
    for line in result.outlines:
        word, _, rest = line.partition(" ")
        if word in out and "::" in rest:
            out[word].add(rest.split(" - ")[0].split("::", 1)[1])
    return out["PASSED"], out["FAILED"]


def test_provider_contract_catches_a_careless_provider(pytester):
    passed, failed = _outcomes(pytester, BROKEN_PROVIDER)
    faults = {f"TestCareless::test_transient_failure[{k}]" for k in
              ("rate_limit", "server_error", "overloaded", "timeout", "drop", "truncated_body")}
    faults |= {f"TestCareless::test_permanent_failure[{k}]" for k in
               ("bad_request", "unauthorized", "forbidden", "not_found")}  # status lost
    assert failed == faults | {f"TestCareless::{t}" for t in (
        "test_usage_reported", "test_engine_sums_usage", "test_engine_retries_transient_only",
        "test_truncation_reported", "test_truncation_reaches_failures")}
    # what it does right still passes
    assert "TestCareless::test_request_reaches_backend_whole[reask]" in passed
    assert "TestCareless::test_schema_edge_case[nullable]" in passed


def test_recommender_contract_catches_broken_models(pytester):
    passed, failed = _outcomes(pytester, BROKEN_RECOMMENDERS)
    assert failed == {f"TestGuessing::{t}" for t in (
        "test_unknown_user_scores_nan", "test_unknown_item_scores_nan",
        "test_recommend_excludes_training_items", "test_recommend_unknown_user_gets_no_rows")} | {
        f"TestRandomClaimingToLearn::{t}" for t in (
            "test_ranks_unseen_warm_items_by_taste", "test_places_cold_items_by_taste")}
    assert "TestGuessing::test_ranks_unseen_warm_items_by_taste" in passed

