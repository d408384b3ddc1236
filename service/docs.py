"""The API's documentation pages without a network: Swagger UI's files come from an installed package
(``swagger-ui-bundle-v2``) and are served by the app itself, so ``/schema`` renders on an isolated network (the
plugins Litestar ships load their scripts, styles and favicon from CDNs)."""

from __future__ import annotations

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs-assets"  # where Swagger UI's files are served


def docs_assets() -> Router:
    """Swagger UI's scripts, styles and icons, from the installed package (public, not in the OpenAPI document)."""
    return create_static_files_router(
        path=ASSETS, directories=[swagger_ui_path], include_in_schema=False, name="docs-assets"
    )


def swagger_ui() -> SwaggerRenderPlugin:
    """Swagger UI at ``/schema`` and ``/schema/swagger``, every file from :func:`docs_assets`."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        path=["/", "/swagger"],
    )
