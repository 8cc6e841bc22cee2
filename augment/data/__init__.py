"""Data layer: the Dataset, its id vocabularies and loaders."""

from augment.data.dataset import INTERACTION_COLUMNS, Dataset
from augment.data.vocab import Vocabulary

__all__ = ["Dataset", "Vocabulary", "INTERACTION_COLUMNS"]
