"""The memory browser driven like a user would, with the real embedder (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from memory.consolidation.hierarchy import HierarchyStore
from memory.errors import NotFoundError
from memory.records import Kind, State
from ui.browser.memory_browser import MemoryBrowser
from ui.browser.memory_model import COL_RETENTION, COL_STRENGTH, ROLE_MEMORY
from ui.shell.main_window import MainWindow
from ui.tasks import TaskRunner

pytestmark = [pytest.mark.gui, pytest.mark.model]

NOTES = (
    "My cat is called Miso",
    "The dentist appointment is on Friday at nine",
    "I prefer green tea over coffee",
)


@pytest.fixture
def browser(qtbot: QtBot, runtime: Runtime) -> Iterator[MemoryBrowser]:
    for text in NOTES:
        runtime.curation.remember(text)
    tasks = TaskRunner()
    b = MemoryBrowser(runtime.curation, runtime.privacy, tasks)
    qtbot.addWidget(b)
    b.show()
    with qtbot.waitSignal(b.loaded, timeout=10_000):
        b.refresh()
    yield b
    b.close()
    tasks.shutdown()


def _row_of(browser: MemoryBrowser, needle: str) -> int:
    for r, text in enumerate(browser.visible_texts()):
        if needle in text:
            return r
    raise AssertionError(f"{needle!r} not listed: {browser.visible_texts()}")


def _select(qtbot: QtBot, browser: MemoryBrowser, needle: str) -> str:
    row = _row_of(browser, needle)
    with qtbot.waitSignal(browser.detail_shown, timeout=10_000):
        browser.table.selectRow(row)
    return str(browser.selected_ids()[0])


def test_lists_remembered_notes_with_retention(browser: MemoryBrowser) -> None:
    texts = browser.visible_texts()
    assert all(any(note == t for t in texts) for note in NOTES), texts
    index = browser.proxy.index(_row_of(browser, "Miso"), COL_RETENTION)
    assert index.data().endswith("%")
    assert 0.0 < index.data(ROLE_MEMORY).retention <= 1.0


def test_sort_by_strength(browser: MemoryBrowser) -> None:
    browser.table.sortByColumn(COL_STRENGTH, Qt.SortOrder.AscendingOrder)
    strengths = [
        browser.proxy.index(r, 0).data(ROLE_MEMORY).memory.strength
        for r in range(browser.proxy.rowCount())
    ]
    assert strengths == sorted(strengths)
    browser.table.sortByColumn(COL_STRENGTH, Qt.SortOrder.DescendingOrder)
    strengths = [
        browser.proxy.index(r, 0).data(ROLE_MEMORY).memory.strength
        for r in range(browser.proxy.rowCount())
    ]
    assert strengths == sorted(strengths, reverse=True)


def test_kind_filter_and_text_filter(browser: MemoryBrowser) -> None:
    browser.kind_combo.setCurrentIndex(browser.kind_combo.findData(Kind.NOTE.value))
    assert sorted(browser.visible_texts()) == sorted(NOTES)
    browser.kind_combo.setCurrentIndex(browser.kind_combo.findData(Kind.FACT.value))
    assert browser.visible_texts() == []
    browser.kind_combo.setCurrentIndex(0)
    browser.search_box.setText("green tea")
    assert browser.visible_texts() == ["I prefer green tea over coffee"]


def test_recall_search_finds_a_note(qtbot: QtBot, browser: MemoryBrowser) -> None:
    qtbot.keyClicks(browser.search_box, "what is my pet's name")
    with qtbot.waitSignal(browser.recalled, timeout=10_000):
        qtbot.keyClick(browser.search_box, Qt.Key.Key_Return)
    texts = browser.visible_texts()
    assert "My cat is called Miso" in texts


def test_pin_sets_pinned_in_the_store(
    qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser
) -> None:
    memory_id = _select(qtbot, browser, "Miso")
    assert browser.pin_button.text() == "Pin"
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        qtbot.mouseClick(browser.pin_button, Qt.MouseButton.LeftButton)
    assert runtime.curation.memory(memory_id).pinned
    assert browser.selected_ids() == [memory_id]  # the selection survives the refresh
    assert browser.pin_button.text() == "Unpin"
    browser.state_combo.setCurrentIndex(browser.state_combo.findData("pinned"))
    assert browser.visible_texts() == ["My cat is called Miso"]


def test_bulk_pin(qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser) -> None:
    ids = [m.id for m in runtime.curation.memories()]
    browser.select_ids(ids)
    assert sorted(browser.selected_ids()) == sorted(ids)
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.toggle_pin_selected()
    assert all(runtime.curation.memory(i).pinned for i in ids)


def test_edit_changes_text_and_search_finds_the_new_text(
    qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_id = _select(qtbot, browser, "dentist")
    new_text = "The piano lesson is on Friday at nine"
    monkeypatch.setattr(
        QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: (new_text, True))
    )
    with qtbot.waitSignal(browser.loaded, timeout=30_000):
        qtbot.mouseClick(browser.edit_button, Qt.MouseButton.LeftButton)
    memory = runtime.curation.memory(memory_id)
    assert memory.text == new_text and memory.locked
    found = runtime.curation.search("piano lesson", 3)
    assert found and found[0].memory.id == memory_id
    assert new_text in browser.visible_texts()


def test_forget_removes_from_store_and_index(
    qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_id = _select(qtbot, browser, "green tea")
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    )
    with qtbot.waitSignal(browser.loaded, timeout=30_000):
        qtbot.mouseClick(browser.forget_button, Qt.MouseButton.LeftButton)
    with pytest.raises(NotFoundError):
        runtime.curation.memory(memory_id)
    assert runtime.host.models.bank is not None
    assert memory_id not in runtime.host.models.bank.index.ids()
    assert all(r.memory.id != memory_id for r in runtime.curation.search("green tea", 5))
    assert "I prefer green tea over coffee" not in browser.visible_texts()


def test_forget_declined_keeps_it(
    qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_id = _select(qtbot, browser, "green tea")
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No)
    )
    browser.confirm_and_forget()
    assert runtime.curation.memory(memory_id).text == "I prefer green tea over coffee"


def test_menu_action_opens_the_browser(qtbot: QtBot, runtime: Runtime) -> None:
    runtime.curation.remember("My cat is called Miso")
    window = MainWindow(runtime)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.models_ready, timeout=10_000)
    try:
        memory_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Memory")
        action = next(a for a in memory_menu.actions() if a.text() == "&Browse memories…")
        assert action.shortcut().toString() == "Ctrl+B"
        action.trigger()
        browser = window.dialogs.get(MemoryBrowser)
        assert browser is not None and browser.isVisible()
        qtbot.waitUntil(lambda: "My cat is called Miso" in browser.visible_texts(), timeout=10_000)
    finally:
        window.close()


def test_date_filter(qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser) -> None:
    old = runtime.clock.now() - timedelta(days=60)
    runtime.store.add_memory(Kind.NOTE, "The trip to Rome", old, strength=1.0)
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.refresh()
    assert "The trip to Rome" in browser.visible_texts()
    browser.period_combo.setCurrentIndex(browser.period_combo.findText("Last 7 days"))
    assert sorted(browser.visible_texts()) == sorted(NOTES)
    browser.period_combo.setCurrentIndex(browser.period_combo.findText("Last year"))
    assert "The trip to Rome" in browser.visible_texts()


def test_restore_a_faded_memory(qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser) -> None:
    miso = next(m for m in runtime.curation.memories() if "Miso" in m.text)
    HierarchyStore(runtime.store).fade([miso.id], runtime.clock.now())
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.refresh()
    browser.state_combo.setCurrentIndex(browser.state_combo.findData("faded"))
    assert browser.visible_texts() == ["My cat is called Miso"]
    _select(qtbot, browser, "Miso")
    assert browser.restore_button.isEnabled()
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        qtbot.mouseClick(browser.restore_button, Qt.MouseButton.LeftButton)
    assert runtime.curation.memory(miso.id).state == State.ACTIVE
    assert browser.visible_texts() == []  # no longer faded


def test_detail_shows_the_forgetting_curve_with_recalls(
    qtbot: QtBot, runtime: Runtime, browser: MemoryBrowser
) -> None:
    bank = runtime.host.models.bank
    assert bank is not None
    found = [r for r in runtime.curation.search("my cat", 3) if "Miso" in r.memory.text]
    later = runtime.clock.now() + timedelta(seconds=1)
    bank.strengthen(found[:1], later, None)
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.refresh()
    _select(qtbot, browser, "Miso")
    assert browser.chart.recalls == 1
    assert browser.chart.points > 2
    assert "Recalled: 1×" in browser.detail.toPlainText()


def test_timeline_counts_memories_per_day(browser: MemoryBrowser) -> None:
    assert sum(sum(bands) for bands in browser.timeline.counts.values()) == len(NOTES)
    assert all(bands[3] == 0 for bands in browser.timeline.counts.values())  # none faded


def test_lists_a_page_at_a_time_and_loads_more_when_scrolled(
    qtbot: QtBot, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.browser.memory_browser as browser_module

    monkeypatch.setattr(browser_module, "PAGE", 2)
    for text in NOTES:
        runtime.curation.remember(text)
    tasks = TaskRunner()
    b = MemoryBrowser(runtime.curation, runtime.privacy, tasks)
    qtbot.addWidget(b)
    b.show()
    # What the first page showed is recorded as it arrives: the shown view may ask for the
    # next page by itself at once (it has room), so a later look could already see three.
    pages: list[tuple[int, str]] = []
    b.loaded.connect(lambda n: pages.append((n, b.status.text())))
    try:
        with qtbot.waitSignal(b.loaded, timeout=10_000):
            b.refresh()
        [(listed, status)] = pages
        assert listed == 2 and "3 memories (the newest 2 listed" in status
        b.table.scrollToBottom()  # the view asks the model for more at its end (if not yet)
        qtbot.waitUntil(lambda: len(b.model.rows) == 3, timeout=10_000)
        assert not b.model.canFetchMore()  # the last page was not full
        assert sorted(b.visible_texts()) == sorted(NOTES)
        assert b.status.text() == "3 memories."
    finally:
        b.close()
        tasks.shutdown()
