"""ModelHost: the one owner of the chat model, the embedder (inside the bank) and the settings
they were built with. Readers lease a consistent snapshot; swaps retire what they replace, and a
retired model is closed only when the last reader holding it lets go."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.config import Config, save_config
from memory.bank import MemoryBank
from models.errors import MembankError
from models.protocols import LLM

log = logging.getLogger(__name__)


class ModelsNotReadyError(MembankError):
    title = "Still loading"

    def __init__(self) -> None:
        super().__init__("The models are still loading. Try again in a moment.")


@dataclass(frozen=True)
class Models:
    """One consistent view: a reply or a job step uses these three from start to end."""

    config: Config
    bank: MemoryBank | None = None
    llm: LLM | None = None

    @property
    def ready(self) -> bool:
        return self.bank is not None and self.llm is not None

    def require(self) -> tuple[MemoryBank, LLM]:
        if self.bank is None or self.llm is None:
            raise ModelsNotReadyError()
        return self.bank, self.llm

    def require_bank(self) -> MemoryBank:
        if self.bank is None:
            raise ModelsNotReadyError()
        return self.bank


class Keep:
    """`swap()`'s default: leave this part as it is."""


KEEP: Final = Keep()
BankFor = Callable[[Config, Config], "MemoryBank | None | Keep"]  # (old, new) -> the bank


