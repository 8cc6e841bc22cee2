"""[als] device: auto / cpu / gpu, with implicit's CUDA check replaced by a fake."""

from __future__ import annotations

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import augment.recommend as R
from augment.data import Dataset
from augment.errors import ConfigError
from augment.jobs.config import ALSConfig, JobConfig, job_hash
from augment.recommend import ALSRecommender, resolve_device


@pytest.fixture
def cuda(monkeypatch):
    """Set what the CUDA check answers: ``cuda(True)``."""
    def set_(value: bool) -> None:
        monkeypatch.setattr(R, "cuda_available", lambda: value)
    return set_


def test_auto_follows_cuda(cuda):
    cuda(True)
    assert resolve_device("auto") == "gpu"
    assert resolve_device("cpu") == "cpu"
    cuda(False)
    assert resolve_device("auto") == "cpu"


def test_gpu_without_cuda_is_a_clear_error(cuda):
    cuda(False)
    with pytest.raises(ConfigError, match="no CUDA"):
        resolve_device("gpu")
    with pytest.raises(ConfigError, match="als.device"):
        ALSRecommender(device="tpu")


def test_gpu_builds_implicits_gpu_model(cuda):
    cuda(True)
    model = ALSRecommender(factors=8, device="auto")
    from implicit.cpu.als import AlternatingLeastSquares as CPUALS
    from implicit.gpu.als import AlternatingLeastSquares as GPUALS

    assert resolve_device(model.device) == "gpu"
    with threadpool_limits(1, "blas"):
        assert model._implicit_model("cpu").__class__ is CPUALS
    try:
        gpu = model._implicit_model("gpu")
    except (ValueError, RuntimeError, NotImplementedError):  # no CUDA build here: refused
        pytest.skip("implicit without CUDA cannot build its GPU model on this machine")
    assert isinstance(gpu, GPUALS)


def test_fit_states_the_device_used(cuda, rng):
    cuda(False)
    inter = pd.DataFrame({"user_id": rng.integers(0, 30, 200), "item_id": rng.integers(0, 20, 200),
                          "weight": 1.0}).drop_duplicates(["user_id", "item_id"])
    data = Dataset(interactions=inter, items=pd.DataFrame({"item_id": range(20)}))
    model = ALSRecommender(factors=4, iterations=2).fit(data)
    assert model.device_used == "cpu"


def test_device_is_a_job_key_outside_the_hash():
    base = JobConfig()
    assert base.als.device == "auto"
    assert job_hash(base) == job_hash(JobConfig(als=ALSConfig(device="cpu")))
    assert ALSConfig(device="gpu").params()["device"] == "gpu"
