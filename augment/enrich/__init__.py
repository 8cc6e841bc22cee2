"""Enrichment: validated records merged back into a Dataset, and the augmented ALS variants.

```python
from augment.enrich import enrich, augmented_variants
enriched = enrich(split.train, records, pseudo_weight=0.3, denoise_quantile=0.1)
models = augmented_variants(split, records, seed=0)   # als+attributes, als+pseudo, als+augmented
```
"""

from augment.enrich._core import (
    DEFAULT_CONFIDENCE_WEIGHTS,
    denoise,
    enrich,
    pseudo_interactions_frame,
)
from augment.enrich._features import attribute_features, profile_features
from augment.enrich.variants import VARIANTS, augmented_variants

__all__ = [
    "enrich",
    "denoise",
    "pseudo_interactions_frame",
    "DEFAULT_CONFIDENCE_WEIGHTS",
    "attribute_features",
    "profile_features",
    "augmented_variants",
    "VARIANTS",
]
