"""Tortoise configuration and the helpers that open, migrate and close the database."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate as apply_migrations

from config.settings import Settings, load_settings
from models import MODEL_MODULES

_SQLITE_PRAGMAS = "busy_timeout=5000"
SQLITE_ENGINE = "api.sqlite_engine"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for ``database_url``: one app, ``models``."""
    connection: str | dict[str, Any] = database_url
    if database_url.startswith("sqlite://"):
        url = database_url
        if "?" not in url:
            # Wait for a concurrent writer (another worker or the scheduler) instead of failing.
            url = f"{url}?{_SQLITE_PRAGMAS}"
        connection = {**expand_db_url(url), "engine": SQLITE_ENGINE}
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _config_from_environment() -> dict[str, Any]:
    try:
        return tortoise_config(load_settings().database_url)
    except Exception:
        # The `tortoise makemigrations` CLI only needs the models, not real secrets.
        return tortoise_config("sqlite://:memory:")


# Read by Tortoise's own CLI (`tortoise makemigrations`), see pyproject's [tool.tortoise].
TORTOISE_ORM = _config_from_environment()


async def open_database(settings: Settings) -> None:
    """Connect Tortoise for this process; queries in any task find the connection."""
    _ensure_sqlite_folder(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()
    _clear_global_context()


async def migrate_database(settings: Settings) -> None:
    """Apply every migration not yet applied. Safe to run again."""
    _ensure_sqlite_folder(settings)
    try:
        await apply_migrations(config=tortoise_config(settings.database_url))
    finally:
        await Tortoise.close_connections()


async def database_is_reachable() -> bool:
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


def _ensure_sqlite_folder(settings: Settings) -> None:
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _clear_global_context() -> None:
    # Tortoise allows one global fallback context per process; a closed one must be cleared
    # so that tests (and a restarted lifespan) can open the database again.
    from tortoise import context

    context._global_context = None
