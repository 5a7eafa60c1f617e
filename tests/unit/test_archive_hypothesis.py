"""Generated stores round-trip exactly; corrupted archives only ever raise ArchiveError."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory.archive.reader import read_archive
from memory.archive.restore import import_archive
from memory.archive.writer import ExportFilter, collect, export_archive
from memory.errors import ArchiveError
from memory.records import Kind
from tests.unit.archive_util import dump, populate
from tests.unit.fakes import T0, make_bank

texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=80,
).filter(lambda t: t.strip())
memories = st.lists(
    st.tuples(st.sampled_from([Kind.NOTE, Kind.TURN, Kind.FACT]), texts, st.integers(0, 10_000)),
    max_size=12,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(memories)
def test_generated_memories_round_trip(items: list[tuple[Kind, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source, target = make_bank(root / "s"), make_bank(root / "t")
        try:
            chat = source.store.create_conversation("Chat", T0)
            for kind, text, minutes in items:
                when = T0 + timedelta(minutes=minutes)
                message = source.store.add_message(chat.id, "user", text, when)
                source.store.add_memory(
                    kind, text, when, conversation_id=chat.id, source_message_ids=[message.id]
                )
            path = export_archive(source.store, root / "a.membank", T0, bank=source).path
            import_archive(target, read_archive(path), T0)
            first, second = (
                collect(source.store, ExportFilter()),
                collect(target.store, ExportFilter()),
            )
            for record_type in ("conversations", "messages", "memories"):
                assert first[record_type] == second[record_type]
            assert target.index.ids() == target.store.all_memory_ids()
        finally:
            for bank in (source, target):
                bank.close()
                bank.store.close()


def test_random_corruption_is_always_an_archive_error(tmp_path: Path) -> None:
    source = make_bank(tmp_path / "s")
    populate(source)
    good = export_archive(source.store, tmp_path / "a.membank", T0, bank=source).path.read_bytes()
    before = dump(source)

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), min_size=1, max_size=8
        )
    )
    def corrupt(edits: list[tuple[int, int]]) -> None:
        data = bytearray(good)
        for at, value in edits:
            data[at] = value
        bad = tmp_path / "bad.membank"
        bad.write_bytes(bytes(data))
        try:
            contents = read_archive(bad)
        except ArchiveError:
            return
        # A change that survives every check (e.g. in zip padding) imports cleanly.
        import_archive(source, contents, T0)

    corrupt()
    assert dump(source)["memories"] == before["memories"]
    source.close()
    source.store.close()
