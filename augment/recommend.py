"""ALS recommender: a thin wrapper over ``implicit``'s CPU AlternatingLeastSquares.

- Owns the id vocabularies (those of the training Dataset): ids in, ids out;
  unknown users or items score NaN, never raise.
- Confidence = ``alpha * weight`` per interaction; negative weights mean
  "disliked", which implicit supports.
- Items with no training interaction (cold items) get factors from a ridge
  mapping learned on warm items from ``item_features`` to item factors
  (``cold_items="mapping"``), or all-zero factors (``cold_items="zero"``: every
  cold item then scores 0, so ranking among cold items is left to chance).
  With ``generated_items="prior"`` (default) generated interactions
  (``source == "generated"``) never enter the ALS sweeps: items whose
  interactions are all generated are folded in afterwards with a ridge prior
  centred on their mapped factor, and users with generated interactions on
  observed items (pseudo-interactions of cold users) get one ALS user update
  over all their rows against the final item factors. So generated data moves
  only the factors of the cold items and users it is about; items with observed
  interactions get fitted factors, and only they train the mapping.
- BLAS is limited to one thread (threadpoolctl) around implicit calls, as implicit
  asks; with a fixed ``seed`` two fits give the same factors. So, with one solver
  thread, the last few sweeps are memoised (keyed by the swept matrix and the ALS
  parameters), and so are the feature -> factor mappings (keyed by the features,
  the factors they are fit on and the penalty): models that differ only in what
  is folded in afterwards (generated rows with ``generated_items="prior"``)
  reuse both instead of repeating them, with the same factors a refit would give.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from augment.data.dataset import Dataset
from augment.data.tables import MAX_ABS_WEIGHT
from augment.data.vocab import Vocabulary
from augment.errors import ConfigError, DataError

__all__ = ["ALSRecommender", "ALSConfig", "solve_with_prior"]

log = logging.getLogger(__name__)

_SWEEPS: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_MAPS: OrderedDict[bytes, Ridge] = OrderedDict()
_CACHE_SIZE = 6


def _digest(*arrays: np.ndarray, extra: object) -> bytes:
    """A hash of the arrays' bytes and ``repr(extra)``: the key of a memoised result."""
    h = hashlib.blake2b(digest_size=20)
    for arr in arrays:
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(repr(extra).encode())
    return h.digest()


def _remember(cache: OrderedDict, key: bytes, value: object) -> None:
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)

ColdItems = Literal["mapping", "zero"]
GeneratedItems = Literal["prior", "fit"]


@dataclass(frozen=True)
class ALSConfig:
    """The ALS hyper-parameters a job sets (``[als]``); the defaults of :class:`ALSRecommender`."""

    factors: int = 64
    """Latent factors."""
    regularization: float = 50.0
    """L2 regularisation."""
    iterations: int = 15
    """ALS sweeps."""
    alpha: float = 10.0
    """Confidence scaling of interaction weights."""

    def params(self) -> dict[str, Any]:
        """Keyword arguments of :class:`ALSRecommender`."""
        return dataclasses.asdict(self)


