"""The ASGI app: the web page, the JSON API and its OpenAPI docs at ``/docs``.

Models are loaded once, in the app's lifespan, and shared read-only by every
request. A model that is missing or unreadable does not stop the server: its
routes answer 503 with the library's message (which says how to train it), and
``/healthz`` stays 503 until it is fixed and the server restarted.

Interpreting is CPU-bound, so the routes are plain ``def`` functions: FastAPI
runs them in its thread pool and the event loop keeps accepting requests. The
models are only read after loading, which the tests check from many threads.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from ml import __version__
from ml.errors import InputError, MLError
from ml.predict import Model, load_model
from ml.serve import schemas
from ml.serve.limits import BodyLimit
from ml.tasks import TASKS

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
BODY_LIMIT = 64 * 1024  # one message and its context fit many times over
BATCH_BODY_LIMIT = 4 * 1024 * 1024  # 1,000 items of about 4 KB each
BATCH_PATH = "/api/interpret-batch"

ModelLoader = Callable[[str], Model]


def _lifespan(load: ModelLoader) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Load each registered task's model once at start-up; a failure is kept as that task's problem."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.models, app.state.problems = {}, {}
        for name in TASKS:
            try:
                app.state.models[name] = load(name)
            except MLError as exc:
                app.state.problems[name] = f"{exc} (or run `make train`), then restart the server"
                log.warning("the %s model is not available: %s", name, exc)
        yield

    return lifespan


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["body"], "msg": str(exc), "type": "input_error"}]}, status_code=422)


def _model_for(request: Request, task: schemas.TaskName) -> Model:
    name = task.value
    if name not in request.app.state.models:
        raise HTTPException(503, f"the {name} model is not available: {request.app.state.problems[name]}")
    return request.app.state.models[name]


routes = APIRouter()
UNAVAILABLE = {"description": "The task's model is missing or unreadable; the detail says how to train it."}


# response_model_exclude_unset: an unset field is one this library version does not send.
@routes.post("/api/interpret", response_model=schemas.Interpretation, response_model_exclude_unset=True,
             responses={503: UNAVAILABLE, 413: {"description": f"Body over {BODY_LIMIT:,} bytes."}})
def interpret(body: schemas.InterpretRequest, request: Request) -> dict[str, Any]:
    """Interpret one message: the same object as ``python -m ml predict --json``."""
    model = _model_for(request, body.task)
    return model.interpret(body.message, body.context, his_name=body.his_name).to_dict(body.top_k)


@routes.post(BATCH_PATH, response_model=schemas.BatchResponse, response_model_exclude_unset=True,
             responses={503: UNAVAILABLE, 413: {"description": f"Body over {BATCH_BODY_LIMIT:,} bytes."}})
def interpret_batch(body: schemas.BatchRequest, request: Request) -> dict[str, Any]:
    """Interpret up to 1,000 messages in one vectorised pass; results keep the items' order."""
    messages, contexts = [item.message for item in body.items], [item.context for item in body.items]
    results = _model_for(request, body.task).interpret_many(messages, contexts, his_name=body.his_name)
    return {"results": [r.to_dict(body.top_k) for r in results]}


@routes.get("/api/tasks", response_model=schemas.Tasks)
def tasks(request: Request) -> dict[str, Any]:
    """Each task's labels with title and tone, and whether its model is loaded."""
    return {"tasks": [
        {"name": name, "available": name in request.app.state.models,
         "error": request.app.state.problems.get(name),
         "labels": [{"label": label, "title": info.title, "tone": info.tone}
                    for label, info in task.catalog.items()]}
        for name, task in TASKS.items()
    ]}


@routes.get("/healthz", response_model=schemas.Health, responses={503: {"model": schemas.Health}})
def healthz(request: Request) -> JSONResponse:
    """200 once every model is loaded; 503, naming what is wrong, otherwise."""
    problems = request.app.state.problems
    models = {name: problems.get(name, "loaded") for name in TASKS}
    body = {"status": "unavailable" if problems else "ok", "models": models}
    return JSONResponse(body, status_code=503 if problems else 200)


@routes.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


def create_app(load: ModelLoader = load_model) -> FastAPI:
    """The app, loading each registered task's model with ``load(task)`` at start-up.

    ``load`` is a parameter so tests can serve models they trained in a
    temporary folder; the server itself always uses :func:`ml.load_model`.
    """
    # FastAPIOffline serves the /docs assets itself instead of from a CDN. No /redoc: its page
    # fetches a logo from outside, and one docs page is enough.
    app = FastAPIOffline(
        title="miss-you-meaning", version=__version__, lifespan=_lifespan(load), redoc_url=None,
        description="What does his text mean, and what does your draft do? A reading of patterns in text, "
                    "not a verdict about a person.",
    )
    app.add_middleware(BodyLimit, limit_for=lambda path: BATCH_BODY_LIMIT if path == BATCH_PATH else BODY_LIMIT)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(InputError, _input_error)
    app.include_router(routes)
    return app
