"""Importing a ChatGPT export, a folder of notes and LoCoMo-shaped JSON; malformed files change
nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import build_parser
from app.transfer.formats import detect_format, import_file, parse_chatgpt
from memory.bank import MemoryBank
from memory.errors import ArchiveError
from memory.records import Kind
from tests.unit.fakes import T0, make_bank

TS = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def _node(
    node_id: str, parent: str | None, role: str | None, text: str = "", t: float = TS
) -> dict[str, Any]:
    message = None
    if role is not None:
        message = {
            "author": {"role": role},
            "content": {"content_type": "text", "parts": [text]},
            "create_time": t,
        }
    return {"id": node_id, "parent": parent, "message": message}


def chatgpt_export() -> list[dict[str, Any]]:
    """One conversation with an edited user turn: the abandoned branch must not be imported."""
    nodes = [
        _node("root", None, None),
        _node("sys", "root", "system", "You are ChatGPT"),
        _node("u1", "sys", "user", "My sister Ana lives in Porto", TS + 10),
        _node("a1", "u1", "assistant", "Porto is lovely.", TS + 20),
        _node("u2old", "a1", "user", "ABANDONED draft question", TS + 30),
        _node("u2", "a1", "user", "She has a dog called Pico", TS + 40),
        _node("a2", "u2", "assistant", "Pico is a nice name.", TS + 50),
    ]
    return [
        {
            "title": "Family",
            "create_time": TS,
            "current_node": "a2",
            "mapping": {n["id"]: n for n in nodes},
        }
    ]


def locomo_file() -> list[dict[str, Any]]:
    return [
        {
            "sample_id": "conv-x",
            "conversation": {
                "speaker_a": "Caroline",
                "speaker_b": "Mel",
                "session_1_date_time": "1:56 pm on 8 May, 2023",
                "session_1": [
                    {"speaker": "Caroline", "dia_id": "D1:1", "text": "I went to a meetup."},
                    {"speaker": "Mel", "dia_id": "D1:2", "text": "How was it?"},
                ],
            },
            "qa": [],
        }
    ]


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path / "data")
    yield b
    b.close()
    b.store.close()


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _snapshot(bank: MemoryBank) -> tuple[Any, ...]:
    return tuple(
        bank.store.rows(f"SELECT * FROM {t} ORDER BY 1")
        for t in ("conversations", "messages", "memories", "audit_log")
    )


def test_chatgpt_export_imports_the_active_branch(bank: MemoryBank, tmp_path: Path) -> None:
    path = _write(tmp_path / "conversations.json", chatgpt_export())
    assert detect_format(path) == "chatgpt"

    report = import_file(bank, path, "chatgpt", T0)

    assert (report.conversations, report.messages, report.memories) == (1, 4, 2)
    (conversation,) = bank.store.conversations()
    assert conversation.title == "Family"
    messages = bank.store.messages(conversation.id)
    assert [(m.role, m.text) for m in messages] == [
        ("user", "My sister Ana lives in Porto"),
        ("assistant", "Porto is lovely."),
        ("user", "She has a dog called Pico"),
        ("assistant", "Pico is a nice name."),
    ]
    assert messages[0].created_at == datetime.fromtimestamp(TS + 10, UTC)
    turns = [m for m in bank.store.memories() if m.kind is Kind.TURN]
    assert sorted(m.text for m in turns) == [
        "My sister Ana lives in Porto",
        "She has a dog called Pico",
    ]
    assert {m.event_time for m in turns} == {
        datetime.fromtimestamp(TS + 10, UTC),
        datetime.fromtimestamp(TS + 40, UTC),
    }
    assert all("ABANDONED" not in repr(r) for r in _snapshot(bank))
    assert bank.index.ids() == bank.store.all_memory_ids()  # indexed after the commit
    assert bank.recall("Pico the dog", T0)[0].memory.text == "She has a dog called Pico"


def test_notes_folder_becomes_note_memories(bank: MemoryBank, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "groceries.md").write_text("# Buy\n- oat milk\n", encoding="utf-8")
    (folder / "sub" / "idea.txt").write_text("Build a birdhouse", encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG")
    os.utime(folder / "groceries.md", (TS, TS))
    assert detect_format(folder) == "notes"

    report = import_file(bank, folder, "notes", T0)

    assert report.memories == 2
    notes = {m.text.split("\n")[0]: m for m in bank.store.memories() if m.kind is Kind.NOTE}
    assert set(notes) == {"groceries.md", "idea.txt"}
    assert "oat milk" in notes["groceries.md"].text
    assert notes["groceries.md"].event_time == datetime.fromtimestamp(TS, UTC)
    assert bank.index.ids() == bank.store.all_memory_ids()


def test_locomo_json_is_imported_like_the_benchmark(bank: MemoryBank, tmp_path: Path) -> None:
    path = _write(tmp_path / "locomo.json", locomo_file())
    assert detect_format(path) == "locomo"

    report = import_file(bank, path, "locomo", T0)

    assert (report.conversations, report.messages, report.memories) == (1, 2, 2)
    texts = sorted(m.text for m in bank.store.memories())
    assert texts == ["Caroline: I went to a meetup.", "Mel: How was it?"]


def _bad_chatgpt() -> list[tuple[str, Any]]:
    good = chatgpt_export()[0]
    loop = json.loads(json.dumps(good))
    loop["mapping"]["root"]["parent"] = "a2"
    return [
        ("not a list", {"mapping": {}}),
        ("no mapping", [{"title": "x", "create_time": TS, "current_node": "a"}]),
        ("bad current node", [{**good, "current_node": "nope"}]),
        ("bad time", [{**good, "create_time": "yesterday"}]),
        ("parent loop", [loop]),
        (
            "parts not a list",
            [_with(good, "u1", {"author": {"role": "user"}, "content": {"parts": "hi"}})],
        ),
        ("no role", [_with(good, "u1", {"author": {}, "content": {"parts": ["hi"]}})]),
        ("missing parent node", [_with_node(good, "a1", {"parent": "ghost", "message": None})]),
        ("second conversation broken", [good, 42]),
    ]


def _with(conv: dict[str, Any], node: str, message: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(conv))
    copy["mapping"][node]["message"] = message
    return copy


def _with_node(conv: dict[str, Any], node: str, value: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(conv))
    copy["mapping"][node] = value
    return copy


@pytest.mark.parametrize(("name", "data"), _bad_chatgpt(), ids=[n for n, _ in _bad_chatgpt()])
def test_malformed_chatgpt_exports_are_refused_and_change_nothing(
    bank: MemoryBank, tmp_path: Path, name: str, data: Any
) -> None:
    import_file(bank, _write(tmp_path / "ok.json", chatgpt_export()), "chatgpt", T0)
    before = _snapshot(bank)
    with pytest.raises(ArchiveError):
        import_file(bank, _write(tmp_path / "bad.json", data), "chatgpt", T0)
    assert _snapshot(bank) == before


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"a": 1}',
        b"[1, 2]",
        json.dumps([{"conversation": {"session_1": []}}]).encode(),
        json.dumps(
            [{"conversation": {"session_1_date_time": "someday", "session_1": []}}]
        ).encode(),
    ],
)
def test_malformed_locomo_files_are_refused(
    bank: MemoryBank, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ArchiveError):
        import_file(bank, path, "locomo", T0)
    assert bank.store.memories() == []


def test_bad_notes_are_refused(bank: MemoryBank, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not a folder"):
        import_file(bank, tmp_path / "missing", "notes", T0)
    folder = tmp_path / "notes"
    folder.mkdir()
    with pytest.raises(ArchiveError, match="no .txt or .md"):
        import_file(bank, folder, "notes", T0)
    (folder / "ok.txt").write_text("fine", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ArchiveError, match="not UTF-8"):
        import_file(bank, folder, "notes", T0)
    assert bank.store.memories() == []


def test_a_failure_mid_write_rolls_everything_back(
    bank: MemoryBank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "c.json", chatgpt_export() * 3)
    calls = 0
    original = bank.store.add_message

    def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise RuntimeError("disk on fire")
        return original(*args, **kwargs)

    monkeypatch.setattr(bank.store, "add_message", flaky)
    with pytest.raises(RuntimeError):
        import_file(bank, path, "chatgpt", T0)
    monkeypatch.undo()
    assert bank.store.conversations() == []
    assert bank.store.memories() == []
    # And the store still works afterwards.
    import_file(bank, _write(tmp_path / "ok.json", chatgpt_export()), "chatgpt", T0)
    assert len(bank.store.conversations()) == 1


def test_detect_and_cli_flag(tmp_path: Path) -> None:
    assert detect_format(tmp_path / "backup.membank") == "membank"
    with pytest.raises(ArchiveError, match="--format"):
        detect_format(_write(tmp_path / "other.json", [{"x": 1}]))
    assert len(parse_chatgpt(_write(tmp_path / "c.json", []))) == 0
    args = build_parser().parse_args(["import", "conversations.json", "--format", "chatgpt"])
    assert args.format == "chatgpt"
    assert build_parser().parse_args(["import", "a.membank"]).format is None


def _locomo_with(**conversation: Any) -> list[dict[str, Any]]:
    data = locomo_file()
    data[0]["conversation"] = {**data[0]["conversation"], **conversation}
    return data


BAD_LOCOMO: list[tuple[str, Any, str]] = [
    ("not a dict", [{"conversation": "not a dict"}], '"conversation" is a str, not an object'),
    ("not a list", {"conversation": {}}, "not a list of conversations"),
    ("an item", ["conv"], "conversation 1: is a str, not an object"),
    ("no sessions", [{"conversation": {"speaker_a": "A"}}], 'has no "session_1"'),
    (
        "a turn",
        _locomo_with(session_1=["hello"]),
        'turn 1 of "session_1" is a str, not an object',
    ),
    (
        "no text",
        _locomo_with(session_1=[{"speaker": "A", "dia_id": "D1:1"}]),
        'has no text "text"',
    ),
    ("bad date", _locomo_with(session_1_date_time="someday"), "session_1_date_time"),
    ("empty", _locomo_with(session_1=[]), "every session is empty"),
]


@pytest.mark.parametrize(
    ("data", "expected"), [(d, e) for _, d, e in BAD_LOCOMO], ids=[n for n, _, _ in BAD_LOCOMO]
)
def test_a_locomo_refusal_is_one_line_naming_file_item_and_shape_and_stores_nothing(
    bank: MemoryBank, tmp_path: Path, data: Any, expected: str
) -> None:
    """Before: `[{"conversation": "not a dict"}]` "succeeded" with an empty conversation."""
    path = _write(tmp_path / "odd.json", data)
    before = _snapshot(bank)
    with pytest.raises(ArchiveError) as refused:
        import_file(bank, path, "locomo", T0)
    message = str(refused.value)
    assert "\n" not in message
    assert str(path) in message and expected in message
    assert "expected LoCoMo's shape" in message or "use e.g. '1:56 pm" in message  # the format
    assert _snapshot(bank) == before


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("25.09.2023, 10:03:04", datetime(2023, 9, 25, 10, 3, 4, tzinfo=UTC)),
        ("2023-09-25T10:03:04", datetime(2023, 9, 25, 10, 3, 4, tzinfo=UTC)),
        ("2023-09-25 10:03", datetime(2023, 9, 25, 10, 3, tzinfo=UTC)),
        ("2023-09-25T10:03:04+02:00", datetime(2023, 9, 25, 8, 3, 4, tzinfo=UTC)),
    ],
)
def test_session_dates_in_common_forms_are_read(
    bank: MemoryBank, tmp_path: Path, written: str, expected: datetime
) -> None:
    path = _write(tmp_path / "dated.json", _locomo_with(session_1_date_time=written))
    import_file(bank, path, "locomo", T0)
    times = sorted(m.event_time for m in bank.store.memories())
    assert times[0] == expected
