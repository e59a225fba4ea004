"""Fuzzy screening of one person's name against every loaded watch-list name.

Rules (tested in tests/aml/test_matching.py, measured by benchmarks/aml_bench.py):

* **Normalisation.** Names in any script are transliterated to ASCII (anyascii: "Владимир" →
  "Vladimir", "محمد" → "mhmd"), upper-cased; apostrophes are dropped ("O'Neil" → "ONEIL") and
  other punctuation becomes a space ("Al-Majid" → "AL MAJID"); runs of spaces collapse.
* **Transliteration key.** Each token also gets a skeleton: Q/C→K, Z→S, X→KS, W→V, PH→F, T→D,
  an H ending a digraph or the token dropped (KH, SH, TH, final H), each vowel run replaced by "_",
  doubled letters collapsed. "Mohammed", "Muhammad" and "Mohamed" all give "M_H_M_D":
  romanisations differ mostly in which vowel and how many consonants, which the skeleton forgets,
  while "Hassan" ("H_S_N") and "Husseini" ("H_S_N_") stay apart. The loose key drops the "_"s
  ("MHMD"); it only counts when one side has no vowels at all, as abjad scripts transliterate
  ("محمد" → "mhmd").
* **Order-insensitive token alignment.** Each token of the shorter name is paired with its best
  unused token of the longer name (exact = 100, same key = 95 (85 for keys under 3 letters), same
  loose key with a vowelless side = 90 (85), else
  the best rapidfuzz ratio of the tokens or 0.85 × that of their keys; a lone initial matches a
  token it begins). The name score is the length-weighted mean, minus 2 per unpaired token of the
  longer name. So "PUTIN Vladimir" = "Vladimir Putin", and a missing (or extra) middle name costs
  only 2 points; a one-token query against a longer listed name is capped (×0.6) because a lone
  given name says little. The best score over an entry's primary name and aliases counts.
* **Threshold.** A match needs ≥ 85, or ≥ 92 with ``strict_match`` (fewer loose transliterations
  and typos pass).
* **Filters.** With a birth year, an entry whose listed birth years are known must include it
  (±1 year unless strict: lists often hold approximate "circa" years). With countries, an entry
  whose nationalities are known must share one. Entries missing the data are kept: a list not
  recording a birth date is no evidence the person differs.
* **Blocking.** An in-memory index maps loose token keys to name variants, so a query only looks at
  names sharing a key with it; rapidfuzz ``process.extract`` (token_set_ratio, C speed) keeps the
  best 50 of those before the pure-Python alignment above. Keys occurring in more than 10% of
  names (e.g. "BN", "AL") are not used for blocking unless nothing else is available.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from anyascii import anyascii
from rapidfuzz import fuzz, process

THRESHOLD = 85.0
STRICT_THRESHOLD = 92.0
PREFILTER_LIMIT = 50
PREFILTER_CUTOFF = 50.0
COMMON_KEY_SHARE = 0.10

_APOSTROPHES = re.compile(r"['’ʼ`ʻ]")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_DIGRAPHS = (
    ("PH", "F"),
    ("CK", "K"),
    ("X", "KS"),
    ("Q", "K"),
    ("C", "K"),
    ("Z", "S"),
    ("W", "V"),
    ("T", "D"),
)
_VOWELS = re.compile(r"[AEIOUY]")
_TRUE_VOWELS = re.compile(r"[AEIOU]")
_SILENT_H = re.compile(r"(?<=[KSDG])H|H$")  # KH, SH, TH (→DH), GH, CH (→KH) and a final H
_REPEATS = re.compile(r"(.)\1+")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


def normalise(name: str) -> str:
    """ASCII, upper-case, punctuation-free, single-spaced form of ``name``."""
    text = _APOSTROPHES.sub("", anyascii(name).upper())
    return _NON_ALNUM.sub(" ", text).strip()


def token_key(token: str) -> str:
    """The skeleton of one normalised token: each run of vowels becomes "_", so spellings that differ
    only in vowels (Mohammed, Muhammad) share a key."""
    key = token
    for old, new in _DIGRAPHS:
        key = key.replace(old, new)
    key = _SILENT_H.sub("", key)
    return _REPEATS.sub(r"\1", _VOWELS.sub("_", key))


def loose_key(key: str) -> str:
    """A skeleton without vowels at all: abjad scripts (Arabic, Hebrew) write none."""
    return _REPEATS.sub(r"\1", key.replace("_", "")) or key


def _vowelless(token: str) -> bool:
    return len(token) > 1 and not _TRUE_VOWELS.search(token)


@dataclass(frozen=True)
class NameForm:
    """A name's tokens and their keys, computed once."""

    tokens: tuple[str, ...]
    keys: tuple[str, ...]
    loose: tuple[str, ...]

    @classmethod
    def of(cls, name: str) -> NameForm:
        tokens = tuple(normalise(name).split())
        keys = tuple(token_key(token) for token in tokens)
        return cls(tokens, keys, tuple(loose_key(key) for key in keys))


def _token_similarity(a: str, a_key: str, a_loose: str, b: str, b_key: str, b_loose: str) -> float:
    if a == b:
        return 100.0
    if a_key == b_key:
        return 95.0 if len(a_key) >= 3 else 85.0
    if a_loose == b_loose and (_vowelless(a) or _vowelless(b)):
        return 90.0 if len(a_loose) >= 3 else 85.0
    if len(a) == 1 or len(b) == 1:  # an initial
        return 90.0 if a[0] == b[0] else 0.0
    return max(fuzz.ratio(a, b), 0.85 * fuzz.ratio(a_key, b_key))


