"""What a student's query asks, read from its words: the jobs it names, the sectors it points at, and the query
rewritten in standard French.

Students ask in their own words ("ça rapporte combien de bosser chez un fabricant d'avions"): colloquial words and
phrases are rewritten from a maintained data file (``data/colloquial_fr.json``), and jobs and sectors are found
from another (``data/jobs_fr.json``: every job with its masculine, feminine and common forms, and its sector). All
matching ignores accents, case, elisions and a final plural s or x, so "Avocate", "avocats" and "avocat" name the
same job. The search uses it to say when the library has no answer (a job named that no clip holds) and to rank
the clips of a named job or sector first (``search_api.search``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from vidlib.text import fold_accents

DATA = Path(__file__).with_name("data")
_TOKEN = re.compile(r"[a-z0-9]+")
_ELIDED = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'")


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes straightened and elisions dropped ("l'Éducateur" -> "educateur")."""
    text = fold_accents(text.lower().replace("’", "'"))
    return _ELIDED.sub(" ", text)


def tokens(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, a final plural s or x dropped (words of 4+ letters)."""
    return tuple(_singular(t) for t in _TOKEN.findall(fold(text)))


def _singular(word: str) -> str:
    return word[:-1] if len(word) >= 4 and word[-1] in "sx" and word[-2] not in "su" else word


@dataclass(frozen=True)
class Job:
    key: str  # its first form, folded: "avocat"
    name: str  # its first form as written: "avocat"
    forms: tuple[tuple[str, ...], ...]  # every form as tokens, longest first
    sector: str
    feminine: tuple[tuple[str, ...], ...] = ()  # its feminine forms, listed where women are few in its sector


@dataclass(frozen=True)
class Sector:
    key: str
    name: str
    words: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Lexicon:
    jobs: tuple[Job, ...]
    sectors: tuple[Sector, ...]
    phrases: tuple[tuple[tuple[str, ...], str], ...]  # colloquial phrase (tokens) -> standard words, longest first
    words: dict[str, str]  # colloquial word (folded) -> standard words
    underrepresented: frozenset[str] = frozenset()  # sectors where women are a small minority of workers
    forms: tuple[tuple[tuple[str, ...], str], ...] = ()  # every (form, job key), longest form first

    @cached_property
    def forms_starting(self) -> dict[str, tuple[int, ...]]:
        """The positions in ``forms`` of the forms each word starts, in order (longest first)."""
        out: dict[str, list[int]] = {}
        for n, (form, _) in enumerate(self.forms):
            out.setdefault(form[0], []).append(n)
        return {word: tuple(at) for word, at in out.items()}

    def job(self, key: str) -> Job:
        return next(j for j in self.jobs if j.key == key)

    def sector(self, key: str) -> Sector | None:
        return next((s for s in self.sectors if s.key == key), None)


@lru_cache(maxsize=2)
def load_lexicon(folder: Path = DATA) -> Lexicon:
    jobs_raw = json.loads((folder / "jobs_fr.json").read_text(encoding="utf-8"))
    slang = json.loads((folder / "colloquial_fr.json").read_text(encoding="utf-8"))
    jobs = tuple(
        Job(
            key=" ".join(tokens(entry["forms"][0])),
            name=entry["forms"][0],
            forms=tuple(sorted({tokens(f) for f in entry["forms"]}, key=len, reverse=True)),
            sector=entry["sector"],
            feminine=tuple(tokens(f) for f in entry.get("feminine", ())),
        )
        for entry in jobs_raw["jobs"]
    )
    sectors = tuple(
        Sector(key, value["name"], tuple(tokens(w) for w in value["words"]))
        for key, value in jobs_raw["sectors"].items()
    )
    phrases = sorted(((tokens(k), v) for k, v in slang["phrases"].items()), key=lambda p: len(p[0]), reverse=True)
    words = {" ".join(tokens(k)): v for k, v in slang["words"].items()}
    underrepresented = frozenset(jobs_raw.get("women_underrepresented_sectors", ()))
    forms = tuple(sorted(((form, job.key) for job in jobs for form in job.forms), key=lambda f: -len(f[0])))
    return Lexicon(jobs, sectors, tuple(phrases), words, underrepresented, forms)


def _find(sequence: Sequence[str], part: Sequence[str]) -> int:
    """Where ``part`` starts in ``sequence`` (-1 if it does not occur)."""
    if not part:
        return 0
    n, whole = len(part), tuple(part)
    for i, word in enumerate(sequence):
        if word == whole[0] and tuple(sequence[i : i + n]) == whole:
            return i
    return -1


def jobs_named(text: str | Sequence[str], lexicon: Lexicon) -> tuple[str, ...]:
    """The keys of the jobs ``text`` names, longest forms first ("cheffe de chantier" is not also "chef")."""
    words = list(tokens(text) if isinstance(text, str) else text)
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    starting = lexicon.forms_starting
    for n in sorted({n for word in set(words) for n in starting.get(word, ())}):
        form, key = lexicon.forms[n]
        at = _find(words, form)
        if at < 0 or any(a < at + len(form) and at < b for a, b in spans):
            continue
        spans.append((at, at + len(form)))
        if key not in found:
            found.append(key)
    return tuple(found)


def sectors_named(words: Sequence[str], lexicon: Lexicon) -> tuple[str, ...]:
    present = set(words)
    return tuple(s.key for s in lexicon.sectors if any(w[0] in present and _find(words, w) >= 0 for w in s.words))


@dataclass(frozen=True)
class Understanding:
    query: str
    rewritten: str  # colloquial words replaced by standard ones (the original when nothing was replaced)
    jobs: tuple[str, ...]  # keys of the jobs named
    sectors: tuple[str, ...]  # keys of the sectors pointed at, by a word or by a job named

    @cached_property
    def words(self) -> tuple[str, ...]:
        """The query's folded words (``tokens``), read once for every library job it is matched against."""
        return tokens(self.query)


def rewrite(query: str, lexicon: Lexicon) -> str:
    """The query with colloquial phrases, then words, replaced by their standard French; the rest as typed."""
    folded = fold_accents(query.lower().replace("’", "'"))
    if len(folded) != len(query):  # a character that folds into two: work on the folded text
        query = folded
    spans: list[tuple[int, int, str]] = []
    for phrase, standard in lexicon.phrases:
        pattern = r"\b" + r"\W+".join(re.escape(w) for w in phrase) + r"s?\b"
        for m in re.finditer(pattern, folded):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), standard))
    for m in re.finditer(r"[a-z0-9]+(?:-[a-z0-9]+)*", folded):
        word = lexicon.words.get(" ".join(tokens(m.group())))
        if word and not any(a < m.end() and m.start() < b for a, b, _ in spans):
            spans.append((m.start(), m.end(), word))
    for start, end, standard in sorted(spans, reverse=True):
        query = query[:start] + standard + query[end:]
    return query


