"""`/docs` (Swagger UI) and `/redoc` (ReDoc), offline: their scripts and styles are the
files the `fastapi-offline` package ships, served from this process under /static/docs, so
the pages work without internet access and load nothing from a CDN.

ReDoc's bundle still draws a decorative Redocly logo from its CDN (it hides the image when
that fails); the Content-Security-Policy below keeps every image and fetch on this origin,
so a reader's browser never contacts a third party from these pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = "/static/docs"
assets = StaticFiles(packages=[("fastapi_offline", "static")])
POLICY = "img-src 'self' data:; connect-src 'self'; font-src 'self' data:"

router = APIRouter(include_in_schema=False)


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _offline(
        get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=request.app.title + " - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _offline(
        get_redoc_html(
            openapi_url=request.app.openapi_url,
            title=request.app.title + " - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )
