"""Send reads to a replica when replicas are configured; everything else to the primary."""

from __future__ import annotations

import random

from django.conf import settings
from django.db import connections


class PrimaryReplicaRouter:
    def _replicas(self) -> list[str]:
        return [alias for alias in settings.DATABASES if alias.startswith("replica_")]

    def db_for_read(self, model, **hints):
        replicas = self._replicas()
        # Inside a transaction on the primary, read your own writes: stay on the primary.
        if not replicas or connections["default"].in_atomic_block:
            return "default"
        return random.choice(replicas)

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
