"""The app factory: `create_app(settings)` serves the archive under settings.archive_dir()
(SQLite and a local object store inside it by default; SOHOA_DATABASE_URL and SOHOA_S3_*
put them elsewhere). OpenAPI 3.1 at /api/v1/openapi.json, docs at /api/v1/docs."""
from __future__ import annotations

from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.params import File

from api import problems
from api.middleware import BodyLimit, RequestId
from api.models import ObjectsIn
from api.pages.install import install_pages
from api.problems import ApiProblem
from api.ratelimit import RateLimiter
from api.routes import (
    admin,
    copies,
    documents,
    dossiers,
    jobs,
    pages,
    rescan,
    search,
    verify,
    webhooks,
)
from api.service import Service
from pipeline.core.settings import Settings, load_settings
from workers.archive import Archive
from workers.archive_jobs import JobRunner
from workers.webhooks import Dispatcher


def create_app(settings: Settings | None = None, *, archive: Archive | None = None) -> FastAPI:
    settings = settings or load_settings()
    archive = archive or Archive(settings.archive_dir(), settings)
    svc = Service(archive, JobRunner(archive),
                  RateLimiter(settings.api_verify_per_minute, archive.db.ratelimits),
                  Dispatcher(archive))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        svc.runner.resume_unfinished()
        svc.webhooks.start()
        yield
        svc.runner.shutdown()
        svc.webhooks.stop()
        archive.close()

    app = FastAPI(title="sohoa archive service", version=version("sohoa"),
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None,
                  lifespan=lifespan,
                  description="Digitized dossiers, their signed documents and fields, "
                              "verification of certified copies. Errors are RFC 9457 "
                              "problem details with a Vietnamese `detail`.")
    app.state.service = svc
    problems.install(app)
    _refuse_wrong_media_type(app)
    app.add_middleware(BodyLimit, limit=settings.api_max_upload_bytes)
    app.add_middleware(RequestId)  # outermost: every answer has its request id
    for module in (dossiers, jobs, documents, rescan, pages, copies, webhooks, search, verify,
                   admin):
        app.include_router(module.router)
    _document_models(app, [ObjectsIn])
    install_pages(app)  # the pages for people: /verify, /xu-ly, /quan-tri (api/pages)
    return app


def _document_models(app: FastAPI, models: list) -> None:
    """Models a route reads by hand (POST /dossiers takes multipart or JSON) in the
    OpenAPI components, where its request body refers to them."""
    made = app.openapi

    def openapi() -> dict:
        first = app.openapi_schema is None
        spec = made()
        if first:
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, definition in schema.pop("$defs", {}).items():
                    schemas.setdefault(name, definition)
                schemas.setdefault(model.__name__, schema)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _refuse_wrong_media_type(app: FastAPI) -> None:
    """A file upload sent as anything but multipart/form-data is 415, not a missing field."""
    invalid = app.exception_handlers[RequestValidationError]

    async def handler(request, exc):
        route = request.scope.get("route")
        wants_files = any(isinstance(p.field_info, File)
                          for p in getattr(getattr(route, "dependant", None), "body_params", []))
        if wants_files and not request.headers.get("content-type", "").startswith(
                "multipart/form-data"):
            return problems.response(request, ApiProblem(
                415, "unsupported_media_type", "Cần gửi tệp dạng multipart/form-data.",
                title="Unsupported media type"))
        return await invalid(request, exc)

    app.exception_handlers[RequestValidationError] = handler
