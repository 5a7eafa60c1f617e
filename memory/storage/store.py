"""The SQLite store: the single source of truth for conversations, messages and memories.

`SQLiteStore` is put together from the modules of this package, one per seam:

- `sqlite`: opening and migrating the file (`schema`), the lock, `transaction()` and `rows()`;
- `memory_rows`: `memories`, `reply_memories`, `recall_events`;
- `conversation_rows`: `conversations`, `messages`;
- `fts`: keyword search over `memories_fts` and `messages_fts`.

Not every statement lives here. Modules of the memory package that own a table or a whole-store
operation run their SQL through `transaction()` / `rows()` of this one connection:
`storage.audit` (`audit_log`), `consolidation.hierarchy` (`memory_links`, `job_runs`, derived
memories), `lifecycle.erase` (erasing a memory everywhere, FTS entries included),
`lifecycle.fading`, `recall.neighbours`, `archive.writer` / `archive.restore` (whole-store
export and import), `storage.consistency` / `storage.repair` (checks and healing).
"""

from __future__ import annotations

from memory.storage.conversation_rows import ConversationRows
from memory.storage.fts import KeywordSearch


class SQLiteStore(ConversationRows, KeywordSearch):
    """The store's public face: everything of its parts, on one thread-safe connection."""
