"""The memory graph: entities, alias resolution, PageRank seeds and its fusion in recall."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from memory.bank import MemoryBank
from memory.errors import EntityError
from memory.graph.extract import EVENT, ORG, PERSON, PET, PLACE, extract
from memory.graph.pagerank import graph_ranking, personalized_pagerank, question_seeds
from memory.graph.store import MemoryGraph
from memory.recall.retrieval import RecallSettings
from memory.records import Kind
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, make_bank


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "membank.sqlite3")
    yield s
    s.close()


def note(store: SQLiteStore, graph: MemoryGraph, text: str, days: int = 0) -> str:
    memory = store.add_memory(Kind.TURN, text, T0 + timedelta(days=days))
    graph.link([memory])
    return memory.id


# --- extraction -------------------------------------------------------------------------------


def test_extract_finds_people_places_orgs_pets_and_events() -> None:
    found = {
        m.name or m.relation: m.kind
        for m in extract(
            "My sister Joanna moved to New York. My dog Max loves the University of Michigan. "
            "We ran the charity race on Christmas."
        )
    }
    assert found["Joanna"] == PERSON
    assert found["New York"] == PLACE
    assert found["Max"] == PET
    assert found["University of Michigan"] == ORG
    assert found["charity race"] == EVENT
    assert "We" not in found and "My" not in found


def test_a_pet_after_anyones_possessive_and_a_known_place_without_a_cue() -> None:
    """Found in the People & things screenshot: "her dog Pixel" was a person, and so was
    Lisbon in "the Lisbon half marathon"."""

    def kinds(text: str) -> dict[str, str]:
        return {m.name: m.kind for m in extract(text) if m.name}

    assert kinds("I went hiking with Jo and her dog Pixel.")["Pixel"] == PET
    assert kinds("Pixel, Joanna's dog, hurt his paw.")["Pixel"] == PET
    assert kinds("Joanna's cat Miso sleeps all day.")["Miso"] == PET
    assert kinds("My sister wants to run the Lisbon half marathon.")["Lisbon"] == PLACE
    assert kinds("I love Tokyo.")["Tokyo"] == PLACE
    assert kinds("She starts a new job at Acme in March.")["Acme"] == ORG
    assert kinds("We had dinner at Nando.")["Nando"] == PLACE
    # A city that is also a common first name needs a cue word to be a place.
    assert kinds("I had lunch with Sydney.")["Sydney"] == PERSON
    assert kinds("We flew to Sydney.")["Sydney"] == PLACE
    # "her sister" is someone's sister the rules cannot name: not a relation of the user's.
    assert all(m.relation is None for m in extract("Her sister Ana lives in Porto."))


def test_extract_is_speaker_aware() -> None:
    mentions = extract("Melanie: My brother visited Paris, Caroline!")
    brother = next(m for m in mentions if m.relation == "brother")
    assert brother.owner == "Melanie" and brother.name == ""
    assert "Melanie" not in {m.name for m in mentions}  # the speaker is linked apart


# --- alias resolution -------------------------------------------------------------------------


def test_a_relation_named_later_is_the_same_person(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    first = note(store, graph, "My sister is starting a new job in March.")
    second = note(store, graph, "My sister Joanna loves the new job.", days=60)
    third = note(store, graph, "Joanna called me about the weekend.", days=90)
    joanna = graph.entity("Joanna")
    assert joanna.name == "Joanna" and "my sister" in joanna.aliases
    assert graph.entity("my sister").id == joanna.id
    assert [m.id for m in graph.timeline(joanna.id)] == [first, second, third]
    assert [m.id for m in graph.timeline(joanna.id, limit=2)] == [second, third]  # the latest


def test_short_and_long_forms_of_one_person_resolve_to_one(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    note(store, graph, "I had lunch with Melanie.")
    note(store, graph, "Mel said the painting is done.", days=1)
    assert graph.entity("Mel").id == graph.entity("Melanie").id


def test_an_ambiguous_short_form_stays_apart(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    note(store, graph, "I had lunch with Joanna.")
    note(store, graph, "I had lunch with John.")
    note(store, graph, "Tomorrow Jo is coming over.")
    ids = {graph.entity(n).id for n in ("Jo", "Joanna", "John")}
    assert len(ids) == 3


def test_relations_of_different_speakers_are_different_people(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    note(store, graph, "Caroline: My sister lives in Lisbon.")
    note(store, graph, "Melanie: My sister lives in Rome.")
    assert graph.entity("caroline's sister").id != graph.entity("melanie's sister").id


def test_merge_rename_alias_and_bad_input(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    note(store, graph, "Dinner with Jojo tonight.")
    note(store, graph, "Dinner with Joanna Smith.", days=1)
    jojo, joanna = graph.entity("Jojo"), graph.entity("Joanna Smith")
    merged = graph.merge(jojo.id, joanna.id)
    assert merged.memories == 2 and "jojo" in merged.aliases
    with pytest.raises(EntityError, match="onto itself"):
        graph.merge(joanna.id, joanna.id)
    with pytest.raises(EntityError, match="no entity"):
        graph.merge(99999, joanna.id)
    with pytest.raises(EntityError, match="No person"):
        graph.entity("Nobody Known")
    renamed = graph.rename(joanna.id, "Jo Smith")
    assert renamed.name == "Jo Smith" and graph.entity("jo smith").id == joanna.id
    note(store, graph, "Dinner with Bob.")
    with pytest.raises(EntityError, match="already names"):
        graph.add_alias(joanna.id, "Bob")
    assert graph.entity("Bob").memories == 1  # unchanged


def test_an_edit_relinks_and_rebuild_reproduces(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    mid = note(store, graph, "I met Anna in Lisbon.")
    with store.transaction() as db:
        db.conn.execute("UPDATE memories SET text = 'I met Anna in Porto.' WHERE id = ?", [mid])
    assert graph.check()["unlinked_memories"] == 1
    assert graph.link_pending() == 1
    assert {e.name for e in graph.entities_of(mid)} == {"Anna", "Porto"}
    assert graph.check()["orphans"] == 1  # Lisbon: no memory names it any more
    assert graph.prune() == 1
    before = {(e.name, e.kind) for e in graph.entities()}
    assert graph.rebuild() == 1
    assert {(e.name, e.kind) for e in graph.entities()} == before


# --- personalized PageRank ----------------------------------------------------------------------


def test_pagerank_restarts_at_the_seeds_and_follows_edges() -> None:
    edges = [("e1", "m1", 1.0), ("m1", "e2", 1.0), ("e2", "m2", 1.0), ("e3", "m3", 1.0)]
    scores = personalized_pagerank(edges, {"e1": 1.0})
    assert scores["m1"] > scores["m2"] > 0  # two hops away still gets some
    assert scores.get("m3", 0.0) == 0.0  # not connected to the seed
    assert sum(scores.values()) == pytest.approx(1.0)


def test_pagerank_seed_weights_split_the_restart() -> None:
    edges = [("e1", "m1", 1.0), ("e2", "m2", 1.0)]
    scores = personalized_pagerank(edges, {"e1": 3.0, "e2": 1.0})
    assert scores["m1"] == pytest.approx(3 * scores["m2"])
    assert personalized_pagerank(edges, {}) == {}


def test_seeds_are_the_questions_entities_rare_ones_weigh_more(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    for day in range(5):
        note(store, graph, f"Lunch with Joanna, day {day}.", days=day)
    note(store, graph, "Joanna and I went to Kyoto.", days=9)
    seeds = question_seeds(store, "Did joanna like kyoto?")
    joanna, kyoto = graph.entity("Joanna").id, graph.entity("Kyoto").id
    assert set(seeds) == {joanna, kyoto}
    assert seeds[kyoto] > seeds[joanna]
    assert question_seeds(store, "What is the weather?") == {}


def test_graph_ranking_reaches_a_memory_through_a_shared_person(store: SQLiteStore) -> None:
    graph = MemoryGraph(store)
    # Only Joanna ties the new job (spring) to Tokyo (autumn); the question names Tokyo.
    job = note(store, graph, "My sister Joanna started a new job at Acme.")
    note(store, graph, "I baked bread with Tom.", days=3)
    trip = note(store, graph, "Joanna flew to Tokyo for work.", days=150)
    ranking, reached = graph_ranking(store, "Who went to Tokyo?", 10)
    assert set(ranking) == reached == {trip, job}
    assert ranking[0] == trip
    assert job in ranking  # two hops: Tokyo -> trip -> Joanna -> job


# --- fusion in recall --------------------------------------------------------------------------


def bank_with(tmp_path: Path, settings: RecallSettings) -> MemoryBank:
    return make_bank(tmp_path, settings=replace(settings, floors=False, token_budget=None))


def test_the_graph_ranking_joins_the_fusion_and_weight_zero_turns_it_off(tmp_path: Path) -> None:
    # Keyword search and the graph only, so nothing but the graph can bring the job memory.
    bank = bank_with(tmp_path, RecallSettings(k=10, dense_weight=0.0, graph_weight=0.2))
    try:
        job = bank.remember(Kind.TURN, "My sister Joanna started a new job at Acme.", T0).id
        for day in range(1, 8):
            bank.remember(Kind.TURN, f"Weather note {day}: rain again.", T0 + timedelta(days=day))
        bank.remember(Kind.TURN, "Joanna flew to Tokyo.", T0 + timedelta(days=150))
        asked = T0 + timedelta(days=151)
        with_graph = [r.memory.id for r in bank.recall("What happened in Tokyo?", asked)]
        assert job in with_graph  # shares no word with the question: found through Joanna
        bank.retriever.settings = replace(bank.retriever.settings, graph_weight=0.0)
        without = [r.memory.id for r in bank.recall("What happened in Tokyo?", asked)]
        assert job not in without
    finally:
        bank.close()


def test_a_store_from_before_the_graph_is_linked_a_bounded_amount_per_call(
    store: SQLiteStore,
) -> None:
    for day in range(5):
        store.add_memory(Kind.TURN, f"Lunch with Joanna, day {day}.", T0 + timedelta(days=day))
    graph = MemoryGraph(store)
    assert graph.link_pending(batch=2, most=3) == 4  # two batches of two: stops past 3
    assert graph.check()["unlinked_memories"] == 1
    assert graph.link_pending() == 1
    assert graph.entity("Joanna").memories == 5


def test_a_new_memory_links_to_the_latest_earlier_mention_by_index(store: SQLiteStore) -> None:
    """The neighbour is the latest memory naming the entity before this one, also when stored
    out of order, and the lookup is an index search (schema 9), not a sort of every mention."""
    graph = MemoryGraph(store)
    first = note(store, graph, "Lunch with Joanna.", days=0)
    third = note(store, graph, "Joanna moved to Porto.", days=10)
    second = note(store, graph, "Joanna started a new job.", days=5)  # imported late
    links = {n.memory_id: n.other_id for n in graph.neighbours(second)}
    assert links[second] == first
    assert {n.other_id for n in graph.neighbours(third)} == {first}  # linked when it came
    with store.transaction() as db:  # a memory's time moved: its edges carry the new one
        db.conn.execute(
            "UPDATE memories SET event_time = '2000-01-01T00:00:00.000000+00:00' WHERE id = ?",
            [first],
        )
        times = db.conn.execute(
            "SELECT event_time FROM memory_entities WHERE memory_id = ?", [first]
        ).fetchall()
        plan = " ".join(
            str(r[-1])
            for r in db.conn.execute(
                "EXPLAIN QUERY PLAN SELECT memory_id FROM memory_entities "
                "INDEXED BY memory_entities_by_role WHERE entity_id = 1 AND role = 'mention' "
                "AND event_time <= '2030' ORDER BY event_time DESC, num DESC LIMIT 1"
            )
        )
    assert {str(t[0]) for t in times} == {"2000-01-01T00:00:00.000000+00:00"}
    assert "USE TEMP B-TREE" not in plan  # no sort
    assert [m.id for m in graph.timeline(graph.entity("Joanna").id)] == [first, second, third]