class ALSRecommender:
    """Implicit-feedback ALS with a feature -> factor mapping for cold items.

    Parameters
    ----------
    factors
        Latent dimensions.
    regularization
        L2 penalty of ALS.
    iterations
        ALS sweeps.
    alpha
        Confidence scale: confidence = ``alpha * weight``.
    seed
        Seeds the initial factors (fixed seed -> same model).
    cold_items
        ``"mapping"``: items with no training interaction get factors from a ridge
        regression of warm items' factors on ``item_features`` (zero factors when
        the dataset has no features); ``"zero"``: they get zero factors.
    mapping_regularization
        Ridge penalty of that mapping.
    generated_items
        Items whose training interactions all have ``source == "generated"`` (the
        rows :func:`augment.enrich.enrich` adds for cold items): ``"prior"`` leaves
        them out of the ALS sweeps and folds them in afterwards against the fitted
        user factors, with the ridge prior centred on their mapped factor instead
        of zero (zero without a mapping), so a few generated picks move an item
        away from where its features put it rather than shrink it towards zero;
        ``"fit"`` fits them in ALS like any other item (generated data then also
        moves user factors). With ``"prior"``, users with generated interactions on
        items that have observed ones are re-solved after the sweeps (one ALS user
        update over their observed and generated rows against the final item
        factors): generated rows about cold users do not move any item factor, so
        warm users score exactly as without them. Without a ``source`` column every
        interaction is observed.
    prior_scale
        Ridge penalty of the fold-in as a multiple of ``regularization``: larger
        keeps an item closer to its mapped factor for the same picks.
    refit_scale
        L2 penalty of the user update of users with generated interactions on
        observed items, as a multiple of ``regularization``.
    num_threads
        Threads of implicit's solver (1 = deterministic and polite on shared machines).

    The defaults were chosen on validation data (how: CHANGELOG). With 0/1 weights
    the regularization is large relative to implicit's default (0.01) because
    confidence is ``1 + alpha * weight``-scaled sums over many items.
    """

    # fitted state: set by fit(), never None after it (see is_trained)
    user_vocab: Vocabulary
    item_vocab: Vocabulary
    user_factors: np.ndarray
    item_factors: np.ndarray
    _seen: sp.csr_matrix

    def __init__(self, factors: int = ALSConfig.factors,
                 regularization: float = ALSConfig.regularization,
                 iterations: int = ALSConfig.iterations, alpha: float = ALSConfig.alpha,
                 seed: int = 0, *, cold_items: ColdItems = "mapping",
                 mapping_regularization: float = 1.0, generated_items: GeneratedItems = "prior",
                 prior_scale: float = 2.0, refit_scale: float = 0.4,
                 num_threads: int = 1) -> None:
        if cold_items not in ("mapping", "zero"):
            raise ConfigError(f"cold_items must be 'mapping' or 'zero', got {cold_items!r}",
                              key="cold_items")
        if generated_items not in ("prior", "fit"):
            raise ConfigError(f"generated_items must be 'prior' or 'fit', got "
                              f"{generated_items!r}", key="generated_items")
        if prior_scale <= 0:
            raise ConfigError(f"prior_scale must be > 0, got {prior_scale}", key="prior_scale")
        if refit_scale < 0:
            raise ConfigError(f"refit_scale must be >= 0, got {refit_scale}", key="refit_scale")
        if factors < 1 or iterations < 1 or alpha <= 0 or regularization < 0:
            raise ConfigError("factors and iterations must be >= 1, alpha > 0, "
                              "regularization >= 0", key="als")
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.seed = seed
        self.cold_items = cold_items
        self.mapping_regularization = mapping_regularization
        self.generated_items = generated_items
        self.prior_scale = prior_scale
        self.refit_scale = refit_scale
        self.num_threads = num_threads
        self.mapped_items: np.ndarray = np.zeros(0, dtype=np.int64)
        self.prior_items: np.ndarray = np.zeros(0, dtype=np.int64)
        self.refit_users: np.ndarray = np.zeros(0, dtype=np.int64)

    def __repr__(self) -> str:
        return (f"ALSRecommender(factors={self.factors}, regularization={self.regularization}, "
                f"iterations={self.iterations}, alpha={self.alpha}, seed={self.seed}, "
                f"cold_items={self.cold_items!r}, generated_items={self.generated_items!r}, "
                f"refit_scale={self.refit_scale})")

    def _implicit_model(self) -> AlternatingLeastSquares:
        return AlternatingLeastSquares(
            factors=self.factors, regularization=self.regularization, alpha=self.alpha,
            iterations=self.iterations, random_state=self.seed, num_threads=self.num_threads)

    def fit(self, dataset: Dataset) -> ALSRecommender:
        """Fit on ``dataset.interactions`` (weights, incl. negative) and its item features.

        With ``generated_items="prior"`` and a ``source`` column, the sweeps see the
        observed rows only. Items whose training interactions are all
        ``"generated"`` are folded in afterwards, each solved against the fitted
        user factors with the ridge prior centred on its mapped factor
        (:func:`solve_with_prior`); then users with generated rows on observed items
        get an ALS user update over all their rows (``refit_users``).
        """
        matrix = dataset.matrix()
        _check_finite(matrix, dataset.name)
        has_data = np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0
        observed = has_data & self._observed_items(dataset, matrix.shape[1])
        prior = self.generated_items == "prior"
        fold_in = (np.flatnonzero(has_data & ~observed) if prior
                   else np.zeros(0, dtype=np.int64))
        fit_matrix = matrix
        refit_users = np.zeros(0, dtype=np.int64)
        if prior and "source" in dataset.interactions.columns:
            # the sweeps see observed rows only; generated rows come back in the fold-ins
            real = (dataset.interactions["source"] != "generated").to_numpy()
            if not real.all():
                fit_matrix = dataset.matrix(dataset.interactions[real])
                fit_matrix.eliminate_zeros()
                gen = dataset.interactions[~real]
                gen_items = dataset.item_vocab.index(gen["item_id"])
                on_observed = (gen_items >= 0) & observed[np.maximum(gen_items, 0)]
                gen_users = dataset.user_vocab.index(gen.loc[on_observed, "user_id"])
                refit_users = np.unique(gen_users[gen_users >= 0])
        users, items = self._sweeps(fit_matrix)
        self.user_vocab, self.item_vocab = dataset.user_vocab, dataset.item_vocab
        users[np.diff(fit_matrix.indptr) == 0] = 0.0
        cold = np.flatnonzero(~has_data)
        items[cold] = 0.0
        items[fold_in] = 0.0
        self.mapped_items = np.zeros(0, dtype=np.int64)
        self.prior_items = fold_in
        mapped = None
        if self.cold_items == "mapping" and (len(cold) or len(fold_in)):
            mapped = self._map(dataset.item_features, items, observed,
                               np.concatenate([cold, fold_in]))
        if mapped is not None:
            items[cold] = mapped[:len(cold)]
            self.mapped_items = cold
        if len(fold_in):
            centre = (mapped[len(cold):] if mapped is not None
                      else np.zeros((len(fold_in), self.factors), dtype=np.float32))
            conf = self.alpha * matrix[:, fold_in].T.tocsr()
            items[fold_in] = solve_with_prior(conf, users, self.prior_scale * self.regularization,
                                              centre)
        if len(refit_users):
            # users with generated rows on observed items: one ALS user update over all
            # their rows (observed + generated) against the final item factors
            conf = self.alpha * matrix[refit_users]
            users[refit_users] = solve_with_prior(
                conf, items, self.refit_scale * self.regularization,
                np.zeros((len(refit_users), self.factors), dtype=np.float32))
        self.refit_users = refit_users
        self.user_factors, self.item_factors = users, items
        self._seen = matrix
        log.info("ALS fitted: %d users, %d items (%d without interactions, %d mapped, "
                 "%d with generated interactions only folded in; %d users re-solved with "
                 "their generated interactions)", len(users), len(items), len(cold),
                 len(self.mapped_items), len(fold_in), len(refit_users))
        return self

    def _sweeps(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """implicit's ALS sweeps on ``matrix``: (user factors, item factors), fresh copies.

        With one solver thread the result is a function of the matrix and the
        parameters, so the last few are memoised (see the module docstring).
        """
        key = None
        if self.num_threads == 1:
            key = _digest(matrix.indptr, matrix.indices, matrix.data,
                          extra=(matrix.shape, self.factors, self.regularization, self.alpha,
                                 self.iterations, self.seed))
            if key in _SWEEPS:
                _SWEEPS.move_to_end(key)
                users, items = _SWEEPS[key]
                return users.copy(), items.copy()
        with threadpool_limits(1, "blas"):
            model = self._implicit_model()
            model.fit(matrix, show_progress=False)
        users = np.asarray(model.user_factors, dtype=np.float32).copy()
        items = np.asarray(model.item_factors, dtype=np.float32).copy()
        if key is not None:
            _remember(_SWEEPS, key, (users.copy(), items.copy()))
        return users, items

    @staticmethod
    def _observed_items(dataset: Dataset, n_items: int) -> np.ndarray:
        """Items with at least one interaction not marked ``source == "generated"``."""
        inter = dataset.interactions
        if "source" not in inter.columns:
            return np.ones(n_items, dtype=bool)
        real = inter.loc[(inter["source"] != "generated").to_numpy() & (inter["weight"] != 0)
                         .to_numpy(), "item_id"]
        idx = dataset.item_vocab.index(pd.unique(real))
        out = np.zeros(n_items, dtype=bool)
        out[idx[idx >= 0]] = True
        return out

    def _map(self, features: sp.csr_matrix | None, items: np.ndarray, observed: np.ndarray,
             targets: np.ndarray) -> np.ndarray | None:
        """Ridge mapping features -> factors, fit on items with observed interactions.

        Returns the mapped factors of ``targets``, or None without item features.
        """
        if features is None or features.shape[1] == 0:
            log.info("no item_features: %d items without interactions get zero factors",
                     len(targets))
            return None
        if features.shape[0] != len(items):
            raise ConfigError(f"item_features has {features.shape[0]} rows but the dataset has "
                              f"{len(items)} items; align its rows with item_vocab",
                              key="item_features")
        features = sp.csr_matrix(features)
        train = np.flatnonzero(observed)
        key = _digest(features.indptr, features.indices, features.data, train, items[train],
                      extra=(features.shape, self.mapping_regularization, self.seed))
        ridge = _MAPS.get(key)
        if ridge is None:
            with threadpool_limits(1, "blas"):
                ridge = Ridge(alpha=self.mapping_regularization, fit_intercept=True,
                              solver="sparse_cg", random_state=self.seed)
                ridge.fit(features[train], items[train])
            _remember(_MAPS, key, ridge)
        _MAPS.move_to_end(key)
        with threadpool_limits(1, "blas"):
            return ridge.predict(features[targets]).astype(np.float32)

    def is_trained(self) -> bool:
        """True once :meth:`fit` has run."""
        return hasattr(self, "user_factors")

    def _check_fitted(self) -> None:
        if not self.is_trained():
            raise ConfigError("the model is not fitted; call fit(dataset) first")

    def score(self, user_ids: Iterable[object], item_ids: Iterable[object] | None = None
              ) -> np.ndarray:
        """Scores, shape ``(len(user_ids), len(item_ids))``; NaN for unknown users or items.

        ``item_ids=None`` scores every item of the training vocabulary (in its order).
        """
        self._check_fitted()
        uidx = self.user_vocab.index(list(user_ids))
        iidx = (np.arange(len(self.item_vocab)) if item_ids is None
                else self.item_vocab.index(list(item_ids)))
        u = self.user_factors[np.maximum(uidx, 0)]
        v = self.item_factors[np.maximum(iidx, 0)]
        out = (u @ v.T).astype(np.float64)
        out[uidx < 0, :] = np.nan
        out[:, iidx < 0] = np.nan
        return out

    def recommend(self, user_ids: Iterable[object], k: int = 10,
                  candidates: Iterable[object] | None = None,
                  exclude_seen: bool = True) -> pd.DataFrame:
        """Top-``k`` items per known user: DataFrame(user_id, item_id, score, rank).

        ``candidates`` restricts the items (default: all); ``exclude_seen`` drops the
        user's training items. Unknown users get no rows.
        """
        self._check_fitted()
        users = list(user_ids)
        items = (self.item_vocab.ids if candidates is None
                 else np.asarray([i for i in candidates if i in self.item_vocab], dtype=object))
        scores = self.score(users, items)
        if exclude_seen:
            uidx = self.user_vocab.index(users)
            iidx = self.item_vocab.index(items)
            known = uidx >= 0
            seen = np.zeros(scores.shape, dtype=bool)
            seen[known] = self._seen[uidx[known]][:, iidx].toarray() != 0
            scores[seen] = np.nan
        rows = []
        for r, user in enumerate(users):
            s = scores[r]
            valid = np.flatnonzero(~np.isnan(s))
            top = valid[np.argsort(-s[valid], kind="stable")[:k]]
            rows += [(user, items[j], float(s[j]), n + 1) for n, j in enumerate(top)]
        return pd.DataFrame(rows, columns=["user_id", "item_id", "score", "rank"])


def _check_finite(matrix: sp.csr_matrix, name: str) -> None:
    """ALS never sees a NaN, an inf or a weight past ``MAX_ABS_WEIGHT`` (they turn the
    factors into NaN); the loaders reject such rows first, this guards DataFrames built
    by hand."""
    data = np.asarray(matrix.data, dtype=np.float64)
    bad = ~(np.abs(data) <= MAX_ABS_WEIGHT)
    if bad.any():
        raise DataError(f"{int(bad.sum())} interaction weights are not finite or outside "
                        f"[-{MAX_ABS_WEIGHT:g}, {MAX_ABS_WEIGHT:g}] (summed per user and item); "
                        "fix or rescale the weights", file=name, column="weight")


def solve_with_prior(conf: sp.csr_matrix, other: np.ndarray, regularization: float,
                     prior: np.ndarray) -> np.ndarray:
    """ALS rows solved against fixed factors, starting from ``prior`` instead of zero.

    Row ``r`` of ``conf`` holds confidences ``c = alpha * weight`` against the rows
    of ``other`` (the fitted factors of the other side, ``O``). As in ``implicit``
    0.7, a negative confidence means preference 0 with confidence ``|c|``: it adds
    ``(|c| - 1) o o^T`` to the normal equations and nothing to the right-hand side;
    a positive one adds ``(c - 1) o o^T`` and ``c o``. The evidence of the
    missing pairs and the ridge penalty (``O^T O + lambda I``) is centred on
    ``prior_r`` instead of zero:

        x_r = (O^T O + lambda I + sum (|c| - 1) o o^T)^-1
              ((O^T O + lambda I) prior_r + sum_{c > 0} c o)

    So a row without confidences keeps ``prior_r`` (as an item with no
    interaction keeps its mapped factor), and as the confidences grow ``x_r``
    tends to the picks' least-squares fit; with ``prior_r = 0`` it is exactly
    implicit's ALS update.
    """
    conf = sp.csr_matrix(conf)
    other64 = np.asarray(other, dtype=np.float64)
    k = other64.shape[1]
    gram = other64.T @ other64 + regularization * np.eye(k)
    out = np.empty((conf.shape[0], k), dtype=np.float64)
    for r in range(conf.shape[0]):
        lo, hi = conf.indptr[r], conf.indptr[r + 1]
        c = conf.data[lo:hi].astype(np.float64)
        o = other64[conf.indices[lo:hi]]
        a = gram + (o.T * (np.abs(c) - 1.0)) @ o
        b = gram @ np.asarray(prior[r], dtype=np.float64) + o[c > 0].T @ c[c > 0]
        out[r] = np.linalg.solve(a, b)
    return out.astype(np.float32)
