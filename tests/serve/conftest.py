"""The app under test, serving the session's trained models instead of models/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ml.predict import Model
from ml.serve import create_app


@pytest.fixture(scope="session")
def served_models(meaning_model: Model, coach_model: Model) -> dict[str, Model]:
    return {"meaning": meaning_model, "coach": coach_model}


@pytest.fixture(scope="module")
def client(served_models: dict[str, Model]) -> Iterator[TestClient]:
    with TestClient(create_app(served_models.__getitem__)) as client:  # `with` runs the lifespan (loading)
        yield client
