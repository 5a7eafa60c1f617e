"""The LLM steps of consolidation and reflection: few-shot prompt -> parse -> ground -> result.

A 135M model follows a worked example far better than an instruction (see MEASURED.md), and the
same prompts simply work better with a larger model. Every output is checked against its source;
anything unsupported raises StepFailed and nothing is stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from memory.consolidation.checks import dangling_pronoun, fault, looping, strip_markdown
from memory.consolidation.facts import fact_key
from memory.consolidation.grounding import (
    bullets,
    content_words,
    each_clause_in_one_source,
    grounded,
    support,
)
from memory.consolidation.slots import label
from memory.errors import StepFailed
from models.errors import ModelOutputError
from models.protocols import LLM, ChatMessage

# A mild penalty on repeated tokens: greedy decoding of a small model otherwise loops
# ("moved to Berlin, moved to Berlin, ..."); the loop check below rejects what still does.
REPEAT_PENALTY = 1.15
EXAMPLE_TURNS = (
    "User: I work as a teacher in Leeds.\nUser: My favourite food is sushi.\n"
    "User: The weather is nice today."
)


def _ask(llm: LLM, system: str, example_in: str, example_out: str, text: str, tokens: int) -> str:
    messages: list[ChatMessage] = [
        {"role": "system", "content": system},
        {"role": "user", "content": example_in},
        {"role": "assistant", "content": example_out},
        {"role": "user", "content": text},
    ]
    try:
        # Greedy: a background step must give the same answer for the same memories, whatever
        # the chat before it drew from the sampler.
        return "".join(
            llm.stream_chat(
                messages, max_tokens=tokens, temperature=0.0, repeat_penalty=REPEAT_PENALTY
            )
        ).strip()
    except ModelOutputError as exc:  # pragma: no cover - stream_chat does not parse
        raise StepFailed("model", str(exc)) from exc


def turns_text(texts: Sequence[str]) -> str:
    return "\n".join(f"User: {' '.join(t.split())}" for t in texts)


def _sound_clauses(sentence: str, source: str, threshold: float) -> str:
    """The sentence without its unsupported clauses: "The user works as a nurse, love working
    in Paris" keeps the first (the second says "love", which the user did not)."""
    parts = [c.strip() for c in re.split(r",\s+|;\s+|\s+and\s+(?=\w)", sentence) if c.strip()]
    kept = [
        c
        for c in parts
        if grounded(c, source, threshold)
        and not looping(c)
        and fault(c, source) in (None, "a pronoun names nobody in it")
    ]
    if kept == parts:
        return sentence
    return ", ".join(c.rstrip(".") for c in kept) if kept and kept[0] == parts[0] else ""


def _sentence(step: str, raw: str, source: str, threshold: float) -> str:
    text = strip_markdown(raw)
    if len(text) < 12:
        raise StepFailed(step, "the model's answer was empty or too short", raw)
    # Keep the sound sentences and clauses; the tiny model often adds an invented or looping
    # clause at the end ("..., love sushi", copied from its example).
    sentences = [s.strip() for s in text.replace("!", ".").split(". ") if s.strip()]
    kept: list[str] = []
    for s in sentences:
        sound = _sound_clauses(s, source, threshold) if grounded(s, source, 0.0) else ""
        if sound and sound.rstrip(".").lower() not in {k.rstrip(".").lower() for k in kept}:
            kept.append(sound)
    if dangling_pronoun(" ".join(kept)):  # the person is named in no sentence kept
        kept = [s for s in kept if not dangling_pronoun(s)]
    out = ". ".join(s.rstrip(".") for s in kept) + "."
    if not kept or looping(out) or len(out) < 12:
        raise StepFailed(
            step,
            f"no sentence of the answer is supported by its source without a fault "
            f"({support(text, source):.0%} of its words are in the source)",
            raw,
        )
    return out


def summarise_session(llm: LLM, texts: Sequence[str]) -> str:
    source = turns_text(texts)
    raw = _ask(
        llm,
        "Summarise what the user said in one or two sentences, in the third person.",
        EXAMPLE_TURNS,
        "The user said they work as a teacher in Leeds and their favourite food is sushi.",
        source,
        90,
    )
    return _sentence("session summary", raw, source, 0.75)


def extract_facts(llm: LLM, texts: Sequence[str]) -> list[str]:
    """Atomic facts about the user, each grounded in what the user said."""
    source = turns_text(texts)
    raw = _ask(
        llm,
        "You extract facts about the user from what the user said. Write one short fact per "
        "line, starting with 'The user'. Only write what the user said.",
        EXAMPLE_TURNS,
        "- The user works as a teacher in Leeds.\n- The user's favourite food is sushi.",
        source,
        160,
    )
    facts = [strip_markdown(f) for f in bullets(raw)]
    return [
        f
        for f in facts
        if grounded(f, source, 0.75) and not _tautology(f) and fault(f, source) is None
    ]


