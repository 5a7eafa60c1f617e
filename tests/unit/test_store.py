"""SQLiteStore: schema versions, conversations, messages, memories, keyword search, recall."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from memory.errors import NotFoundError, StoreCorruptError
from memory.records import Kind, State
from memory.storage.fts import keyword_query
from memory.storage.schema import SCHEMA_VERSION, migrate
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "membank.sqlite3")
    yield s
    s.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def set_state(store: SQLiteStore, memory_id: str, state: State) -> None:
    with store.transaction() as db:
        db.execute("UPDATE memories SET state = ? WHERE id = ?", [str(state), memory_id])


# --- schema ----------------------------------------------------------------------------------


def test_new_store_is_migrated_to_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    SQLiteStore(path).close()
    assert SCHEMA_VERSION >= 1
    assert user_version(path) == SCHEMA_VERSION


def test_migrate_reports_the_previous_version_and_is_idempotent() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        assert migrate(conn) == 0
        assert migrate(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_reopening_a_store_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    first = SQLiteStore(path)
    conversation = first.create_conversation("Kept", T0)
    first.close()
    second = SQLiteStore(path)
    try:
        assert second.conversation(conversation.id).title == "Kept"
    finally:
        second.close()


def test_store_from_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreCorruptError, match="newer membank"):
        SQLiteStore(path)
    assert user_version(path) == SCHEMA_VERSION + 1  # left untouched


def test_file_that_is_not_a_database_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    path.write_bytes(b"this is certainly not an SQLite database\n" * 200)
    with pytest.raises(StoreCorruptError, match="damaged"):
        SQLiteStore(path)


def test_a_store_that_fails_to_open_does_not_keep_the_file_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The error tells the user to move the file away; an open handle would stop that on Windows.
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def spy(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", spy)
    path = tmp_path / "membank.sqlite3"
    path.write_bytes(b"this is certainly not an SQLite database\n" * 200)
    with pytest.raises(StoreCorruptError):
        SQLiteStore(path)
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


# --- conversations ---------------------------------------------------------------------------


def test_create_and_list_conversations_most_recently_updated_first(store: SQLiteStore) -> None:
    older = store.create_conversation("Older", T0)
    newer = store.create_conversation("Newer", T0 + timedelta(minutes=1))
    assert [c.id for c in store.conversations()] == [newer.id, older.id]
    # A new message moves a conversation to the top.
    store.add_message(older.id, "user", "hello", T0 + timedelta(minutes=2))
    listed = store.conversations()
    assert [c.id for c in listed] == [older.id, newer.id]
    assert listed[0].message_count == 1
    assert listed[0].updated_at == T0 + timedelta(minutes=2)
    assert listed[1].message_count == 0


def test_rename_conversation(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Old title", T0)
    store.rename_conversation(conversation.id, "New title")
    assert store.conversation(conversation.id).title == "New title"


def test_unknown_conversation_is_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        store.conversation(12345)


def test_delete_conversation_cascades_to_its_messages_but_keeps_memories(
    store: SQLiteStore,
) -> None:
    doomed = store.create_conversation("Doomed", T0)
    kept = store.create_conversation("Kept", T0)
    message = store.add_message(doomed.id, "user", "my cat is called Miso", T0)
    reply = store.add_message(doomed.id, "assistant", "Nice", T0)
    store.add_message(kept.id, "user", "unrelated", T0)
    memory = store.add_memory(
        Kind.TURN, message.text, T0, conversation_id=doomed.id, source_message_ids=[message.id]
    )
    store.record_reply_memories(reply.id, [(memory.id, 0.9)])

    store.delete_conversation(doomed.id)

    with pytest.raises(NotFoundError):
        store.conversation(doomed.id)
    assert store.messages(doomed.id) == []
    rows = store.rows("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", [doomed.id])
    assert rows[0]["n"] == 0
    assert store.rows("SELECT count(*) AS n FROM reply_memories")[0]["n"] == 0
    assert [m.text for m in store.messages(kept.id)] == ["unrelated"]
    survivor = store.memory(memory.id)
    assert survivor.text == "my cat is called Miso"
    assert survivor.conversation_id is None


# --- messages --------------------------------------------------------------------------------


def test_messages_come_oldest_first_and_limit_keeps_the_latest(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Chat", T0)
    for i in range(5):
        role = "user" if i % 2 == 0 else "assistant"
        store.add_message(conversation.id, role, f"message {i}", T0 + timedelta(seconds=i))
    messages = store.messages(conversation.id)
    assert [m.text for m in messages] == [f"message {i}" for i in range(5)]
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[0].created_at == T0
    assert [m.text for m in store.messages(conversation.id, limit=2)] == ["message 3", "message 4"]


# --- memories --------------------------------------------------------------------------------


def test_add_memory_and_read_it_back(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Chat", T0)
    event = T0 - timedelta(days=3)
    memory = store.add_memory(
        Kind.NOTE,
        "Dentist on Friday",
        T0,
        event_time=event,
        strength=2.5,
        conversation_id=conversation.id,
        source_message_ids=[7, 8],
    )
    assert len(memory.id) == 32
    again = store.memory(memory.id)
    assert again == memory
    assert again.kind is Kind.NOTE
    assert again.text == "Dentist on Friday"
    assert again.created_at == T0
    assert again.event_time == event
    assert again.strength == 2.5
    assert again.last_recalled_at is None
    assert again.pinned is False
    assert again.state is State.ACTIVE
    assert again.conversation_id == conversation.id
    assert again.source_message_ids == (7, 8)
    assert again.recall_count == 0
    assert store.count_memories() == 1


def test_memory_by_unique_prefix(store: SQLiteStore) -> None:
    memory = store.add_memory(Kind.NOTE, "a note", T0)
    assert store.memory(memory.id[:8]) == memory
    assert store.memory(memory.id[:4]) == memory


def test_memory_prefix_too_short_or_unknown_is_not_found(store: SQLiteStore) -> None:
    memory = store.add_memory(Kind.NOTE, "a note", T0, memory_id="abcd" + "0" * 28)
    with pytest.raises(NotFoundError):
        store.memory(memory.id[:3])
    with pytest.raises(NotFoundError):
        store.memory("ffff")


def test_ambiguous_memory_prefix_is_not_found(store: SQLiteStore) -> None:
    first = store.add_memory(Kind.NOTE, "one", T0, memory_id="abcd1" + "0" * 27)
    second = store.add_memory(Kind.NOTE, "two", T0, memory_id="abcd2" + "0" * 27)
    with pytest.raises(NotFoundError, match="More than one"):
        store.memory("abcd")
    assert store.memory("abcd1") == first
    assert store.memory("abcd2") == second


def test_memories_by_ids_skips_unknown_ids(store: SQLiteStore) -> None:
    a = store.add_memory(Kind.NOTE, "a", T0)
    b = store.add_memory(Kind.NOTE, "b", T0)
    found = store.memories_by_ids([a.id, b.id, "nope"])
    assert set(found) == {a.id, b.id}
    assert store.memories_by_ids([]) == {}


def test_memories_newest_event_first_and_filtered_by_kind(store: SQLiteStore) -> None:
    old = store.add_memory(Kind.NOTE, "old", T0, event_time=T0 - timedelta(days=2))
    new = store.add_memory(Kind.TURN, "new", T0)
    assert [m.id for m in store.memories()] == [new.id, old.id]
    assert [m.id for m in store.memories(kinds=[Kind.NOTE])] == [old.id]
    assert [m.id for m in store.memories(limit=1, offset=1)] == [old.id]


# --- keyword search --------------------------------------------------------------------------


def test_keyword_query_drops_stop_words_and_quotes_terms() -> None:
    assert keyword_query("What is the name of my cat?") == '"cat" OR "name"'
    assert keyword_query("what is the") == ""
    assert keyword_query("") == ""


def test_keyword_search_finds_memories_by_their_words(store: SQLiteStore) -> None:
    cat = store.add_memory(Kind.TURN, "I adopted a cat named Miso", T0)
    store.add_memory(Kind.TURN, "The dentist appointment is on Friday", T0)
    store.add_memory(Kind.NOTE, "Buy oat milk and bread", T0)
    hits = store.keyword_search("What was my cat called?")
    assert [mid for mid, _ in hits] == [cat.id]
    # Porter stemming: "cats" finds "cat"; bm25 scores are "lower is better" (negative).
    hits = store.keyword_search("cats")
    assert [mid for mid, _ in hits] == [cat.id]
    assert hits[0][1] < 0


def test_keyword_search_ranks_the_better_match_first(store: SQLiteStore) -> None:
    one = store.add_memory(Kind.TURN, "Miso likes tuna", T0)
    both = store.add_memory(Kind.TURN, "Miso the cat likes sleeping in the sun", T0)
    hits = store.keyword_search("Miso cat")
    assert [mid for mid, _ in hits] == [both.id, one.id]


def test_a_big_store_leaves_its_most_common_words_out_of_the_any_word_search(
    store: SQLiteStore,
) -> None:
    """In a big store, ranking every memory that holds a common word is what is slow, and such
    a word tells little: when too few memories hold every word, only the rarer words are
    searched (here "common" is lowered from 10,000 memories to 5)."""
    store.common_docs = 5
    coffee = [store.add_memory(Kind.TURN, f"Coffee number {i} today", T0) for i in range(8)]
    lisbon = store.add_memory(Kind.TURN, "We flew to Lisbon in May", T0)
    found = [mid for mid, _ in store.keyword_search("coffee in Lisbon", limit=5)]
    assert found == [lisbon.id]  # "coffee" (8 memories) left out; "lisbon" searched
    # Every word is common: the rarest alone ("today" 8, "coffee" 8, "number" 8: ties keep one).
    found = [mid for mid, _ in store.keyword_search("coffee today", limit=50)]
    assert set(found) == {c.id for c in coffee}
    store.common_docs = 1_000  # a small store: every word is searched, as before
    found = [mid for mid, _ in store.keyword_search("coffee in Lisbon", limit=5)]
    assert lisbon.id in found and len(found) == 5


def test_keyword_search_ignores_stop_word_only_queries(store: SQLiteStore) -> None:
    store.add_memory(Kind.TURN, "what is it about this", T0)
    assert store.keyword_search("what is it about") == []
    assert store.keyword_search("?!") == []


def test_keyword_search_survives_fts_syntax_in_the_query(store: SQLiteStore) -> None:
    note = store.add_memory(Kind.NOTE, "the NEAR AND OR project", T0)
    hits = store.keyword_search('project" OR NEAR(* -x')
    assert [mid for mid, _ in hits] == [note.id]


@pytest.mark.parametrize("state", [State.FADED, State.SUPERSEDED])
def test_keyword_search_excludes_memories_that_are_not_active(
    store: SQLiteStore, state: State
) -> None:
    gone = store.add_memory(Kind.FACT, "Sam works at Initech", T0)
    kept = store.add_memory(Kind.FACT, "Sam works at Globex", T0)
    set_state(store, gone.id, state)
    assert [mid for mid, _ in store.keyword_search("Where does Sam work?")] == [kept.id]
    assert store.memory(gone.id).state is state


def test_keyword_search_takes_memories_with_every_word_when_there_are_enough(
    store: SQLiteStore,
) -> None:
    both = [store.add_memory(Kind.TURN, f"Miso the cat, day {i}", T0).id for i in range(3)]
    store.add_memory(Kind.TURN, "Miso Miso Miso", T0)
    store.add_memory(Kind.TURN, "a cat", T0)
    assert {mid for mid, _ in store.keyword_search("Miso cat", limit=3)} == set(both)
    # Fewer than `limit` hold both words: any word will do.
    assert len(store.keyword_search("Miso cat", limit=4)) == 4


def test_keyword_search_looks_past_many_inactive_best_hits(store: SQLiteStore) -> None:
    for i in range(6):
        gone = store.add_memory(Kind.FACT, f"Sam Sam Sam {i}", T0)
        set_state(store, gone.id, State.FADED)
    kept = store.add_memory(Kind.FACT, "Sam works at Globex and likes long walks by the sea", T0)
    assert [mid for mid, _ in store.keyword_search("Sam", limit=2)] == [kept.id]


# --- recall bookkeeping ----------------------------------------------------------------------


def test_record_recall_strengthens_and_logs_an_event(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Chat", T0)
    reply = store.add_message(conversation.id, "assistant", "Miso!", T0)
    used = store.add_memory(Kind.TURN, "my cat is Miso", T0, strength=1.0)
    other = store.add_memory(Kind.TURN, "unrelated", T0, strength=1.0)
    later = T0 + timedelta(days=2)

    store.record_recall([used.id], later, reply.id, boost=1.5)

    after = store.memory(used.id)
    assert after.strength == pytest.approx(2.5)
    assert after.last_recalled_at == later
    assert after.recall_count == 1
    assert store.memory(other.id) == other
    events = store.rows("SELECT * FROM recall_events")
    assert len(events) == 1
    assert events[0]["memory_id"] == used.id
    assert events[0]["message_id"] == reply.id
    assert events[0]["strength_after"] == pytest.approx(2.5)

    store.record_recall([used.id], later + timedelta(days=1), None, boost=1.5)
    again = store.memory(used.id)
    assert again.strength == pytest.approx(4.0)
    assert again.recall_count == 2
    strengths = [r["strength_after"] for r in store.rows("SELECT * FROM recall_events")]
    assert strengths == pytest.approx([2.5, 4.0])


def test_reply_memories_show_up_on_assistant_messages_in_rank_order(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Chat", T0)
    question = store.add_message(conversation.id, "user", "What is my cat called?", T0)
    reply = store.add_message(conversation.id, "assistant", "Miso.", T0)
    first = store.add_memory(Kind.TURN, "my cat is Miso", T0)
    second = store.add_memory(Kind.NOTE, "Miso is a tabby", T0)
    store.record_reply_memories(reply.id, [(second.id, 0.9), (first.id, 0.5)])

    messages = store.messages(conversation.id)
    assert [m.id for m in messages] == [question.id, reply.id]
    assert messages[0].used_memories == ()
    assert [m.id for m in messages[1].used_memories] == [second.id, first.id]
    assert store.used_memories([reply.id]) == {reply.id: [second, first]}
    assert store.replies_using(first.id) == [reply.id]


def test_record_reply_memories_with_nothing_used_is_harmless(store: SQLiteStore) -> None:
    conversation = store.create_conversation("Chat", T0)
    reply = store.add_message(conversation.id, "assistant", "Hi", T0)
    store.record_reply_memories(reply.id, [])
    store.record_recall([], T0, reply.id, boost=1.0)
    assert store.messages(conversation.id)[0].used_memories == ()


# --- indexing bookkeeping --------------------------------------------------------------------


def test_new_memories_are_unindexed_until_marked(store: SQLiteStore) -> None:
    a = store.add_memory(Kind.NOTE, "a", T0)
    b = store.add_memory(Kind.NOTE, "b", T0)
    assert {m.id for m in store.unindexed()} == {a.id, b.id}
    assert len(store.unindexed(limit=1)) == 1

    store.set_indexed([a.id])
    assert [m.id for m in store.unindexed()] == [b.id]

    store.set_indexed([a.id, b.id])
    assert store.unindexed() == []

    store.set_indexed([a.id], indexed=False)
    assert [m.id for m in store.unindexed()] == [a.id]
    assert store.all_memory_ids() == {a.id, b.id}


def test_an_atomic_transaction_takes_nested_store_calls_with_it(store: SQLiteStore) -> None:
    with pytest.raises(RuntimeError), store.transaction(atomic=True):
        chat = store.create_conversation("Imported", T0)
        store.add_message(chat.id, "user", "hello", T0)
        store.add_memory(Kind.TURN, "hello", T0)
        raise RuntimeError("fail half-way")
    assert store.conversations() == [] and store.memories() == []
    with store.transaction(atomic=True):
        chat = store.create_conversation("Imported", T0)
        store.add_memory(Kind.TURN, "hello", T0)
    assert [c.title for c in store.conversations()] == ["Imported"]
    assert [m.text for m in store.memories()] == ["hello"]
