"""An archive as the service sees it: a data folder (an output folder of `sohoa process`
is one), its database and its object store, and the settings that made them.

The object store is the one the stage graph uses for the same folder (graph.Context), so
what the workers store is what the service reads: nothing goes through files beside the
client.
"""
from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from pipeline.core.settings import Settings
from storage.archive import ArchiveDatabase
from storage.base import ObjectStore
from workers.graph import Context


class Archive:
    def __init__(self, root: Path, settings: Settings):
        self.root = Path(root).resolve()
        self.settings = settings
        (self.root / ".sohoa").mkdir(parents=True, exist_ok=True)
        self.db = ArchiveDatabase(settings.database_for(self.root))
        self.webhooks_due = threading.Event()  # set when an event awaits delivery

    @cached_property
    def context(self) -> Context:
        return Context(self.settings, self.root)

    @property
    def store(self) -> ObjectStore:
        return self.context.store

    @cached_property
    def types(self) -> dict:
        from pipeline.understand.doctypes import load_types

        return load_types(self.settings.extra_schema_dirs())

    def close(self) -> None:
        self.db.close()
