"""ModelManager: the catalog with fit hints, downloads, and switching the chat model or the
embedder of a running membank without losing the working one on failure."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.config import Config
from app.engine.loading import EngineParts, load_embedder, open_bank
from app.engine.settings_apply import load_chat_model, with_memory_settings
from memory.bank import MemoryBank
from memory.storage.index import ChromaIndex
from models.errors import MembankError
from models.hub.catalog import CatalogEntry, find_entry, load_catalog
from models.hub.discovery import (
    bundled_chat_model_path,
    bundled_embedder_path,
    check_gguf,
    embedder_model_id,
)
from models.hub.download import ProgressFn, download_file, download_snapshot
from models.hub.gguf_info import read_gguf_info
from models.hub.hardware import FitAdvice, HardwareInfo, assess, detect_hardware
from models.private_files import open_private, private_dir
from models.protocols import CancelToken

log = logging.getLogger(__name__)
REEMBED_BATCH = 128


class ModelManagerError(MembankError):
    title = "Model not changed"


class ModelSwitchCancelled(ModelManagerError):
    title = "Model switch cancelled"


@dataclass(frozen=True)
class PreparedEmbedder:
    """A re-embedded index beside the one in use, waiting for `commit_embedder`."""

    folder: Path
    setting: str  # config.embedder.model_path ("" for the bundled model)
    config: Config  # the settings the new bank was built with
    bank: MemoryBank


@dataclass(frozen=True)
class ModelStatus:
    entry: CatalogEntry
    advice: FitAdvice
    installed_path: Path | None
    active: bool


class ModelManager:
    """Everything the Models window and `membank-cli models` do; no Qt, no globals."""

    def __init__(
        self,
        runtime: EngineParts,
        catalog: list[CatalogEntry] | None = None,
        hardware: HardwareInfo | None = None,
    ) -> None:
        self.runtime = runtime
        self._catalog = catalog
        self._hardware = hardware

    @property
    def catalog(self) -> list[CatalogEntry]:
        """Read on first use (the GUI builds its manager on the GUI thread, reads it off it)."""
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    @property
    def models_dir(self) -> Path:
        return self.runtime.paths.data_dir / "models"

    @property
    def hardware(self) -> HardwareInfo:
        if self._hardware is None:
            self._hardware = detect_hardware()
        return self._hardware

    # --- what there is -------------------------------------------------------------------

    def entries(self) -> list[ModelStatus]:
        return [
            ModelStatus(e, assess(e, self.hardware), self.installed_path(e), self._is_active(e))
            for e in self.catalog
        ]

    def entry(self, entry_id: str) -> CatalogEntry:
        found = find_entry(self.catalog, entry_id)
        if found is None:
            known = ", ".join(e.id for e in self.catalog)
            raise ModelManagerError(f"No model {entry_id!r} in the catalog. Known: {known}.")
        return found

    def installed_path(self, entry: CatalogEntry) -> Path | None:
        if entry.kind == "embedder":
            if entry.bundled:
                return bundled_embedder_path()
            folder = self.models_dir / entry.id
            return folder if (folder / "modules.json").is_file() else None
        path = self.models_dir / (entry.filename or "")
        return path if path.is_file() else None

    def local_gguf_files(self) -> list[Path]:
        """Every GGUF in the models folder (downloaded or added), by name."""
        if not self.models_dir.is_dir():
            return []
        return sorted(p for p in self.models_dir.glob("*.gguf") if p.is_file())

    def active_chat_path(self) -> Path:
        configured = self.runtime.config.llm.model_path
        return Path(configured).expanduser() if configured else bundled_chat_model_path()

    def active_embedder_id(self) -> str:
        return embedder_model_id(self.runtime.config.embedder.model_path or None)

    def _is_active(self, entry: CatalogEntry) -> bool:
        if entry.kind == "embedder":
            return entry.id == self.active_embedder_id()
        path = self.installed_path(entry)
        return path is not None and _same(path, self.active_chat_path())

    # --- download, add, remove -----------------------------------------------------------

    def download(
        self,
        entry_id: str,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        entry = self.entry(entry_id)
        installed = self.installed_path(entry)
        if installed is not None:  # verified when it was downloaded
            return installed
        if entry.filename is None:
            return download_snapshot(
                entry.repo_id, self.models_dir / entry.id, progress=progress, cancel=cancel
            )
        return download_file(
            entry.repo_id,
            entry.filename,
            self.models_dir / entry.filename,
            progress=progress,
            cancel=cancel,
        )

    def remove(self, entry_id_or_path: str) -> Path:
        """Delete a downloaded (or added) model; the model in use and bundled ones stay."""
        entry = find_entry(self.catalog, entry_id_or_path)
        if entry is not None:
            if entry.bundled:
                raise ModelManagerError(f"{entry.name} is bundled with membank; it stays.")
            path = self.installed_path(entry)
            if path is None:
                raise ModelManagerError(f"{entry.name} is not downloaded; nothing to remove.")
            if self._is_active(entry):
                raise ModelManagerError(
                    f"{entry.name} is the model in use. Switch to another model first."
                )
        else:
            path = Path(entry_id_or_path).expanduser()
            if path.parent.resolve() != self.models_dir.resolve() or not path.is_file():
                raise ModelManagerError(
                    f"{entry_id_or_path} is neither a catalog id nor a file in {self.models_dir}."
                )
            if _same(path, self.active_chat_path()):
                raise ModelManagerError(f"{path.name} is the model in use. Switch first.")
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        return path

    def add_gguf(self, path: Path) -> list[str]:
        """Copy a user's GGUF into the models folder; returns warnings (e.g. no chat template)."""
        source = Path(path).expanduser()
        info = read_gguf_info(source)  # raises ModelLoadError for a bad file
        warnings = []
        if not info.has_chat_template:
            warnings.append(
                f"{source.name} has no chat template: it is probably a base (completion) model, "
                "not a chat model. Replies may ramble or not stop; prefer an -Instruct/-it GGUF."
            )
        target = self.models_dir / source.name
        if _same(source, target):
            return warnings
        if target.exists():
            raise ModelManagerError(
                f"{target} already exists. Rename the file, or remove the old one first."
            )
        private_dir(self.models_dir)
        free = shutil.disk_usage(self.models_dir).free
        size = source.stat().st_size
        try:
            os.link(source, target)  # same disk: no copy, no space
        except OSError:
            if size > free:
                raise ModelManagerError(
                    f"Not enough free disk space to copy {source.name} ({size // 1_000_000} MB) "
                    f"into {self.models_dir} ({free // 1_000_000} MB free)."
                ) from None
            partial = target.with_name(target.name + ".part")
            with source.open("rb") as src, open_private(partial) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(partial, target)
        return warnings

    # --- switching -----------------------------------------------------------------------

    def use_chat_model(self, path: Path) -> None:
        """Load the GGUF at `path`; only when it loads does it replace the running model (and
        the setting is saved). Call it on the thread that owns the chat model (the GUI's chat
        worker)."""
        path = Path(path).expanduser()
        runtime = self.runtime
        setting = "" if _same(path, bundled_chat_model_path()) else str(path)
        config = _with(runtime.config, llm={"model_path": setting})
        check_gguf(path)
        new_llm = load_chat_model(config)
        try:  # the old model closes when unused; other settings edited meanwhile are kept
            runtime.host.update_config(
                lambda current: _with(current, llm={"model_path": setting}), llm=new_llm
            )
        except MembankError:
            new_llm.close()
            raise
        log.info("chat model switched to %s", new_llm.model_id)

    def use_embedder(
        self,
        folder: Path,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Re-embed every memory with the model in `folder`, then switch to it (both steps in
        the calling thread: the CLI's; the GUI runs them on two threads, see below)."""
        self.commit_embedder(self.prepare_embedder(folder, progress, cancel))

    def prepare_embedder(
        self,
        folder: Path,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> PreparedEmbedder:
        """The slow step, in any background thread: load the model in `folder` and re-embed
        every memory into a new index beside the one in use (recall keeps using that one).
        Nothing running is touched; a failure or cancel removes the half-built index.
        Hand the result to `commit_embedder` (or `discard_embedder`)."""
        runtime = self.runtime
        folder = Path(folder).expanduser()
        setting = "" if _same(folder, bundled_embedder_path()) else str(folder)
        config = _with(runtime.config, embedder={"model_path": setting})
        new_id = embedder_model_id(setting or None)
        if new_id == self.active_embedder_id():
            raise ModelManagerError(
                f"The embedder {new_id!r} is already in use (models are told apart by their "
                "folder name: rename the folder to use a different model)."
            )
        embedder = load_embedder(config)  # ModelLoadError: nothing changed
        bank = open_bank(runtime, embedder, config)
        try:
            self._reembed(bank, progress, cancel)
        except BaseException:
            _discard(bank.index)
            raise
        return PreparedEmbedder(folder, setting, config, bank)

    def commit_embedder(self, prepared: PreparedEmbedder) -> None:
        """The quick step, on the thread that owns the models (the GUI's chat worker): save the
        setting and swap the new bank in. The settings are today's, not those of when the
        re-embedding began; the old index is dropped once no reply or job step uses it."""
        runtime = self.runtime
        bank = prepared.bank

        def bank_for(_old: Config, new: Config) -> MemoryBank:
            if new.memory != prepared.config.memory:  # changed while re-embedding
                return with_memory_settings(bank, new)
            return bank

        try:
            runtime.host.update_config(
                lambda current: _with(current, embedder={"model_path": prepared.setting}),
                bank=bank_for,
                drop_old_index=True,
            )
        except BaseException:
            _discard(bank.index)
            raise
        with runtime.host.lease() as models:
            if models.bank is not None and models.bank.index is bank.index:
                models.bank.reconcile()  # memories written or deleted while re-embedding
        log.info("embedder switched to %s", bank.embedder.model_id)

    def discard_embedder(self, prepared: PreparedEmbedder) -> None:
        """Never committed (e.g. the app quit first): remove the new index."""
        _discard(prepared.bank.index)

    def _reembed(
        self,
        bank: MemoryBank,
        progress: Callable[[int, int], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        store = self.runtime.store
        ids = sorted(store.all_memory_ids())
        total = len(ids)
        for start in range(0, total, REEMBED_BATCH):
            if cancel is not None and cancel.is_set():
                raise ModelSwitchCancelled(
                    "Re-embedding was cancelled; the previous embedding model is still in use."
                )
            batch = store.memories_by_ids(ids[start : start + REEMBED_BATCH])
            found = list(batch)
            bank.index.upsert(found, bank.embedder.embed([batch[i].text for i in found]))
            if progress is not None:
                progress(min(start + REEMBED_BATCH, total), total)
        if progress is not None:
            progress(total, total)


def _with(config: Config, **sections: dict[str, str]) -> Config:
    update = {
        name: getattr(config, name).model_copy(update=values) for name, values in sections.items()
    }
    return config.model_copy(update=update)


def _discard(index: ChromaIndex) -> None:
    try:
        index.drop()
    except Exception as exc:  # noqa: BLE001 - a leftover collection only costs disk
        log.info("could not remove the old index collection: %s", exc)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
