"""People & things, driven as a user would (offscreen, real store, index and embedder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from memory.errors import EntityError
from memory.graph.store import Entity
from ui.browser.memory_browser import MemoryBrowser
from ui.browser.people_view import PeopleView
from ui.tasks import TaskRunner

pytestmark = [pytest.mark.gui, pytest.mark.model]

NOTES = (
    "My sister is starting a new job at Acme in March.",
    "My sister Joanna says Acme is a great place to work.",
    "I went hiking in Sintra with Jojo.",
    "I bought a new bike.",
)


@pytest.fixture
def tasks() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def view(qtbot: QtBot, runtime: Runtime, tasks: TaskRunner) -> Iterator[PeopleView]:
    for text in NOTES:
        runtime.curation.remember(text)
    v = PeopleView(runtime.people, tasks)
    qtbot.addWidget(v)
    v.show()
    with qtbot.waitSignal(v.loaded, timeout=10_000):
        v.refresh()
    yield v
    v.close()


def entity(view: PeopleView, name: str) -> Entity:
    found = [e for e in view.entities() if e.name == name]
    assert found, f"{name!r} not listed: {[e.name for e in view.entities()]}"
    return found[0]


def test_lists_entities_and_shows_a_timeline(qtbot: QtBot, view: PeopleView) -> None:
    names = {e.name for e in view.entities()}
    assert {"Joanna", "Acme", "Jojo", "Sintra"} <= names
    joanna = entity(view, "Joanna")
    with qtbot.waitSignal(view.timeline_shown, timeout=10_000) as shown:
        view.select(joanna.id)
    assert shown.args == [2]
    text = view.timeline.toPlainText()
    assert "my sister" in text  # an alias
    assert text.index("starting a new job") < text.index("great place to work")  # in order


def test_merge_rename_alias_and_refusals(qtbot: QtBot, view: PeopleView) -> None:
    joanna, jojo = entity(view, "Joanna"), entity(view, "Jojo")
    with qtbot.waitSignal(view.loaded, timeout=10_000):  # done, then listed again
        view.merge(jojo.id, "my sister")
    merged = entity(view, "Joanna")
    assert merged.memories == 3 and "jojo" in merged.aliases
    assert "Jojo" not in {e.name for e in view.entities()}
    # Bad input: one line in the status bar, nothing changed.
    with qtbot.waitSignal(view.refused, timeout=10_000) as refused:
        view.merge(merged.id, "Joanna")
    assert refused.args[0] == "An entity cannot be merged onto itself; nothing was changed."
    with qtbot.waitSignal(view.refused, timeout=10_000) as refused:
        view.merge(merged.id, "Nobody Known")
    assert "No person, place or thing called 'Nobody Known'" in refused.args[0]
    assert view.status.text() == refused.args[0]
    assert entity(view, "Joanna").memories == 3
    with qtbot.waitSignal(view.loaded, timeout=10_000):  # done, then listed again
        view.rename(joanna.id, "Joanna Silva")
    with qtbot.waitSignal(view.loaded, timeout=10_000):  # done, then listed again
        view.add_alias(joanna.id, "Jo")
    renamed = entity(view, "Joanna Silva")
    assert {"jo", "joanna", "joanna silva", "my sister"} <= set(renamed.aliases)


def test_forget_everything_about_one_goes_through_forget_about(
    qtbot: QtBot, view: PeopleView, runtime: Runtime
) -> None:
    sintra = entity(view, "Sintra")
    with qtbot.waitSignal(view.loaded, timeout=10_000):  # done, then listed again
        view.forget_about(sintra.id)
    names = {e.name for e in view.entities()}
    assert "Sintra" not in names and "Jojo" not in names  # its only memory went
    texts = [m.text for m in runtime.store.memories(limit=100)]
    assert not any("Sintra" in t for t in texts)
    assert any(e.event == "forgotten" for e in runtime.privacy.audit())
    with pytest.raises(EntityError):
        runtime.people.timeline("Sintra")


def test_the_memory_browser_filters_by_entity(
    qtbot: QtBot, view: PeopleView, runtime: Runtime, tasks: TaskRunner
) -> None:
    browser = MemoryBrowser(runtime.curation, runtime.privacy, tasks, people=runtime.people)
    qtbot.addWidget(browser)
    browser.show()
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.refresh()
    assert len(browser.visible_texts()) == len(NOTES)
    with qtbot.waitSignal(browser.entity_filtered, timeout=10_000) as shown:
        browser.filter_by_entity("my sister")
    assert shown.args == [2]
    assert all("sister" in t for t in browser.visible_texts())
    assert "about Joanna" in browser.status.text()
    browser.filter_by_entity("Nobody Known")
    qtbot.waitUntil(lambda: "No person" in browser.status.text(), timeout=10_000)
    assert len(browser.visible_texts()) == 2  # unchanged
    browser.close()
