"""Settings: the one place that reads the environment (NTRACK_*)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NTRACK_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./ntrack.sqlite3",
        description="sqlite:///PATH, postgresql://user:pass@host:port/db[?schema=S], or memory://",
    )
    host: str = Field(default="127.0.0.1", description="the address `ntrack serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="the port `ntrack serve` uses")
    api_tokens: str = Field(
        default="", description="comma-separated principal:role:secret", repr=False
    )
    public_reads: bool = True
    embedded_projector: bool = True
    snapshot_interval: int = Field(default=100, ge=2)
    checkpoint_interval: int = Field(
        default=100,
        ge=0,
        description="the projector writes a view checkpoint every this many "
        "versions of a track, so as-of folds at most this many events onto one (0: none; "
        "as-of then starts from the track's snapshots)",
    )
    min_position_wait_seconds: float = Field(default=5.0, ge=0)
    max_position_waits: int = Field(
        default=1000,
        ge=1,
        description="per API process: reads waiting for `min_position` at once; beyond, "
        "a read is refused at once (503, Retry-After)",
    )
    projector_poll_seconds: float = Field(default=1.0, gt=0)
    projector_min_batch_seconds: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="the projector starts a batch at most this often, so "
        "a stream of single writes is applied a few at a time (adds at most this to the lag)",
    )
    ready_max_lag: int = Field(
        default=1000, ge=0, description="events the read model may lag and be ready"
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    aggregate_cache_size: int = Field(default=256, ge=0)
    document_cache_mb: int = Field(
        default=16,
        ge=0,
        description="per API process, on PostgreSQL: rendered track documents kept "
        "in memory, invalidated by the projector's NOTIFY (0: every read asks the database)",
    )
    pool_size: int = Field(default=5, ge=1, description="PostgreSQL connections per pool")
    connection_reserve: int = Field(
        default=10,
        ge=0,
        description="PostgreSQL connections the startup budget check leaves free for "
        "everything else (projector processes, admin sessions, other clients)",
    )
    stream_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        description="how often an API process looks for new events while SSE feeds are idle "
        "(once for all of them; its own writes are seen at once)",
    )
    max_streams: int = Field(
        default=1000, ge=1, description="per API process: open SSE feeds; beyond, 503"
    )
    max_streams_per_principal: int = Field(
        default=16, ge=1, description="per API process and principal: open SSE feeds; beyond, 429"
    )
    log_level: str = "INFO"
    encryption_key: str | None = Field(
        default=None,
        repr=False,
        description="base64 of a 16, 24 or 32 byte AES key: events are stored encrypted "
        "(AES-GCM); needs the `crypto` extra (pycryptodome)",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def use_database_url(url: str) -> None:
    """Point this process at `url` (`ntrack --database-url`), and the processes it starts
    too: uvicorn's workers build their app from the environment, not from this process."""
    os.environ["NTRACK_DATABASE_URL"] = url
    get_settings.cache_clear()
