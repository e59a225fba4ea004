"""AML screening benchmark: precision/recall on known name variants, latency on a 100 000-entry list.

Run from the repository root: ``.venv/bin/python -m benchmarks.aml_bench [--entries N] [--big N] [--no-plot]``

Accuracy: a list of ``--entries`` synthetic individuals (names from real-world given names and
surnames plus invented ones, some with middle names, Cyrillic or Arabic renderings as aliases).
Positive queries are listed people under one variant each: another transliteration
("Mohammed"→"Muhammad"), the name in Cyrillic script, swapped order, a missing middle name or a
one-letter typo. Negative queries are unlisted name combinations. A query counts as a true
positive when its person is among the hits; any other flagged query is a false positive.
Both strict and non-strict matching are measured; queries carry the birth year like callers do.

Latency: the same generator builds ``--big`` entries (100 000 by default) into the in-memory
index; each query's screening time is measured (p50/p95), plus the index build time.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

from benchmarks.common import out_path, percentile, timing_summary
from openkyc.aml.matching import ScreeningIndex

# Real given names with their usual alternative romanisations.
VARIANT_GIVEN: dict[str, list[str]] = {
    "MOHAMMED": ["MUHAMMAD", "MOHAMED", "MOHAMAD", "MOHAMMAD"],
    "AHMED": ["AHMAD"],
    "HUSSEIN": ["HUSAYN", "HUSSAIN", "HOUSSEIN"],
    "YUSUF": ["YOUSSEF", "YUSSUF", "YOUSEF"],
    "OSAMA": ["USAMA", "OUSSAMA"],
    "ABDULLAH": ["ABDALLAH", "ABDULA"],
    "OMAR": ["UMAR", "OMER"],
    "KHALID": ["KHALED", "HALID"],
    "MUSTAFA": ["MOSTAFA", "MUSTAPHA"],
    "ALEKSANDR": ["ALEXANDER", "ALEKSANDER"],
    "YEVGENY": ["EVGENY", "EVGENIY", "YEVGENIY"],
    "SERGEI": ["SERGEY", "SERGIY"],
    "DMITRY": ["DMITRI", "DMITRIY"],
    "MIKHAIL": ["MIKHAEL", "MICHAIL"],
    "YURI": ["YURIY", "IOURI"],
    "IBRAHIM": ["EBRAHIM", "IBRAHEEM"],
    "FATIMA": ["FATMA", "FATEMA"],
    "AISHA": ["AYESHA", "AISHAH"],
    "SULEIMAN": ["SULAYMAN", "SULEYMAN"],
    "JAMAL": ["GAMAL", "DJAMAL"],
}
VARIANT_SURNAMES: dict[str, list[str]] = {
    "QADHAFI": ["GADDAFI", "KADHAFI"],
    "HUSSAINI": ["HUSAINI", "HOSSEINI"],
    "RAHMAN": ["REHMAN", "RAKHMAN"],
    "CHEKHOV": ["TCHEKHOV", "CHEHOV"],
    "KHODORKOVSKY": ["KHODORKOVSKIY", "HODORKOVSKY"],
    "MAJID": ["MAJEED", "MADJID"],
}
CYRILLIC = {
    "IVAN": "Иван",
    "SERGEI": "Сергей",
    "DMITRY": "Дмитрий",
    "ALEKSANDR": "Александр",
    "MIKHAIL": "Михаил",
    "YEVGENY": "Евгений",
    "PETROV": "Петров",
    "IVANOV": "Иванов",
    "SMIRNOV": "Смирнов",
    "VOLKOV": "Волков",
    "SOKOLOV": "Соколов",
    "POPOV": "Попов",
    "KUZNETSOV": "Кузнецов",
}
GIVEN = [
    *VARIANT_GIVEN,
    "IVAN",
    "JOHN",
    "MARY",
    "CHINEDU",
    "AMINA",
    "KWAME",
    "THANDO",
    "FEMI",
    "NGOZI",
    "PIERRE",
    "LI",
    "WEI",
]
SURNAMES = [
    *VARIANT_SURNAMES,
    *[k for k in CYRILLIC if k.endswith("V")],
    "OKAFOR",
    "MENSAH",
    "NDLOVU",
    "HADDAD",
    "KHAN",
    "SMITH",
    "DUBOIS",
    "WANG",
]
SYLLABLES = [c + v for c in "BDFGKLMNPRSTVZ" for v in "AEIOU"] + [
    "SHA",
    "KHA",
    "TCHI",
    "NGO",
    "MBA",
    "OLU",
    "ADE",
]
COUNTRIES = ["NG", "RU", "IQ", "SY", "KP", "IR", "GB", "FR", "CN", "ZA", "KE", "GH"]


def invented(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


@dataclass
class Person:
    given: str
    middle: str | None
    surname: str
    year: int
    country: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given, self.middle, self.surname) if p)


def make_person(rng: random.Random) -> Person:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else invented(rng)
    surname = rng.choice(SURNAMES) if rng.random() < 0.2 else invented(rng)
    middle = (rng.choice(GIVEN) if rng.random() < 0.5 else invented(rng)) if rng.random() < 0.4 else None
    return Person(given, middle, surname, rng.randint(1940, 2000), rng.choice(COUNTRIES))


def aliases_of(person: Person) -> list[str]:
    if person.given in CYRILLIC and person.surname in CYRILLIC:
        return [f"{CYRILLIC[person.given]} {CYRILLIC[person.surname]}"]
    return []


def typo(rng: random.Random, token: str) -> str:
    i = rng.randrange(1, len(token) - 1)
    kind = rng.choice(("sub", "del", "swap"))
    if kind == "sub":
        return token[:i] + rng.choice("AEIOUNRSTL") + token[i + 1 :]
    if kind == "del":
        return token[:i] + token[i + 1 :]
    return token[: i - 1] + token[i] + token[i - 1] + token[i + 1 :]


def variant(rng: random.Random, person: Person) -> tuple[str, str]:
    """(kind, query name) for one listed person."""
    options = ["swap", "typo"]
    if person.middle:
        options.append("middle")
    if person.given in VARIANT_GIVEN or person.surname in VARIANT_SURNAMES:
        options += ["translit", "translit"]
    if person.given in CYRILLIC and person.surname in CYRILLIC:
        options.append("cyrillic")
    kind = rng.choice(options)
    given, surname = person.given, person.surname
    if kind == "swap":
        return kind, f"{surname} {given}"
    if kind == "middle":
        return kind, f"{given} {surname}"
    if kind == "cyrillic":
        return kind, f"{CYRILLIC[given]} {CYRILLIC[surname]}"
    if kind == "translit":
        given = rng.choice(VARIANT_GIVEN.get(given, [given]))
        surname = rng.choice(VARIANT_SURNAMES.get(surname, [surname]))
        return kind, " ".join(p for p in (given, person.middle, surname) if p)
    tokens = person.name.split()
    long_tokens = [i for i, t in enumerate(tokens) if len(t) >= 5]
    if long_tokens:
        i = rng.choice(long_tokens)
        tokens[i] = typo(rng, tokens[i])
    return kind, " ".join(tokens)


def build(people: list[Person]) -> ScreeningIndex:
    index = ScreeningIndex()
    for pk, person in enumerate(people):
        index.add(pk, [person.name, *aliases_of(person)], [str(person.year)], [person.country])
    return index


@dataclass
class Accuracy:
    strict: bool
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses_by_kind: dict[str, int] | None = None

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)


def accuracy(n_entries: int, n_queries: int, seed: int, strict: bool) -> Accuracy:
    rng = random.Random(seed)
    people = [make_person(rng) for _ in range(n_entries)]
    index = build(people)
    listed_pairs = {(p.given, p.surname) for p in people} | {(p.surname, p.given) for p in people}
    result = Accuracy(strict, misses_by_kind={})
    assert result.misses_by_kind is not None
    for _ in range(n_queries):
        pk = rng.randrange(n_entries)
        kind, query = variant(rng, people[pk])
        hits = {c.entry_pk for c in index.screen(query, birth_year=people[pk].year, strict=strict)}
        if pk in hits:
            result.tp += 1
        else:
            result.fn += 1
            result.misses_by_kind[kind] = result.misses_by_kind.get(kind, 0) + 1
            if hits:
                result.fp += 1
    for _ in range(n_queries):
        other = make_person(rng)
        if (other.given, other.surname) in listed_pairs:
            continue  # by construction a listed name, not a negative
        if index.screen(other.name, birth_year=other.year, strict=strict):
            result.fp += 1
    return result


def latency(n_entries: int, n_queries: int, seed: int) -> tuple[float, list[float]]:
    rng = random.Random(seed)
    people = [make_person(rng) for _ in range(n_entries)]
    started = time.perf_counter()
    index = build(people)
    build_s = time.perf_counter() - started
    queries = [variant(rng, people[rng.randrange(n_entries)])[1] for _ in range(n_queries // 2)]
    queries += [make_person(rng).name for _ in range(n_queries - len(queries))]
    timings = []
    for query in queries:
        started = time.perf_counter()
        index.screen(query, strict=False)
        timings.append((time.perf_counter() - started) * 1000)
    return build_s, timings


def plot(results: list[Accuracy], timings: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels = ["strict" if r.strict else "non-strict" for r in results]
    x = range(len(results))
    left.bar([i - 0.2 for i in x], [r.precision * 100 for r in results], width=0.4, label="precision")
    left.bar([i + 0.2 for i in x], [r.recall * 100 for r in results], width=0.4, label="recall")
    left.set_xticks(list(x), labels)
    left.set_ylim(80, 100.5)
    left.axhline(95, color="grey", linestyle=":")
    left.axhline(99, color="grey", linestyle="--")
    left.set_ylabel("%")
    left.set_title("Name variants vs the list")
    left.legend(loc="lower right")
    right.hist(timings, bins=50)
    right.axvline(percentile(timings, 95), color="red", label=f"p95 {percentile(timings, 95):.1f} ms")
    right.set_xlabel("ms per screened name (100k-entry list)")
    right.set_title("Screening latency")
    right.legend()
    fig.tight_layout()
    path = out_path("aml_bench.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--latency-queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()

    results = []
    for strict in (False, True):
        result = accuracy(args.entries, args.queries, args.seed, strict)
        results.append(result)
        mode = "strict" if strict else "non-strict"
        print(
            f"{mode:>10}: {args.entries} entries, {args.queries} listed + {args.queries} unlisted queries: "
            f"precision {result.precision:.2%}, recall {result.recall:.2%} "
            f"(tp {result.tp}, fp {result.fp}, fn {result.fn}; misses by variant {result.misses_by_kind})"
        )
    build_s, timings = latency(args.big, args.latency_queries, args.seed + 1)
    print(f"latency: {args.big} entries indexed in {build_s:.1f} s; per name {timing_summary(timings)}")
    if not args.no_plot:
        plot(results, timings)


if __name__ == "__main__":
    main()
