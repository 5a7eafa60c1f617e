"""Topics of a life, for the dense search. "What activities does Melanie do?" is a question, and
MiniLM puts it far from the statement that answers it, "I'm taking a pottery class"; moved part
of the way towards the nearest of these descriptions (written as a person states things), the
question's vector lands among such statements (docs/benchmarks.md, "Topics of a life")."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

# Areas of a person's life, each in a person's own words; written for people's notes and chats
# in general, not from any benchmark's answers.
TOPICS: dict[str, str] = {
    "hobbies": "My hobbies and activities: I enjoy painting, pottery, hiking, camping, running, "
    "swimming, reading, gardening, playing music and cooking in my free time.",
    "work": "My job and career: my work, my boss and coworkers, a promotion, my business, "
    "a job interview, a project at the office.",
    "family": "My family: my kids, my husband or wife, my parents, my brother and sister, "
    "a family trip or a family dinner.",
    "pets": "My pets: my dog, my cat, walking the dog, feeding them, a trip to the vet.",
    "travel": "Travel and trips: I visited another country or city, a vacation, a road trip, "
    "a flight, the beach, the mountains.",
    "health": "My health: I was sick or injured, the doctor, the hospital, therapy, "
    "medication, my diet and sleep.",
    "learning": "School and learning: a class, a course, studying, my degree, a workshop, "
    "something new I learned.",
    "causes": "Causes I care about: volunteering, charity, activism, helping my community, "
    "social justice, the environment, supporting others.",
    "media": "Books, films and games I like: a novel I read, a movie I watched, a video game "
    "I play, a TV series, my favourite author.",
    "music": "Music: I play the guitar, piano or violin, a concert, a band, a song I love.",
    "food": "Food: a recipe I cooked, baking, my favourite dish or restaurant, a meal.",
    "friends": "Friends and social life: hanging out with friends, a party, meeting new people.",
    "feelings": "How I feel: stressed, happy, anxious, proud, lonely, grateful, motivated.",
    "events": "Events I went to: a conference, a festival, a wedding, a parade, a meeting, "
    "a competition, a ceremony.",
    "possessions": "Things I bought or own: a new car, a new phone, a gift I got, my collection.",
    "plans": "My goals and plans: I want to, I am planning to, my dream is to, next year.",
    "romance": "Dating and relationships: my boyfriend or girlfriend, my partner, a date, "
    "a breakup, getting married.",
    "home": "My home: moving house, my apartment, decorating, renovating, my neighbourhood.",
    "art": "Art and creativity: painting, drawing, writing, photography, crafts, my artwork.",
    "sports": "Sports and fitness: soccer, basketball, tennis, yoga, the gym, a marathon, a match.",
}

Embed = Callable[[list[str]], npt.NDArray[np.float32]]


class TopicVectors:
    """The topics' vectors, embedded on first use, once per retriever (its embedder)."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._vectors: npt.NDArray[np.float32] | None = None

    def vectors(self) -> npt.NDArray[np.float32]:
        if self._vectors is None:
            self._vectors = unit(np.asarray(self._embed(list(TOPICS.values())), np.float32))
        return self._vectors

    def nearest(self, query: npt.NDArray[np.float32]) -> str:
        """The name of the topic nearest to `query`."""
        return list(TOPICS)[int(np.argmax(self.vectors() @ unit(query[None, :])[0]))]

    def towards(self, query: npt.NDArray[np.float32], pull: float) -> npt.NDArray[np.float32]:
        """`query` moved `pull` of the way towards its nearest topic, at unit length."""
        q = unit(np.asarray(query, np.float32)[None, :])[0]
        vectors = self.vectors()
        target = vectors[int(np.argmax(vectors @ q))]
        moved: npt.NDArray[np.float32] = unit(((1.0 - pull) * q + pull * target)[None, :])[0]
        return moved


def unit(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)
