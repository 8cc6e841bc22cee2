"""Contract suites: pytest test mixins a provider or a recommender must pass.

Subclass one in a test module (its name must start with ``Test``) and give it what it
needs; every ``test_*`` method then runs against your class::

    from augment.testing.contracts import ProviderContract
    from augment.testing.harness import OpenAIHarness

    class TestMyProvider(ProviderContract):
        @pytest.fixture
        def harness(self):
            h = OpenAIHarness()      # or a ProviderHarness of your own
            yield h
            h.close()

    from augment.testing.contracts import RecommenderContract

    class TestMyModel(RecommenderContract):
        def fit(self, split, seed):
            return MyModel(seed=seed).fit(split.train)

Needs ``pytest`` (the ``dev`` extra); import it from tests only.
"""

from augment.testing.contracts._provider import EDGE_CASES, ProviderContract, contract_request
from augment.testing.contracts._recommender import RecommenderContract

__all__ = ["ProviderContract", "RecommenderContract", "EDGE_CASES", "contract_request"]
