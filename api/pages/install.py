"""Adding the pages to the service: their routers, /static, and HTML error pages."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.pages import admin, admin_webhooks, review, signin, verify
from api.pages.web import STATIC_DIR, PageError, page_error


def install_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(PageError, page_error)  # type: ignore[arg-type]
    for module in (signin, verify, review, admin, admin_webhooks):
        app.include_router(module.router)
