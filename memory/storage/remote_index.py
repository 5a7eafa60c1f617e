"""The memory index on a Chroma server (`chroma run`), shared by several devices.

SQLite stays the source of truth: the server holds a derived copy that `MemoryBank.reconcile()`
heals at every start (missing vectors re-indexed, orphans removed).

Sharing one server: each data dir writes to its own collection,
`memories-<embedder model id>-<dim>-<namespace>`. The namespace is `[index] namespace`, or else
a random id created once and kept in the data dir (`index-namespace.txt`). reconcile() deletes
"orphans" (vectors whose memory is not in *this* store), so two stores in one collection would
delete each other's vectors; separate collections make that impossible. Two devices that hold
the same store (a copy or restored backup) may share a namespace on purpose: their reconcile
then finds the vectors already there and re-embeds nothing.

When the server cannot be reached at start, opening fails with IndexServerUnreachable (the app
says so and does not start chatting) rather than silently answering without dense recall; a
server lost mid-session turns each index call into a VectorIndexError naming the URL (writes
stay committed in SQLite and are indexed by the next reconcile).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from memory.errors import VectorIndexError
from memory.storage.index import ChromaIndex, collection_name
from models.private_files import private_dir, write_private_text

NAMESPACE_FILE = "index-namespace.txt"


class IndexServerUnreachable(VectorIndexError):
    """The Chroma server in [index] server_url cannot be reached."""

    title = "Memory index server unreachable"

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"The Chroma server at {url} cannot be reached ({reason}). Start it "
            "(`chroma run --path FOLDER --port 8000`), check [index] server_url, or set "
            'server_url = "" to keep the index in the data folder. Your memories are safe in '
            "the local store; the index is rebuilt from it once the server is back."
        )


def namespace_for(data_dir: Path, configured: str = "") -> str:
    """The configured namespace, else this data dir's own (created on first use)."""
    if configured.strip():
        return _safe(configured)
    path = data_dir / NAMESPACE_FILE
    if path.is_file():
        existing = _safe(path.read_text(encoding="utf-8"))
        if existing:
            return existing
    namespace = secrets.token_hex(6)
    private_dir(data_dir)
    write_private_text(path, namespace + "\n")
    return namespace


def _safe(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]", "-", text.strip()).strip("-._")[:60]


def server_collection_name(model_id: str, dim: int, namespace: str) -> str:
    return f"{collection_name(model_id, dim)}-{_safe(namespace) or 'default'}"


def open_server_index(url: str, namespace: str, model_id: str, dim: int) -> ChromaIndex:
    """This data dir's collection on the Chroma server at `url` (http://host:port)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IndexServerUnreachable(url, "not an http(s)://host:port address")
    try:
        import chromadb
        from chromadb.config import Settings

        client = chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=Settings(anonymized_telemetry=False),
        )
        client.heartbeat()
    except Exception as exc:  # noqa: BLE001 - httpx and chroma errors alike
        raise IndexServerUnreachable(url, str(exc) or type(exc).__name__) from exc
    return ChromaIndex(
        None,
        model_id,
        dim,
        client=_ServerClient(client, url),
        name=server_collection_name(model_id, dim, namespace),
        location=f"the Chroma server {url}",
    )


class _Guarded:
    """Turns any failure of a server call into a VectorIndexError naming the server."""

    def __init__(self, target: Any, url: str) -> None:
        self._target = target
        self._url = url

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attr(*args, **kwargs)
            except VectorIndexError:
                raise
            except Exception as exc:  # noqa: BLE001 - httpx and chroma errors alike
                raise VectorIndexError(
                    f"The Chroma server at {self._url} failed ({exc}). Check that it is running; "
                    "nothing is lost: the index is healed from the store at the next start."
                ) from exc
            if name == "get_or_create_collection":
                return _Guarded(result, self._url)
            return result

        return call


class _ServerClient(_Guarded):
    def close(self) -> None:
        """Close the client and its HTTP connections (chromadb 1.5 stops its systems but leaves
        the httpx sessions of the client and of its internal admin client open)."""
        client = self._target
        client.close()
        for owner in (client, getattr(client, "_admin_client", None)):
            session = getattr(getattr(owner, "_server", None), "_session", None)
            if session is not None:
                session.close()
