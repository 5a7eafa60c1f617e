"""PrivacyService: what changed (the audit log) and forgetting completely."""

from __future__ import annotations

from app.engine.host import ModelHost
from memory.clock import Clock
from memory.lifecycle.erase import ForgetReport, forget
from memory.storage.audit import AuditEntry
from memory.storage.audit import entries as audit_entries
from memory.storage.store import SQLiteStore


class PrivacyService:
    def __init__(self, store: SQLiteStore, host: ModelHost, clock: Clock) -> None:
        self.store = store
        self.host = host
        self.clock = clock

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        """The log of memory changes, newest first (ids and kinds only, never memory text)."""
        return audit_entries(self.store, limit=limit)

    def forget(self, memory_ids: list[str], actor: str = "user") -> ForgetReport:
        """Forget these memories completely, and everything derived from them."""
        with self.host.lease() as models:
            return forget(models.require_bank(), memory_ids, self.clock.now(), actor)
