"""Typed settings, read once from the environment (and a `.env` file) by the entry points and passed in."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TemporalSettings(BaseModel):
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "kinerja"
    # A bounded workflow cache keeps worker memory flat however many appraisals are open: about 0.3 MiB per cached
    # appraisal (docs/benchmarks.md), so ~150 MiB here. An appraisal is touched a few times a year; one not in the
    # cache is replayed from its (small) history when it is.
    max_cached_workflows: int = Field(default=500, ge=0)
    max_concurrent_activities: int = Field(default=50, ge=1)
    max_concurrent_workflow_tasks: int = Field(default=50, ge=1)


class Settings(BaseSettings):
    """`DATABASE_URL` picks the database; nested groups use `__`, e.g. `TEMPORAL__ADDRESS=host:7233`."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///kinerja.db"
    temporal: TemporalSettings = TemporalSettings()
    log_level: str = "INFO"


def load_settings() -> Settings:
    return Settings()
