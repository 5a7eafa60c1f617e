"""The desktop integration files in resources/ agree with each other and ship as package data."""

from __future__ import annotations

import configparser
import fnmatch
import struct
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "io.github.membank.Membank"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(RESOURCES / f"{APP_ID}.desktop", encoding="utf-8")
    return parser


def test_desktop_file_starts_the_app_and_quick_capture() -> None:
    entry = desktop_entry()
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Exec"] == "membank"
    assert main["Icon"] == APP_ID
    assert "capture" in main["Actions"].split(";")
    assert entry["Desktop Action capture"]["Exec"] == "membank --capture"


def test_metainfo_names_the_desktop_file_and_binaries() -> None:
    root = ET.parse(RESOURCES / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert {b.text for b in root.iter("binary")} == {"membank", "membank-cli"}
    versions = [r.get("version") for r in root.iter("release")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["version"] in versions


def test_icon_set_has_every_size_rendered_at_that_size() -> None:
    for size in ICON_SIZES:
        png = (RESOURCES / "icons" / f"membank-{size}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])  # IHDR
        assert (width, height) == (size, size)


def test_desktop_files_and_icons_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["resources"]
    files = [
        f"{APP_ID}.desktop",
        f"{APP_ID}.metainfo.xml",
        "membank.svg",
        *(f"icons/membank-{size}.png" for size in ICON_SIZES),
    ]
    for name in files:
        assert (RESOURCES / name).is_file(), name
        assert any(
            fnmatch.fnmatch(name, p) and p.count("/") == name.count("/") for p in patterns
        ), name
