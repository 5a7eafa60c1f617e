"""Keyword search with SQLite FTS5: the query built from a text, over memories and messages."""

from __future__ import annotations

import re
import sqlite3

import snowballstemmer

from memory.clock import from_db
from memory.records import Message, MessageHit
from memory.storage.sqlite import SQLiteBase

_WORD = re.compile(r"[\w']+", re.UNICODE)
# A word held by more memories than this tells few of them apart (its bm25 weight is low), yet
# ranking every memory that holds it is what makes a keyword search slow in a big store (an OR
# query matching 200k of 1M memories: ~270 ms). When the memories holding every word are too
# few, the OR query leaves such words out as long as a rarer word of the question remains. No
# store with fewer memories than this is affected.
COMMON_DOCS = 10_000
# bm25 scores every memory a query matches before it can sort them (~7 us each here). When more
# than this many match, the this-many most recently stored are ranked (FTS5 walks its index
# newest first and stops): in a big store a question's words can be held by thousands of
# memories (issue 22's 1M-memory run: recall p95 196 ms). Older ones still come through the
# dense search and the time span. A query matching fewer memories than this is not affected.
RANK_ALL = 2_000
_PORTER = snowballstemmer.stemmer("porter")  # the stems FTS5's porter tokenizer stores
_VOCAB = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_vocab "
    "USING fts5vocab(main, memories_fts, row)"
)
# Words too common to say anything in a keyword search.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
    ]
)


def keyword_query(text: str) -> str:
    """An FTS5 OR-query of the meaningful words in `text` ("" when there are none)."""
    words = [w.strip("'").lower() for w in _WORD.findall(text)]
    terms = sorted({w for w in words if w and w not in STOP_WORDS and len(w) > 1})
    return " OR ".join(f'"{w}"' for w in terms)


class KeywordSearch(SQLiteBase):
    """The `memories_fts` and `messages_fts` indexes (kept in step by triggers: see schema)."""

    common_docs = COMMON_DOCS

    def keyword_search(
        self, text: str, limit: int = 50, *, faded: bool = False
    ) -> list[tuple[str, float]]:
        """(memory id, bm25 score; lower is better) of active memories matching `text`'s words
        (and faded ones too with `faded`, for cued recall).

        bm25 scores every match before LIMIT, and in a large store a common word matches tens
        of thousands of memories. So the memories holding *all* the words are asked for first;
        when there are at least `limit` of them they are the answer (a memory holding only some
        of the words seldom outranks them), else the OR query of any word is run."""
        query = keyword_query(text)
        if not query:
            return []
        if " OR " not in query:
            return self._bm25(query, limit, faded)
        every = self._bm25(query.replace(" OR ", " AND "), limit, faded)
        if len(every) >= limit:
            return every
        query = self._without_common_words(query)
        found = self._bm25(query, limit, faded)
        if every and self._matches(query) > RANK_ALL:
            # Only the newest matches of any word were ranked: the memories holding every word
            # (fewer than `limit`, all of them ranked) come first, wherever they are.
            have = {mid for mid, _ in every}
            found = every + [hit for hit in found if hit[0] not in have]
        return found[:limit]

    def _matches(self, query: str) -> int:
        """How many memories (any state) the FTS5 query matches; counting scores nothing."""
        rows = self.rows(
            "SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?", [query]
        )
        return int(rows[0]["n"])

    def _without_common_words(self, query: str) -> str:
        """The OR query without the words more than `common_docs` memories hold, unless every
        word is that common (then the rarest alone)."""
        words = [w.strip('"') for w in query.split(" OR ")]
        docs = self._doc_counts({_PORTER.stemWord(w) for w in words})
        held = {w: docs.get(_PORTER.stemWord(w), 0) for w in words}
        rare = [w for w in words if held[w] <= self.common_docs] or [
            min(words, key=held.__getitem__)
        ]
        return " OR ".join(f'"{w}"' for w in rare)

    def _doc_counts(self, stems: set[str]) -> dict[str, int]:
        """How many memories hold each stem (FTS5's own vocabulary; {} if it cannot tell)."""
        marks = ",".join("?" * len(stems))
        try:
            with self._lock:
                self.db.conn.execute(_VOCAB)  # per connection; a no-op once made
            rows = self.rows(
                f"SELECT term, doc FROM temp.memories_vocab WHERE term IN ({marks})", list(stems)
            )
        except sqlite3.Error:  # pragma: no cover - a build without fts5vocab: search them all
            return {}
        return {r["term"]: int(r["doc"]) for r in rows}

    def _bm25(self, query: str, limit: int, faded: bool = False) -> list[tuple[str, float]]:
        states = "('active', 'faded')" if faded else "('active')"
        # FTS5 ranks on its own first (`rank` is bm25 with default weights); the state is then
        # checked on those rows only, over-fetching for the few inactive ones.
        newest = (
            f"(SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ? "
            f"ORDER BY rowid DESC LIMIT {RANK_ALL})"
            if self._matches(query) > RANK_ALL
            else "(SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ?)"
        )
        best = self.rows(
            f"SELECT rowid AS num, rank FROM {newest} ORDER BY rank LIMIT ?", [query, 2 * limit]
        )
        if not best:
            return []
        marks = ",".join("?" * len(best))
        active = {
            r["num"]: r["id"]
            for r in self.rows(
                f"SELECT num, id FROM memories WHERE num IN ({marks}) AND state IN {states}",
                [r["num"] for r in best],
            )
        }
        if len(active) < limit and len(best) == 2 * limit:  # many inactive: rank them all
            rows = self.rows(
                "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
                "JOIN memories m ON m.num = memories_fts.rowid "
                f"WHERE memories_fts MATCH ? AND m.state IN {states} ORDER BY rank LIMIT ?",
                [query, limit],
            )
            return [(r["id"], float(r["rank"])) for r in rows]
        found = [(active[r["num"]], float(r["rank"])) for r in best if r["num"] in active]
        return found[:limit]

    def search_messages(self, text: str, limit: int = 50) -> list[MessageHit]:
        """Messages of every conversation that match `text`'s words, best first."""
        query = keyword_query(text)
        if not query:
            return []
        rows = self.rows(
            "SELECT m.id, m.conversation_id, m.role, m.text, m.created_at, c.title, "
            "snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet "
            "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
            [query, limit],
        )
        return [
            MessageHit(
                Message(
                    r["id"], r["conversation_id"], r["role"], r["text"], from_db(r["created_at"])
                ),
                r["title"],
                r["snippet"],
            )
            for r in rows
        ]