def name_score(query: NameForm, listed: NameForm) -> float:
    """0-100 similarity of two names, order-insensitive, tolerant of a missing middle name."""
    if not query.tokens or not listed.tokens:
        return 0.0
    short, long = (query, listed) if len(query.tokens) <= len(listed.tokens) else (listed, query)
    unused = list(range(len(long.tokens)))
    total = weight = 0.0
    # Longest tokens first: they carry most of the identity and should claim their partner first.
    for i in sorted(range(len(short.tokens)), key=lambda k: -len(short.tokens[k])):
        best, best_j = 0.0, -1
        for j in unused:
            similarity = _token_similarity(
                short.tokens[i], short.keys[i], short.loose[i], long.tokens[j], long.keys[j], long.loose[j]
            )
            if similarity > best:
                best, best_j = similarity, j
        if best_j >= 0:
            unused.remove(best_j)
        size = max(len(short.tokens[i]), 2)
        total += best * size
        weight += size
    score = total / weight - 2.0 * len(unused)
    if len(short.tokens) == 1 and len(long.tokens) > 1:
        score *= 0.6
    return max(score, 0.0)


def birth_years(dates: Iterable[str]) -> set[int]:
    """The years in a list's date strings ("1958", "10 Jun 1955", "1960 to 1962" → both ends)."""
    return {int(year) for date in dates for year in _YEAR.findall(date)}


@dataclass
class IndexedEntry:
    """What the index keeps per entry: enough to filter; the rest is read from the DB on a match."""

    entry_pk: int
    birth_years: frozenset[int]
    nationalities: frozenset[str]


@dataclass(frozen=True)
class Candidate:
    entry_pk: int
    score: float
    matched_name: str


@dataclass
class ScreeningIndex:
    """Every listed name variant with its token keys, and postings from key to variants."""

    entries: list[IndexedEntry] = field(default_factory=list)
    variant_entry: list[int] = field(default_factory=list)  # variant → position in ``entries``
    variant_names: list[str] = field(default_factory=list)
    variant_forms: list[NameForm] = field(default_factory=list)
    variant_keys: list[str] = field(default_factory=list)  # the keys joined, for the C prefilter
    postings: dict[str, list[int]] = field(default_factory=dict)

    def add(
        self,
        entry_pk: int,
        names: Sequence[str],
        dates_of_birth: Iterable[str] = (),
        nationalities: Iterable[str] = (),
    ) -> None:
        position = len(self.entries)
        self.entries.append(
            IndexedEntry(entry_pk, frozenset(birth_years(dates_of_birth)), frozenset(nationalities))
        )
        for name in dict.fromkeys(names):
            form = NameForm.of(name)
            if not form.tokens:
                continue
            variant = len(self.variant_names)
            self.variant_entry.append(position)
            self.variant_names.append(name)
            self.variant_forms.append(form)
            self.variant_keys.append(" ".join(form.loose))
            for key in set(form.loose):
                self.postings.setdefault(key, []).append(variant)

    def _candidates(self, query: NameForm) -> list[int]:
        common = max(len(self.variant_names) * COMMON_KEY_SHARE, 100)
        postings = [self.postings.get(key, []) for key in set(query.loose)]
        selective = [posting for posting in postings if len(posting) <= common]
        chosen: set[int] = set()
        for posting in selective or postings:
            chosen.update(posting)
        return sorted(chosen)

    def screen(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        birth_year: int | None = None,
        countries: Iterable[str] = (),
        strict: bool = False,
    ) -> list[Candidate]:
        """Entries matching ``name`` (or one of the searched ``aliases``), best first."""
        threshold = STRICT_THRESHOLD if strict else THRESHOLD
        wanted = frozenset(code.upper() for code in countries)
        best: dict[int, Candidate] = {}
        for searched in [name, *aliases]:
            query = NameForm.of(searched)
            if not query.tokens:
                continue
            variants = self._candidates(query)
            shortlist = process.extract(
                " ".join(query.loose),
                [self.variant_keys[v] for v in variants],
                scorer=fuzz.token_set_ratio,
                limit=PREFILTER_LIMIT,
                score_cutoff=PREFILTER_CUTOFF,
            )
            for _, _, position in shortlist:
                variant = variants[position]
                score = name_score(query, self.variant_forms[variant])
                entry = self.entries[self.variant_entry[variant]]
                if score < threshold or not _passes_filters(entry, birth_year, wanted, strict):
                    continue
                known = best.get(entry.entry_pk)
                if known is None or score > known.score:
                    best[entry.entry_pk] = Candidate(
                        entry.entry_pk, round(score, 1), self.variant_names[variant]
                    )
        return sorted(best.values(), key=lambda candidate: -candidate.score)


def _passes_filters(
    entry: IndexedEntry, birth_year: int | None, countries: frozenset[str], strict: bool
) -> bool:
    if birth_year is not None and entry.birth_years:
        slack = 0 if strict else 1
        if not any(abs(year - birth_year) <= slack for year in entry.birth_years):
            return False
    return not (countries and entry.nationalities and not countries & entry.nationalities)