def fact_grammar(subjects: Sequence[str]) -> str:
    """GBNF for one to six bullet facts, each opening with a subject the turns name: the small
    model fills a structure instead of writing prose (llama.cpp's constrained decoding)."""
    names = " | ".join(json.dumps(s) for s in subjects)
    return (
        "root ::= fact fact? fact? fact? fact? fact?\n"
        'fact ::= "- " subject " " [a-z] [^\\n.?!]{3,120} ".\\n"\n'
        f"subject ::= {names}\n"
    )


def extract_facts_constrained(llm: LLM, texts: Sequence[str]) -> list[str]:
    """The facts of `extract_facts`, decoded under `fact_grammar`: the same worked example, the
    same checks. A labelled turn ("Caroline: ...") makes its speaker a subject."""
    speakers = sorted({s for s, _ in (label(t) for t in texts) if s})
    source = "\n".join(t if label(t)[0] else f"User: {t}" for t in texts)
    messages: list[ChatMessage] = [
        {
            "role": "system",
            "content": "You extract facts about the speakers from what they said. Write one "
            "short fact per line. Only write what they said.",
        },
        {"role": "user", "content": EXAMPLE_TURNS},
        {
            "role": "assistant",
            "content": "- The user works as a teacher in Leeds.\n"
            "- The user's favourite food is sushi.\n",
        },
        {"role": "user", "content": source},
    ]
    grammar = fact_grammar(["The user", "The user's", *speakers, *(f"{s}'s" for s in speakers)])
    try:
        raw = "".join(
            llm.stream_chat(
                messages,
                max_tokens=200,
                temperature=0.0,
                repeat_penalty=REPEAT_PENALTY,
                grammar=grammar,
            )
        )
    except ModelOutputError as exc:  # pragma: no cover - stream_chat does not parse
        raise StepFailed("model", str(exc)) from exc
    facts = [strip_markdown(f) for f in bullets(raw)]
    return [
        f
        for f in facts
        if grounded(f, source, 0.75) and not _tautology(f) and fault(f, source) is None
    ]


def _tautology(fact: str) -> bool:
    """ "The user's cat is a cat": the value only repeats the attribute."""
    key = fact_key(fact)
    if key.slot is None:
        return False
    value = set(content_words(key.value))
    return not value or value <= set(content_words(key.slot))


def summarise_day(llm: LLM, summaries: Sequence[str]) -> str:
    source = "\n".join(f"- {s}" for s in summaries)
    raw = _ask(
        llm,
        "Summarise the user's day in one or two sentences from these conversation summaries.",
        "- The user said they work as a teacher in Leeds and love sushi.\n"
        "- The user talked about a football match they watched.",
        "The user talked about their work as a teacher in Leeds, sushi and a football match.",
        source,
        110,
    )
    return _sentence("daily summary", raw, source, 0.75)


def update_global_summary(llm: LLM, previous: str, days: Sequence[str]) -> str:
    source = "\n".join(f"- {s}" for s in ([previous] if previous else []) + list(days))
    raw = _ask(
        llm,
        "Write a short overall summary (at most three sentences) of everything below.",
        "- The user works as a teacher in Leeds.\n- The user watched a football match.",
        "The user is a teacher in Leeds who follows football.",
        source,
        140,
    )
    return _sentence("global summary", raw, source, 0.75)


def describe_persona(llm: LLM, source: str) -> str:
    raw = _ask(
        llm,
        "Describe the user's personality and preferences, and how best to respond to them, in "
        "two short sentences, based only on what they said.",
        "User: I love reading science fiction.\nUser: Please keep answers short, I'm busy.\n"
        "User: I get anxious before exams.",
        "The user enjoys science fiction and gets anxious before exams. "
        "They prefer short, calm answers.",
        source,
        100,
    )
    return _sentence("persona", raw, source, 0.6)


def reflect(llm: LLM, memories: Sequence[str]) -> list[str]:
    source = "\n".join(f"- {m}" for m in memories)
    raw = _ask(
        llm,
        "From these facts about the user, write two short insights about what matters to them, "
        "one per line, starting with 'The user'.",
        "- The user works as a teacher in Leeds.\n- The user plays football on Sundays.\n"
        "- The user coaches the school football team.",
        "- The user cares a lot about football, both playing and coaching.\n"
        "- The user's work and hobbies both involve teaching.",
        source,
        120,
    )
    # Each clause must come from one memory: "The user's job is a doctor and lives in a
    # hospital" pieced "hospital" and "lives" from two facts and invented "doctor".
    insights = [
        i
        for i in bullets(raw)
        if grounded(i, source, 0.7)
        and fault(i, source) is None
        and each_clause_in_one_source(i, memories, 0.75)
        and _synthesises(i, memories)
    ]
    if not insights:
        raise StepFailed("reflection", "no insight was supported by the memories", raw)
    return insights


def _synthesises(insight: str, memories: Sequence[str]) -> bool:
    """An insight draws on two or more memories and is not a copy of any one of them."""
    words = set(content_words(insight))
    if not words or insight.lower().startswith("the user said"):
        return False
    drawn = [m for m in memories if words & set(content_words(m))]
    copies = [m for m in drawn if words <= set(content_words(m))]
    return len(drawn) >= 2 and not copies
