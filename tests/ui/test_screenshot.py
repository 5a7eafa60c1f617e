"""The main window in a real X11 window under Xvfb, saved as a PNG to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from tests.conftest import ARTIFACTS
from tests.ui.xshots import distinct_colours

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.slow]


@pytest.fixture
def xvfb_display() -> str:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb); .ci/run installs it")
    display = f":{90 + os.getpid() % 50}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def run_app(module: str, display: str, *args: str, timeout: int = 300) -> str:
    """Run `python -m module args…` on the X server `display`; its stdout (it must exit 0)."""
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


THEMES = pytest.mark.parametrize("theme", ["light", "dark"])


def _suffix(theme: str) -> str:
    return "-dark" if theme == "dark" else ""


@THEMES
def test_main_window_renders_under_xvfb(xvfb_display: str, tmp_path: Path, theme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"main_window{_suffix(theme)}.png"
    run_app("tests.ui.screenshot_app", xvfb_display, str(out), str(tmp_path / "data"), theme)
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500
    assert distinct_colours(image) > 10  # a real drawn window, not a blank rectangle
    window_bg = QColor(image.pixel(image.width() // 2, image.height() - 30)).lightness()
    assert window_bg < 100 if theme == "dark" else window_bg > 150, window_bg
    screen = QImage(str(out.with_name(out.stem + "-screen.png")))
    assert distinct_colours(screen) > 10


TRAY_PROBE = (
    "from PySide6.QtWidgets import QApplication, QSystemTrayIcon; app = QApplication([]); "
    "print(QSystemTrayIcon.isSystemTrayAvailable())"
)


def _wait_for_tray(env: dict[str, str], limit_s: float = 60) -> None:
    """Until a Qt app on that display sees a tray (a condition, not a guessed sleep: trayer
    takes longer to start on a loaded machine)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [sys.executable, "-c", TRAY_PROBE], env=env, capture_output=True, text=True
        )
        if probe.stdout.strip() == "True":
            return
    pytest.fail(f"no system tray on the display after {limit_s:.0f} s")


def test_tray_icon_and_close_to_tray_under_a_real_tray_host(
    xvfb_display: str, tmp_path: Path
) -> None:
    if shutil.which("trayer") is None:
        pytest.skip("trayer (a tray host for Xvfb) is not installed; .ci/run installs it")
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb"}
    tray = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_tray(env)  # the tray host claims the selection before the app looks for it
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / "tray.png"
        stdout = run_app("tests.ui.tray_app", xvfb_display, str(out), str(tmp_path / "data"))
        assert "'installed': True" in stdout and "'hidden_but_running': True" in stdout
        assert "'menu_visible': True" in stdout
        for entry in ("Open", "Quick capture", "Consolidate now", "Pause memory", "Quit"):
            assert entry in stdout, stdout
        assert distinct_colours(QImage(str(out))) > 3
        assert distinct_colours(QImage(str(out.with_name("tray-menu.png")))) > 3
    finally:
        tray.terminate()
        tray.wait(timeout=10)


@THEMES
def test_memory_browser_renders_under_xvfb(xvfb_display: str, tmp_path: Path, theme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"memory_browser{_suffix(theme)}.png"
    data = str(tmp_path / "data")
    run_app("tests.ui.browser_screenshot_app", xvfb_display, str(out), data, theme)
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500
    assert distinct_colours(image) > 10


@THEMES
def test_persona_settings_capture_and_connected_apps_render_under_xvfb(
    xvfb_display: str, tmp_path: Path, theme: str
) -> None:
    """A day really consolidated by the bundled model, then each dialog saved as a PNG."""
    ARTIFACTS.mkdir(exist_ok=True)
    stdout = run_app(
        "tests.ui.dialogs_screenshot_app",
        xvfb_display,
        str(ARTIFACTS),
        str(tmp_path),
        theme,
        timeout=400,
    )
    assert "'global_summary': 1" in stdout  # the persona view shows real output
    for name, width in (
        ("persona", 700),
        ("settings", 500),
        ("quick-capture", 400),
        ("connected-apps", 500),
        ("add-an-app", 500),
    ):
        image = QImage(str(ARTIFACTS / f"{name}{_suffix(theme)}.png"))
        assert image.width() >= width, name
        assert distinct_colours(image) > 5, name


@THEMES
def test_people_and_things_renders_under_xvfb(
    xvfb_display: str, tmp_path: Path, theme: str
) -> None:
    """People & things on notes told over four months: the sister, known as "my sister", "Jo"
    and "Joanna", is one person with every note about her on her timeline."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"people{_suffix(theme)}.png"
    stdout = run_app(
        "tests.ui.people_screenshot_app", xvfb_display, str(out), str(tmp_path / "data"), theme
    )
    assert "'timeline': 5" in stdout, stdout  # every note but the bike names her
    for entity in ("Joanna (person)", "Pixel (pet)", "Lisbon (place)", "Sintra (place)"):
        assert f"'{entity}'" in stdout, stdout
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500
    assert distinct_colours(image) > 5
