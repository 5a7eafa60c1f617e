"""Download models from the Hugging Face Hub (or the mirror in HF_ENDPOINT) with resume,
progress, cancel, a free-space check and an integrity check against what the hub reports."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.embedder import OFFLINE_DEFAULTS_VAR
from models.errors import DownloadCancelled, DownloadError
from models.private_files import open_private, private_dir
from models.protocols import CancelToken

log = logging.getLogger(__name__)
DEFAULT_ENDPOINT = "https://huggingface.co"
ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)
CHUNK = 1 << 20
DISK_MARGIN = 64 * 1024 * 1024  # keep this much free besides the model itself
# Weight formats and exports membank does not load (sentence-transformers reads safetensors).
SKIPPED_PARTS = (
    "onnx/",
    "openvino/",
    "coreml/",
    "tf_model.h5",
    "flax_model.msgpack",
    "rust_model.ot",
    "pytorch_model.bin",
    ".gitattributes",
)
_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class RemoteFile:
    """One file as the hub describes it: where to GET it, its size and its hash."""

    path: str  # relative to the repository root
    url: str
    size: int
    sha256: str | None  # LFS files: the hub's sha256 of the content
    git_sha1: str | None  # plain git files: the git blob id


def hub_endpoint() -> str:
    """HF_ENDPOINT (a mirror, or a test stand-in) read now, not when huggingface_hub loaded."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline_mode() -> bool:
    """Whether the user asked for no hub access (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE).

    The embedder sets those variables itself to keep sentence-transformers local; such
    defaults (listed in MEMBANK_OFFLINE_DEFAULTS) do not count as the user's wish.
    """
    ours = set(os.environ.get(OFFLINE_DEFAULTS_VAR, "").split(","))
    return any(
        os.environ.get(name, "").strip().lower() in _TRUE and name not in ours
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@contextmanager
def _hub_session() -> Iterator[str]:
    """Refuse in offline mode; otherwise let huggingface_hub talk to the endpoint."""
    if offline_mode():
        raise DownloadError(
            "Offline mode is on (HF_HUB_OFFLINE is set), so nothing can be downloaded. Unset "
            "it, or download the file elsewhere and add it with `membank-cli models add PATH`."
        )
    from huggingface_hub import constants

    # huggingface_hub reads HF_HUB_OFFLINE once at import; the embedder's default may be in it.
    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = False
    try:
        yield hub_endpoint()
    finally:
        constants.HF_HUB_OFFLINE = before


def describe_file(repo_id: str, filename: str, revision: str = "main") -> RemoteFile:
    """HEAD /{repo}/resolve/{revision}/{file}: size and sha256 (X-Linked-Size / -Etag)."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    with _hub_session() as endpoint:
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
        try:
            meta = get_hf_file_metadata(url, endpoint=endpoint)
        except Exception as exc:  # noqa: BLE001 - hub, HTTP and network errors alike
            raise _hub_error(repo_id, filename, exc) from exc
    if meta.size is None:
        raise DownloadError(f"The hub did not report the size of {repo_id}/{filename}.")
    etag = (meta.etag or "").lower()
    return RemoteFile(
        filename,
        meta.location or url,
        meta.size,
        etag if _is_hex(etag, 64) else None,
        etag if _is_hex(etag, 40) else None,
    )


def describe_snapshot(repo_id: str, revision: str = "main") -> list[RemoteFile]:
    """GET /api/models/{repo}/revision/{rev}?blobs=true: every file membank needs."""
    from huggingface_hub import HfApi, hf_hub_url

    with _hub_session() as endpoint:
        try:
            info = HfApi(endpoint=endpoint).model_info(
                repo_id, revision=revision, files_metadata=True
            )
        except Exception as exc:  # noqa: BLE001
            raise _hub_error(repo_id, None, exc) from exc
    commit = info.sha or revision
    files = []
    for sibling in info.siblings or []:
        name = sibling.rfilename
        if any(name.startswith(p) or name == p for p in SKIPPED_PARTS) or sibling.size is None:
            continue
        lfs = sibling.lfs
        files.append(
            RemoteFile(
                name,
                hf_hub_url(repo_id, name, revision=commit, endpoint=endpoint),
                int(sibling.size),
                str(lfs.sha256).lower() if lfs is not None else None,
                None if lfs is not None else (sibling.blob_id or None),
            )
        )
    if not files:
        raise DownloadError(f"The hub lists no usable model files in {repo_id}.")
    return files


def download_file(
    repo_id: str,
    filename: str,
    dest: Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    retries: int = 3,
) -> Path:
    """Fetch one file to `dest` (resuming `dest`.part); verified before it gets its name."""
    remote = describe_file(repo_id, filename)
    part = dest.with_name(dest.name + ".part")
    _check_space(dest.parent, remote.size - _size(part), f"{repo_id}/{filename}")
    with _hub_session():
        _fetch(remote, part, 0, remote.size, progress, cancel, retries)
    _verify(remote, part)
    os.replace(part, dest)
    return dest


def download_snapshot(
    repo_id: str,
    dest: Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    retries: int = 3,
) -> Path:
    """Fetch a repository (an embedder) into the folder `dest` via `dest`.part/."""
    files = describe_snapshot(repo_id)
    total = sum(f.size for f in files)
    staging = dest.with_name(dest.name + ".part")
    have = sum(_size(staging / (f.path + ".part")) + _size(staging / f.path) for f in files)
    _check_space(dest.parent, total - have, repo_id)
    done = 0
    with _hub_session():
        for remote in files:
            target = staging / remote.path
            if not (target.is_file() and target.stat().st_size == remote.size):
                part = target.with_name(target.name + ".part")
                private_dir(part.parent)
                _fetch(remote, part, done, total, progress, cancel, retries)
                _verify(remote, part)
                os.replace(part, target)
            done += remote.size
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(staging, dest)
    return dest


def _fetch(
    remote: RemoteFile,
    part: Path,
    offset: int,
    total: int,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    retries: int,
) -> None:
    """GET with `Range: bytes=N-` from what `part` holds; resumes after a dropped connection."""
    import httpx2
    from huggingface_hub import hf_raise_for_status
    from huggingface_hub.utils import build_hf_headers, http_stream_backoff

    private_dir(part.parent)
    failures = 0
    while True:
        have = _size(part)
        if have > remote.size:  # not this file: start over
            part.unlink()
            have = 0
        if progress is not None:
            progress(offset + have, total)
        if have == remote.size:
            return
        _raise_if_cancelled(cancel)
        headers: dict[str, Any] = dict(build_hf_headers())
        headers["Accept-Encoding"] = "identity"
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with http_stream_backoff(
                "GET", remote.url, headers=headers, retry_on_exceptions=(), max_retries=2
            ) as response:
                hf_raise_for_status(response)
                mode = "ab" if have and response.status_code == 206 else "wb"
                got = have if mode == "ab" else 0
                with open_private(part, mode) as fh:  # 0600 whatever the umask
                    for chunk in response.iter_bytes():  # as received: a drop loses nothing
                        _raise_if_cancelled(cancel)
                        fh.write(chunk)
                        got += len(chunk)
                        if progress is not None:
                            progress(offset + got, total)
            if got > remote.size:
                part.unlink()
                raise DownloadError(
                    f"The server sent more than the {remote.size} bytes the hub reported for "
                    f"{remote.path}; the file was deleted. Try again later or use another mirror."
                )
            if got == remote.size:
                continue  # loop once more: checks the size, reports 100 %
            raise httpx2.RemoteProtocolError(f"connection closed after {got} bytes")
        except httpx2.TransportError as exc:
            failures += 1
            if failures > retries:
                raise DownloadError(
                    f"The download of {remote.path} broke off ({exc}) after {_size(part)} of "
                    f"{remote.size} bytes. Check the connection and run it again: it resumes "
                    "where it stopped."
                ) from exc
            log.info("download of %s interrupted (%s); resuming", remote.path, exc)
        except DownloadError:
            raise
        except Exception as exc:  # noqa: BLE001 - HTTP status errors from the hub
            raise _hub_error("", remote.path, exc) from exc


def _verify(remote: RemoteFile, part: Path) -> None:
    """Size and hash must match the hub's; a mismatching file is deleted (never resumed)."""
    size = _size(part)
    problem = ""
    if size != remote.size:
        problem = f"it has {size} bytes, the hub says {remote.size}"
    elif remote.sha256 or remote.git_sha1:
        if remote.sha256:
            digest = hashlib.sha256()
            expected = remote.sha256
        else:
            digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
            expected = remote.git_sha1 or ""
        with part.open("rb") as fh:
            while block := fh.read(CHUNK):
                digest.update(block)
        if digest.hexdigest() != expected:
            problem = f"its checksum is {digest.hexdigest()}, the hub says {expected}"
    else:
        log.info("no checksum from the hub for %s; checked the size only", remote.path)
    if problem:
        part.unlink()
        raise DownloadError(
            f"The downloaded {remote.path} is corrupt ({problem}); it was deleted. "
            "Run the download again."
        )


def _check_space(folder: Path, needed: int, what: str) -> None:
    private_dir(folder)
    free = shutil.disk_usage(folder).free
    if needed + DISK_MARGIN > free:
        raise DownloadError(
            f"Not enough free disk space for {what}: it needs {_mb(needed)} (plus "
            f"{_mb(DISK_MARGIN)} to spare) but {folder} has only {_mb(free)} free. Free some "
            "space, or pick a smaller model."
        )


def _raise_if_cancelled(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled(
            "The download was cancelled. The part already fetched is kept: downloading the "
            "same model again resumes it."
        )


def _hub_error(repo_id: str, filename: str | None, exc: Exception) -> DownloadError:
    what = "/".join(p for p in (repo_id, filename) if p)
    return DownloadError(
        f"The hub at {hub_endpoint()} could not provide {what} ({type(exc).__name__}: {exc}). "
        "Check the connection (or HF_ENDPOINT for a mirror) and try again."
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def _mb(value: int) -> str:
    return f"{max(value, 0) / 1_000_000:,.0f} MB"