class ModelHost:
    """Thread-safe: any thread may lease; swaps happen where the models live (the GUI's chat
    worker, the CLI's main thread), but a swap from another thread is safe too."""

    def __init__(self, config: Config, config_file: Path | None = None) -> None:
        """`config_file`: where `update_config` saves (None: kept in memory only, for tests
        and throwaway runtimes)."""
        self._lock = threading.Lock()
        self._config_lock = threading.Lock()  # one config edit at a time, read to swap
        self._config_file = config_file
        self._current = Models(config)
        self._leases: dict[int, int] = {}  # id(model) -> readers holding it
        self._retired: dict[int, Callable[[], None]] = {}  # id(model) -> its last rites
        self._borrowed: dict[int, LLM] = {}  # chat models the host must never close

    @property
    def models(self) -> Models:
        """The current snapshot, without a lease: for quick reads (a name, `ready`, decay
        settings), never for calling into a model."""
        return self._current

    @property
    def config(self) -> Config:
        return self._current.config

    @property
    def ready(self) -> bool:
        return self._current.ready

    @contextmanager
    def lease(self) -> Iterator[Models]:
        """Hold the current models: none of them is closed (or its index dropped) before the
        `with` block ends, whatever is swapped meanwhile."""
        with self._lock:
            models = self._current
            for part in _parts(models):
                self._leases[id(part)] = self._leases.get(id(part), 0) + 1
        try:
            yield models
        finally:
            self._release(models)

    def attach(self, bank: MemoryBank, llm: LLM, *, borrowed: bool = False) -> None:
        """Start-up: the bank and the chat model are in service from now on. A `borrowed`
        chat model is never closed here (its owner closes it)."""
        self.swap(bank=bank, llm=llm, borrowed=borrowed)

    def swap(
        self,
        *,
        llm: LLM | None | Keep = KEEP,
        bank: MemoryBank | None | Keep = KEEP,
        config: Config | Keep = KEEP,
        borrowed: bool = False,
        drop_old_index: bool = False,
    ) -> Models:
        """Replace any of the parts at once: a reader sees either all old or all new.

        The chat model replaced is closed once no lease holds it. A bank replaced with
        `drop_old_index` (another embedder) has its index collection dropped then, and the
        new bank takes in what the old one indexed meanwhile."""
        with self._lock:
            old = self._current
            new = Models(
                old.config if isinstance(config, Keep) else config,
                old.bank if isinstance(bank, Keep) else bank,
                old.llm if isinstance(llm, Keep) else llm,
            )
            self._current = new
            if borrowed and new.llm is not None:
                self._borrowed[id(new.llm)] = new.llm
            for part in _parts(new):  # back in service: no longer retired
                self._retired.pop(id(part), None)
            due = self._retire(old, new, drop_old_index, shutting_down=False)
        _run(due)
        return new

    def update_config(
        self,
        change: Callable[[Config], Config],
        *,
        llm: LLM | None | Keep = KEEP,
        bank: MemoryBank | BankFor | None | Keep = KEEP,
        drop_old_index: bool = False,
    ) -> tuple[Config, Config]:
        """The one path that changes the settings: read the config in effect, `change` it, save
        it and swap it in (with the model parts that go with it) under one lock, so two edits on
        two threads (a permission set while a model loads) never overwrite each other. `bank`
        may be a function of (old, new) config, run under the lock. A failed save changes
        nothing. Returns (old, new)."""
        with self._config_lock:
            old = self._current.config
            new = change(old)
            if self._config_file is not None:
                save_config(self._config_file, new)  # ConfigError: nothing swapped
            part = bank if bank is None or isinstance(bank, MemoryBank | Keep) else bank(old, new)
            self.swap(config=new, llm=llm, bank=part, drop_old_index=drop_old_index)
        return old, new

    def close(self) -> None:
        """Shutdown: take every part out of service; each closes when its last reader ends."""
        with self._lock:
            old = self._current
            self._current = Models(old.config)
            due = self._retire(old, self._current, False, shutting_down=True)
        _run(due)

    def in_use(self, part: object) -> int:
        """How many leases hold `part` (diagnostics and tests)."""
        with self._lock:
            return self._leases.get(id(part), 0)

    # --- internals (callers hold self._lock) ------------------------------------------------

    def _retire(
        self, old: Models, new: Models, drop_index: bool, *, shutting_down: bool
    ) -> list[Callable[[], None]]:
        rites: list[tuple[object, Callable[[], None]]] = []
        gone = old.llm is not None and old.llm is not new.llm
        if gone and old.llm is not None and self._borrowed.pop(id(old.llm), None) is None:
            rites.append((old.llm, _closer(old.llm)))
        if old.bank is not None and old.bank is not new.bank:
            if shutting_down:
                rites.append((old.bank, old.bank.close))
            elif drop_index and (new.bank is None or old.bank.index is not new.bank.index):
                rites.append((old.bank, self._dropper(old.bank)))
        due = []
        for part, rite in rites:
            if self._leases.get(id(part)):
                self._retired[id(part)] = rite  # done by the last reader's release
            else:
                due.append(rite)
        return due

    def _release(self, models: Models) -> None:
        due: list[Callable[[], None]] = []
        with self._lock:
            for part in _parts(models):
                left = self._leases[id(part)] - 1
                if left:
                    self._leases[id(part)] = left
                    continue
                del self._leases[id(part)]
                rite = self._retired.pop(id(part), None)
                if rite is not None:
                    due.append(rite)
        _run(due)

    def _dropper(self, old: MemoryBank) -> Callable[[], None]:
        def drop() -> None:
            try:
                old.index.drop()
            except Exception as exc:  # noqa: BLE001 - a leftover collection only costs disk
                log.info("could not remove the old index collection: %s", exc)
            # What the old bank indexed after the swap (a job step that held it) is missing
            # from the new index: reconcile finds it by id and embeds it with the new model.
            with self.lease() as now:
                if now.bank is not None and now.bank is not old:
                    now.bank.reconcile()

        return drop


def _parts(models: Models) -> tuple[object, ...]:
    return tuple(p for p in (models.bank, models.llm) if p is not None)


def _closer(llm: LLM) -> Callable[[], None]:
    def close() -> None:
        llm.close()
        log.info("chat model %s closed", llm.model_id)

    return close


def _run(rites: list[Callable[[], None]]) -> None:
    for rite in rites:
        try:
            rite()
        except Exception as exc:  # noqa: BLE001 - a reader's release must not fail with it
            log.warning("retiring a model failed: %s: %s", type(exc).__name__, exc)
