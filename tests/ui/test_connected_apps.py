"""MCP calls handed to the window over its socket: permissions set in Connected apps apply at
once, Pause memory refuses MCP writes, and the view lists each app's recent access."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from app.config import load_config
from app.mcp.ipc import InstanceError, McpRequest, call_running
from ui.dialogs.connected_apps import ConnectedAppsDialog
from ui.shell.main_window import MainWindow
from ui.shell.single_instance import InstanceServer

pytestmark = [pytest.mark.gui, pytest.mark.model]


def call(qtbot: QtBot, runtime: Runtime, client: str, tool: str, **args: Any) -> Any:
    """membank-mcp's side of the hand-off, on a thread while the GUI thread serves it."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = call_running(runtime.paths.data_dir, McpRequest(client, tool, args))
        except InstanceError as exc:
            out["error"] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30_000)
    return out


def test_permissions_pause_and_the_connected_apps_view(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    server = InstanceServer(runtime.paths.data_dir, window.handle_request, window.mcp_bridge.handle)
    try:
        assert server.listening
        refused = call(qtbot, runtime, "cursor", "remember", text="I prefer tabs to spaces")
        assert "read only" in refused["error"] and "Connected apps" in refused["error"]
        assert runtime.store.count_memories() == 0

        dialog = ConnectedAppsDialog(runtime, window.tasks, window)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        assert dialog.table.item(0, 0).text() == "cursor"
        assert dialog.table.item(0, 3).text() == "1 (1 refused)"
        combo = dialog.table.cellWidget(0, 1)
        combo.setCurrentIndex(1)  # read and remember
        qtbot.waitUntil(lambda: "may now" in dialog.status.text())
        saved = load_config(runtime.paths.config_file)
        assert saved.mcp.clients["cursor"].permission == "remember"

        stored = call(qtbot, runtime, "cursor", "remember", text="I prefer tabs to spaces")
        assert stored["result"]["kind"] == "note"
        found = call(qtbot, runtime, "cursor", "recall", query="tabs or spaces")
        assert found["result"][0]["id"] == stored["result"]["id"]
        forget = call(qtbot, runtime, "cursor", "forget", memory_id=stored["result"]["id"])
        assert "read and remember" in forget["error"]  # forgetting needs "full"

        window.set_paused(True)
        paused = call(qtbot, runtime, "cursor", "remember", text="Something while paused")
        assert "memory is paused" in paused["error"]
        assert runtime.store.count_memories() == 1
        window.set_paused(False)

        dialog.refresh()
        qtbot.waitUntil(lambda: dialog.table.item(0, 3).text() == "5 (3 refused)")
        assert dialog.table.item(0, 4).text() == "remember"  # the last call
    finally:
        server.close()


def test_add_an_app_shows_its_entry_and_sets_it_up_before_its_first_call(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    import json
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    dialog = ConnectedAppsDialog(runtime, window.tasks, window)
    qtbot.addWidget(dialog)
    add = dialog.add_app()
    apps = [add.app_combo.itemText(i) for i in range(add.app_combo.count())]
    assert apps == ["Claude Desktop", "Cursor", "Jan", "LM Studio", "VS Code", "Open WebUI"]
    add.app_combo.setCurrentIndex(apps.index("Cursor"))
    entry = json.loads(add.snippet.toPlainText())["mcpServers"]["membank"]
    assert Path(entry["command"]).is_absolute() and entry["command"].endswith("membank-mcp")
    assert entry["args"][:2] == ["--client", "cursor"]
    add.app_combo.setCurrentIndex(apps.index("Open WebUI"))
    webui = add.snippet.toPlainText()  # streamable HTTP on loopback, as `mcp config` prints it
    assert "--http" in webui and "http://127.0.0.1:" in webui and "mcpo" not in webui
    add.copy()
    assert QApplication.clipboard().text() == add.snippet.toPlainText()
    add.app_combo.setCurrentIndex(apps.index("Cursor"))
    add.permission.setCurrentIndex(add.permission.findData("remember"))
    add.space.setCurrentText("work")
    with qtbot.waitSignal(add.saved, timeout=10_000):
        add.save()
    for config in (runtime.config, load_config(runtime.paths.config_file)):
        cursor = config.mcp.clients["cursor"]
        assert (cursor.permission, cursor.space) == ("remember", "work")
    qtbot.waitUntil(lambda: any(a.name == "cursor" for a in dialog.apps))
