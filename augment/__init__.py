"""augment: fix cold start in recommender systems with LLM-generated, schema-validated data."""

from augment.data import Dataset, Vocabulary
from augment.errors import (
    AugmentError,
    BudgetExceeded,
    ConfigError,
    DataError,
    ProviderError,
    SchemaError,
    ValidationFailed,
)
from augment.providers import Completion, Provider, Request, Usage

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Dataset",
    "Vocabulary",
    "AugmentError",
    "BudgetExceeded",
    "ConfigError",
    "DataError",
    "ProviderError",
    "SchemaError",
    "ValidationFailed",
    "Completion",
    "Provider",
    "Request",
    "Usage",
]
