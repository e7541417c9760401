"""The HTTP API: every route, every kind of bad input, the limits, and equality with the library."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ml.config import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS
from ml.errors import InputError
from ml.predict import Model, load_model
from ml.serve import create_app, schemas
from ml.serve.app import BODY_LIMIT, STATIC_DIR
from ml.tasks import TASKS


def field_errors(response) -> list[tuple[str | int, ...]]:
    """The ``loc`` of every error in a 422 body."""
    assert response.status_code == 422, response.text
    return [tuple(error["loc"]) for error in response.json()["detail"]]


def test_interpret_equals_the_library_to_dict(client: TestClient, meaning_model: Model) -> None:
    body = {"task": "meaning", "message": "hey stranger, miss you", "context": "he ghosted me in May", "top_k": 3}
    response = client.post("/api/interpret", json=body)
    expected = meaning_model.interpret(body["message"], body["context"]).to_dict(3)
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(expected))


def test_coach_answer_equals_the_library_with_his_name(client: TestClient, coach_model: Model) -> None:
    body = {"task": "coach", "message": "why aren't you answering??", "his_name": "Sam"}
    response = client.post("/api/interpret", json=body)
    expected = coach_model.interpret(body["message"], his_name="Sam").to_dict()
    assert response.json() == json.loads(json.dumps(expected))
    assert response.json()["name_used"] is False and response.json()["tips"]


def test_without_top_k_the_ranking_has_every_label(client: TestClient, meaning_model: Model) -> None:
    ranking = client.post("/api/interpret", json={"task": "meaning", "message": "u up?"}).json()["ranking"]
    assert [entry["label"] for entry in ranking] == [label for label, _ in meaning_model.interpret("u up?").ranking]


def test_batch_equals_interpret_many_in_order(client: TestClient, meaning_model: Model) -> None:
    items = [{"message": "u up? so bored"}, {"message": "hey stranger", "context": "he vanished in May"},
             {"message": "running 10 min late, sorry!"}]
    response = client.post("/api/interpret-batch", json={"task": "meaning", "items": items, "top_k": 2})
    expected = meaning_model.interpret_many([i["message"] for i in items], [i.get("context") for i in items])
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps({"results": [r.to_dict(2) for r in expected]}))


def test_empty_batch_gives_no_results(client: TestClient) -> None:
    assert client.post("/api/interpret-batch", json={"task": "coach", "items": []}).json() == {"results": []}


def test_batch_over_1000_items_is_refused_naming_items(client: TestClient) -> None:
    items = [{"message": "hi"}] * (schemas.MAX_BATCH_ITEMS + 1)
    response = client.post("/api/interpret-batch", json={"task": "meaning", "items": items})
    assert ("body", "items") in field_errors(response)


def test_bad_batch_item_is_named_by_position(client: TestClient) -> None:
    items = [{"message": "fine"}, {"message": "   "}]
    assert ("body", "items", 1, "message") in field_errors(
        client.post("/api/interpret-batch", json={"task": "meaning", "items": items}))


GOOD = {"task": "meaning", "message": "miss you"}


@pytest.mark.parametrize(("change", "field"), [
    ({"message": ""}, "message"),
    ({"message": "   \n\t"}, "message"),
    ({"message": "\u200b\u200b"}, "message"),  # only zero-width characters
    ({"message": None}, "message"),
    ({"message": 42}, "message"),
    ({"message": ["miss you"]}, "message"),
    ({"message": "x" * (MAX_MESSAGE_CHARS + 1)}, "message"),
    ({"context": "x" * (MAX_CONTEXT_CHARS + 1)}, "context"),
    ({"context": 7}, "context"),
    ({"task": "horoscope"}, "task"),
    ({"task": None}, "task"),
    ({"top_k": 0}, "top_k"),
    ({"top_k": -3}, "top_k"),
    ({"top_k": "3"}, "top_k"),
    ({"top_k": 1.5}, "top_k"),
    ({"his_name": 5}, "his_name"),
    ({"contxt": "typo"}, "contxt"),
], ids=lambda value: str(value)[:40] if isinstance(value, dict) else value)
def test_bad_input_is_422_naming_the_field(client: TestClient, change: dict, field: str) -> None:
    assert ("body", field) in field_errors(client.post("/api/interpret", json={**GOOD, **change}))


@pytest.mark.parametrize("missing", ["message", "task"])
def test_missing_field_is_422_naming_it(client: TestClient, missing: str) -> None:
    body = {key: value for key, value in GOOD.items() if key != missing}
    assert ("body", missing) in field_errors(client.post("/api/interpret", json=body))


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"miss you"', b"null", b"\xff\xfe"])
def test_broken_json_is_422_not_a_500(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/interpret", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "body"


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    body = json.dumps({**GOOD, "context": "x" * BODY_LIMIT}).encode()
    response = client.post("/api/interpret", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_413_without_a_length(client: TestClient) -> None:
    def chunks():  # no Content-Length: the body arrives in pieces
        yield b'{"task": "meaning", "message": "'
        for _ in range(BODY_LIMIT // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/interpret", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_batch_route_takes_bodies_over_the_single_limit(client: TestClient) -> None:
    items = [{"message": "miss you " * 40}] * 200  # about 75 KB
    response = client.post("/api/interpret-batch", json={"task": "coach", "items": items})
    assert response.status_code == 200 and len(response.json()["results"]) == 200


def test_library_input_error_becomes_422_with_its_message() -> None:
    class Refuses:
        def interpret(self, *args, **kwargs):
            raise InputError("the model refused this message")

    with TestClient(create_app(lambda task: Refuses())) as client:
        response = client.post("/api/interpret", json=GOOD)
    assert response.status_code == 422 and response.json()["detail"][0]["msg"] == "the model refused this message"


def test_tasks_lists_every_label_with_title_and_tone(client: TestClient) -> None:
    tasks = {t["name"]: t for t in client.get("/api/tasks").json()["tasks"]}
    assert set(tasks) == set(TASKS)
    for name, task in TASKS.items():
        assert tasks[name]["available"] is True and tasks[name]["error"] is None
        assert tasks[name]["labels"] == [{"label": label, "title": info.title, "tone": info.tone}
                                         for label, info in task.catalog.items()]


def test_healthz_is_200_once_models_are_loaded(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "models": dict.fromkeys(TASKS, "loaded")}


def test_missing_models_give_messages_that_say_how_to_train_not_a_crash(tmp_path: Path) -> None:
    with TestClient(create_app(lambda task: load_model(tmp_path / task))) as client:
        health = client.get("/healthz")
        answer = client.post("/api/interpret", json=GOOD)
        tasks = client.get("/api/tasks").json()["tasks"]
        page = client.get("/")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert answer.status_code == 503 and "python -m ml train" in answer.json()["detail"]
    assert all(not t["available"] and "make train" in t["error"] for t in tasks)
    assert page.status_code == 200


def test_openapi_documents_the_typed_request(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["InterpretRequest"]
    assert request["properties"]["message"]["maxLength"] == MAX_MESSAGE_CHARS
    assert set(request["required"]) == {"task", "message"}
    assert {"/api/interpret", "/api/interpret-batch", "/api/tasks", "/healthz"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_response_model_passes_new_library_fields_through() -> None:
    answer = {"message": "m", "label": "l", "probability": 0.5, "unsure": True, "reason": "too_close", "title": None,
              "tone": None, "explanation": None, "watch_for": [], "suggestion": None, "name_used": None, "tips": [],
              "ranking": [{"label": "l", "probability": 0.5}], "evidence": {"toward": [], "against": []},
              "added_later": {"any": "thing"}}
    assert schemas.Interpretation.model_validate(answer).model_dump(exclude_unset=True) == answer


def test_page_and_assets_load_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'role="tablist"' in page.text
    for asset in STATIC_DIR.iterdir():
        assert client.get(f"/static/{asset.name}").status_code == 200
        assert "http://" not in asset.read_text() and "https://" not in asset.read_text(), asset.name


def test_concurrent_interpretations_equal_sequential_ones(meaning_model: Model) -> None:
    """The server shares one model between threads; reading it from 8 at once must change nothing."""
    messages = [f"miss you {word}, {n}" for n in range(25) for word in ("so much", "stranger", "lol", "wyd")]
    sequential = [meaning_model.interpret(m).to_dict() for m in messages]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda m: meaning_model.interpret(m).to_dict(), messages))
    assert concurrent == sequential


def test_serve_command_listens_on_this_machine_only_by_default(monkeypatch) -> None:
    import uvicorn

    from ml.cli import main

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    assert main(["serve", "--port", "8123"]) == 0
    (app, options), = calls
    assert options == {"host": "127.0.0.1", "port": 8123} and app.title == "miss-you-meaning"
