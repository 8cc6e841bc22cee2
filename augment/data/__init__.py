"""Data layer: the Dataset, its id vocabularies and loaders (DataFrames, CSV, Parquet,
MovieLens)."""

from augment.data.dataset import INTERACTION_COLUMNS, Dataset
from augment.data.loaders import dataset_from_frames, load_dataset
from augment.data.movielens import download_movielens, load_movielens
from augment.data.vocab import Vocabulary

__all__ = [
    "Dataset",
    "Vocabulary",
    "INTERACTION_COLUMNS",
    "dataset_from_frames",
    "load_dataset",
    "load_movielens",
    "download_movielens",
]
