"""A real HTTP server on loopback standing in for the Hugging Face Hub (point HF_ENDPOINT at it).

It answers the way the hub does for huggingface_hub 2.x:
- GET  /api/models/{repo}/revision/{rev}[?blobs=true]: repo info with siblings (size, blobId, lfs)
- HEAD /{repo}/resolve/{rev}/{file}: LFS files -> 302 to a CDN host (here `localhost` instead
  of `127.0.0.1`, so huggingface_hub does not follow it) carrying X-Repo-Commit, X-Linked-Etag
  (the sha256) and X-Linked-Size; plain git files -> 200 with ETag (the git blob sha1)
- GET  /{repo}/resolve/{rev}/{file}: the same redirect, or the bytes; the CDN honours Range.
Knobs: `drop_after` (close the connection after N body bytes, once), `corrupt` (flip a byte of
what is served while advertising the true sha256), `throttle`, `requests` (with their Range),
`hold_after` (stop sending after N body bytes, set `held`, and go on once `release` is set).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".gguf", ".safetensors", ".bin")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up (cancel) is expected here


@dataclass
class HubFile:
    path: Path
    size: int
    sha256: str
    git_sha1: str
    lfs: bool


@dataclass
class StandInHub:
    repos: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    drop_after: int | None = None
    corrupt: bool = False
    throttle: float = 0.0  # seconds of sleep per 256 KiB block sent (a slow connection)
    hold_after: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def add_file(self, repo_id: str, name: str, path: Path) -> HubFile:
        data_sha = hashlib.sha256()
        git = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                data_sha.update(block)
                git.update(block)
        hub_file = HubFile(
            path,
            path.stat().st_size,
            data_sha.hexdigest(),
            git.hexdigest(),
            name.endswith(LFS_SUFFIXES),
        )
        self.repos.setdefault(repo_id, {})[name] = hub_file
        return hub_file

    def add_folder(self, repo_id: str, folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.add_file(repo_id, path.relative_to(folder).as_posix(), path)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ranges(self) -> list[str | None]:
        return [r for m, p, r in self.requests if m == "GET" and p.startswith("/cdn/")]

    def start(self) -> StandInHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                url = urlsplit(self.path)
                path = unquote(url.path)
                hub.requests.append((self.command, path, self.headers.get("Range")))
                if path.startswith("/api/models/"):
                    return self._repo_info(path[len("/api/models/") :])
                if path.startswith("/cdn/"):
                    return self._content(path[len("/cdn/") :], body)
                repo_id, sep, rest = path.lstrip("/").partition("/resolve/")
                _rev, _, name = rest.partition("/")
                found = hub.repos.get(repo_id, {}).get(name) if sep else None
                if found is None:
                    return self._error(404, "EntryNotFound", "Entry not found")
                headers = {"X-Repo-Commit": COMMIT, "Accept-Ranges": "bytes"}
                if found.lfs:
                    self.send_response(302)
                    headers |= {
                        "Location": f"http://localhost:{hub.port}/cdn/{found.sha256}",
                        "X-Linked-Etag": f'"{found.sha256}"',
                        "X-Linked-Size": str(found.size),
                        "ETag": f'"{found.git_sha1}"',
                        "Content-Length": "0",
                    }
                    self._headers(headers)
                    return
                self.send_response(200)
                self._headers(
                    headers | {"ETag": f'"{found.git_sha1}"', "Content-Length": str(found.size)}
                )
                if body:
                    self.wfile.write(found.path.read_bytes())

            def _repo_info(self, rest: str) -> None:
                repo_id, sep, _rev = rest.partition("/revision/")
                files = hub.repos.get(repo_id)
                if not sep or files is None:
                    return self._error(404, "RepoNotFound", "Repository not found")
                siblings = []
                for name, f in files.items():
                    sibling: dict[str, object] = {
                        "rfilename": name,
                        "size": f.size,
                        "blobId": f.git_sha1,
                    }
                    if f.lfs:
                        sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
                    siblings.append(sibling)
                data = json.dumps(
                    {
                        "_id": repo_id,
                        "id": repo_id,
                        "modelId": repo_id,
                        "sha": COMMIT,
                        "private": False,
                        "siblings": siblings,
                    }
                )
                self.send_response(200)
                self._headers(
                    {"Content-Type": "application/json", "Content-Length": str(len(data))}
                )
                self.wfile.write(data.encode())

            def _content(self, sha: str, body: bool) -> None:
                found = next(
                    (f for r in hub.repos.values() for f in r.values() if f.sha256 == sha), None
                )
                if found is None:
                    return self._error(404, "NotFound", "no such blob")
                start = 0
                range_header = self.headers.get("Range")
                if range_header and range_header.startswith("bytes="):
                    start = int(range_header[6:].split("-")[0])
                if start >= found.size:
                    self.send_response(416)
                    self._headers({"Content-Range": f"bytes */{found.size}", "Content-Length": "0"})
                    return
                length = found.size - start
                if start:
                    self.send_response(206)
                    extra = {"Content-Range": f"bytes {start}-{found.size - 1}/{found.size}"}
                else:
                    self.send_response(200)
                    extra = {}
                self._headers(
                    extra
                    | {
                        "Content-Length": str(length),
                        "Accept-Ranges": "bytes",
                        "ETag": f'"{found.sha256}"',
                    }
                )
                if not body:
                    return
                with found.path.open("rb") as fh:
                    fh.seek(start)
                    sent = 0
                    while block := fh.read(256 * 1024):
                        if hub.corrupt and sent == 0:
                            block = bytes([block[0] ^ 0xFF]) + block[1:]
                        if hub.drop_after is not None and sent + len(block) > hub.drop_after:
                            cut = max(0, hub.drop_after - sent)
                            self.wfile.write(block[:cut])
                            self.wfile.flush()
                            hub.drop_after = None  # only once
                            self.close_connection = True
                            self.connection.shutdown(2)
                            return
                        self.wfile.write(block)
                        sent += len(block)
                        if hub.hold_after is not None and sent >= hub.hold_after:
                            self.wfile.flush()
                            hub.hold_after = None  # only once
                            hub.held.set()
                            # A cap so a broken test cannot hang the suite; not a sync point.
                            hub.release.wait(timeout=600)
                        if hub.throttle:
                            time.sleep(hub.throttle)

            def _headers(self, headers: dict[str, str]) -> None:
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()

            def _error(self, code: int, kind: str, message: str) -> None:
                data = json.dumps({"error": message}).encode()
                self.send_response(code)
                self._headers(
                    {
                        "X-Error-Code": kind,
                        "X-Error-Message": message,
                        "Content-Type": "application/json",
                        "Content-Length": str(len(data)),
                    }
                )
                self.wfile.write(data)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