def understand(query: str, lexicon: Lexicon | None = None) -> Understanding:
    if lexicon is None:
        return _understood(query)
    return _understand(query, lexicon)


@lru_cache(maxsize=1024)
def _understood(query: str) -> Understanding:
    """``understand`` with the shipped data files, kept for the last queries."""
    return _understand(query, load_lexicon())


def _understand(query: str, lexicon: Lexicon) -> Understanding:
    rewritten = rewrite(query, lexicon)
    words = tokens(query)
    jobs = jobs_named(words, lexicon)
    sectors = [*sectors_named(words, lexicon), *sectors_named(tokens(rewritten), lexicon)]
    sectors += [lexicon.job(k).sector for k in jobs]
    return Understanding(query, rewritten, jobs, tuple(dict.fromkeys(sectors)))


@dataclass(frozen=True)
class LibraryJob:
    """A job of the library (a clip payload's ``job``), with the lexicon's jobs and sector it matches."""

    title: str
    count: int
    jobs: frozenset[str]
    sectors: frozenset[str]
    head: tuple[str, ...]  # its own first words, matched when the lexicon does not know the job
    role_model: bool = False  # a woman's job title in a sector where women are few ("cheffe de chantier")


def library_jobs(titles: Iterable[tuple[str, int]], sectors_of: dict[str, str], lexicon: Lexicon) -> list[LibraryJob]:
    """The library's jobs (title, clip count) read with the lexicon; ``sectors_of`` gives each title's sector as
    the consent record wrote it."""
    out = []
    for title, count in titles:
        words = tokens(title)
        named = jobs_named(words, lexicon)
        sectors = {lexicon.job(k).sector for k in named}
        sectors |= set(sectors_named(tokens(sectors_of.get(title, "")), lexicon))
        role_model = any(
            _find(words, form) >= 0
            for key in named
            if (job := lexicon.job(key)).sector in lexicon.underrepresented
            for form in job.feminine
        )
        out.append(LibraryJob(title, count, frozenset(named), frozenset(sectors), _head(words), role_model))
    return out


_LINKS = {"de", "du", "des", "en", "dans", "pour", "a", "au", "aux", "chez", "sur", "et"}


def _head(words: Sequence[str]) -> tuple[str, ...]:
    """A job title's words before its first link word ("educateur specialise en foyer" -> educateur specialise)."""
    head: list[str] = []
    for w in words:
        if w in _LINKS:
            break
        head.append(w)
    return tuple(head)


def matches(job: LibraryJob, understanding: Understanding) -> bool:
    """Whether the query names this library job: a lexicon job they share, or the job's own first words."""
    if job.jobs & set(understanding.jobs):
        return True
    return bool(job.head) and _find(understanding.words, job.head) >= 0
