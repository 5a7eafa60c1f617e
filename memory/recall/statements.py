"""One slot for one statement: what the user said once is recalled once.

A fact in the user's own words restates the chat message it was made from (dated, in the third
person, superseded when the user says otherwise); a session summary restates its messages. Both
match the question as well as their sources do, so without this a statement would take two or
three of recall's `k` places and push other evidence out (`bench recall --realtime --consolidate`
fell 0.03 R@10 below the decay-only run that way; docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from memory.consolidation.slot_facts import WORDS
from memory.records import Kind, Memory, Recalled, State
from memory.storage.store import SQLiteStore

_RESTATES = frozenset({Kind.FACT, Kind.SESSION_SUMMARY})
_SAID = frozenset({Kind.TURN, Kind.NOTE})


def one_per_statement(store: SQLiteStore, found: Sequence[Recalled]) -> list[Recalled]:
    """`found` (best first) with each statement once, at the best place and score any of its
    forms had:
    - a fact in the user's own words stands for the chat message it was made from; two or more
      facts of one message are that message (itself, when recalled too, else the best fact);
    - a note the user asked to keep stands in their words, its facts give way;
    - a session summary gives way to its messages when every one of them is recalled too.
    A slot's or the model's fact, and a day's summary of summaries, always stand."""
    by_id = {r.memory.id: r for r in found}
    restating = [r.memory.id for r in found if r.memory.kind in _RESTATES]
    if not restating:
        return list(found)
    sources: dict[str, list[str]] = {}
    marks = ",".join("?" * len(restating))
    for row in store.rows(
        f"SELECT memory_id, source_id FROM memory_links WHERE relation = 'derived_from' "
        f"AND memory_id IN ({marks})",
        restating,
    ):
        sources.setdefault(row["memory_id"], []).append(row["source_id"])
    drop: set[str] = set()
    statements: dict[str, list[str]] = {}  # a message -> its own-words facts recalled, best first
    for mid in restating:
        m = by_id[mid].memory
        said = sources.get(mid, [])
        if m.kind is Kind.SESSION_SUMMARY:
            if said and all(s in by_id and by_id[s].memory.kind in _SAID for s in said):
                drop.add(mid)  # the summary of messages all shown anyway
        elif (m.derive_key or "").startswith(WORDS) and len(said) == 1:
            statements.setdefault(said[0], []).append(mid)
    place = {r.memory.id: i for i, r in enumerate(found)}
    score = {r.memory.id: r.score for r in found}
    for message, facts in statements.items():
        shown = message in by_id
        if shown and (len(facts) > 1 or by_id[message].memory.kind is Kind.NOTE):
            stands = message
        elif shown or len(facts) > 1:
            stands = facts[0]
        else:
            continue
        forms = [*facts, message] if shown else facts
        place[stands] = min(place[i] for i in forms)
        score[stands] = max(score[i] for i in forms)
        drop.update(f for f in forms if f != stands)
    kept = [replace(r, score=score[r.memory.id]) for r in found if r.memory.id not in drop]
    return sorted(kept, key=lambda r: place[r.memory.id])


def messages_of(store: SQLiteStore, ids: Sequence[str]) -> dict[str, str]:
    """Of `ids`, each fact in the user's own words -> the one chat message or note it was made
    from (the statement both forms make)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = store.rows(
        f"SELECT l.memory_id, l.source_id FROM memory_links l "
        f"JOIN memories f ON f.id = l.memory_id JOIN memories s ON s.id = l.source_id "
        f"WHERE l.relation = 'derived_from' AND l.memory_id IN ({marks}) AND f.kind = 'fact' "
        f"AND f.derive_key LIKE ? AND s.kind IN ('turn', 'note')",
        [*ids, f"{WORDS}%"],
    )
    sources: dict[str, list[str]] = {}
    for row in rows:
        sources.setdefault(row["memory_id"], []).append(row["source_id"])
    return {fact: said[0] for fact, said in sources.items() if len(said) == 1}


def with_their_messages(store: SQLiteStore, ids: Sequence[str]) -> list[str]:
    """`ids` and the chat messages or notes their own-words facts stand for: a recalled fact
    that restates a message is that statement rehearsed, so both are strengthened (else the
    message fades while its fact is used, and recall loses what only the message holds)."""
    return list(dict.fromkeys([*ids, *messages_of(store, ids).values()]))


def one_rank_per_statement(
    store: SQLiteStore,
    rankings: Sequence[list[str]],
    memories: dict[str, Memory],
    similarity: dict[str, float],
) -> tuple[list[list[str]], dict[str, str]]:
    """The rankings of recall's searches with each statement ranked once, under one id, and
    for each fact that stands for a message, that message (whose speaker it speaks for).

    An own-words fact and the message it was made from are one statement. Ranked apart, a
    message of four sentences had five tickets (itself and four facts), and every other
    statement lost places to them: the candidate pool is counted in statements, as it was
    before anything was consolidated. The statement goes by its best form among the hits: a
    note the user asked to keep, else an own-words fact that is current (dated, in the third
    person), else the message; in each ranking at the best place of any of its forms, with the
    best similarity of any. Facts are loaded into `memories` when they were not yet."""
    hits = list(dict.fromkeys(i for ranking in rankings for i in ranking))
    facts = [i for i in hits if i in memories and memories[i].kind is Kind.FACT]
    message_of = messages_of(store, facts)
    if not message_of:
        return [list(r) for r in rankings], {}
    first = {i: n for n, i in enumerate(hits)}  # a form's best place in any ranking, roughly
    groups: dict[str, list[str]] = {}
    for fact, message in message_of.items():
        groups.setdefault(message, [message]).append(fact)
    missing = [m for m in groups if m not in memories]
    memories.update(store.memories_by_ids(missing))
    rep: dict[str, str] = {}
    stands_for: dict[str, str] = {}
    for message, forms in groups.items():
        if message not in memories:
            continue
        current = [
            f
            for f in forms[1:]
            if memories[f].state is State.ACTIVE
            or (memories[f].state is State.FADED and memories[message].state is State.FADED)
        ]
        if memories[message].kind is Kind.NOTE or not current:
            stands = message
        else:
            stands = min(current, key=lambda f: first.get(f, len(first)))
        for form in forms:
            rep[form] = stands
        if stands != message:
            stands_for[stands] = message
        sims = [similarity[f] for f in forms if f in similarity]
        if sims:
            similarity[stands] = max(sims)
    ranked = [list(dict.fromkeys(rep.get(i, i) for i in ranking)) for ranking in rankings]
    return ranked, stands_for
