"""Two config edits at once, on two threads, both kept: an app's permission set in Connected
apps while a settings change waits for its chat model to load (issue 23)."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from app.config import load_config
from app.engine import settings_apply
from app.mcp.apps import connected_apps
from ui.dialogs.connected_apps import ConnectedAppsDialog
from ui.shell.main_window import MainWindow


def test_a_permission_set_while_a_model_loads_is_kept_with_the_new_settings(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = window.runtime
    loading, release = threading.Event(), threading.Event()
    llm = runtime.host.models.llm

    def slow_load(_config: object) -> object:
        loading.set()  # the settings' chat model loads on the worker thread...
        release.wait(30)
        return llm  # (the same model: nothing to close)

    monkeypatch.setattr(settings_apply, "load_chat_model", slow_load)
    chosen = runtime.config.model_copy(
        update={"llm": runtime.config.llm.model_copy(update={"temperature": 0.3})}
    )
    window.settings_requested.emit(chosen)
    qtbot.waitUntil(loading.is_set)
    apps = ConnectedAppsDialog(runtime, window.tasks, window)
    qtbot.addWidget(apps)
    apps.set_permission("Claude Desktop", "full")  # ...while the user sets a permission
    qtbot.waitUntil(lambda: "Claude Desktop may now" in apps.status.text())
    release.set()
    # (waitSignal on a worker-thread signal would stop its timer from that thread)
    qtbot.waitUntil(lambda: runtime.config.llm.temperature == 0.3, timeout=60_000)
    for config in (runtime.config, load_config(runtime.paths.config_file)):
        assert config.llm.temperature == 0.3
        assert config.mcp.clients["Claude Desktop"].permission == "full"
    assert [a.permission for a in connected_apps(runtime.store, runtime.config.mcp)] == ["full"]
