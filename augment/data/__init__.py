"""Data layer: the Dataset, its id vocabularies and loaders (DataFrames, CSV, Parquet,
MovieLens), and your own tables read through a column mapping and a feedback rule from
files, Parquet folders, SQL databases or DuckDB (:func:`read_mapped`)."""

from augment.data.dataset import INTERACTION_COLUMNS, Dataset
from augment.data.feedback import FeedbackRule
from augment.data.loaders import dataset_from_frames, load_dataset
from augment.data.mapped import MappedData, load_mapped, read_mapped
from augment.data.mapping import ColumnMapping
from augment.data.movielens import download_movielens, load_movielens
from augment.data.sources import DuckDBSource, FileSource, SQLSource
from augment.data.vocab import Vocabulary

__all__ = [
    "Dataset",
    "Vocabulary",
    "INTERACTION_COLUMNS",
    "dataset_from_frames",
    "load_dataset",
    "load_movielens",
    "download_movielens",
    "ColumnMapping",
    "FeedbackRule",
    "read_mapped",
    "load_mapped",
    "MappedData",
    "FileSource",
    "SQLSource",
    "DuckDBSource",
]
