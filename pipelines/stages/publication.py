"""May a clip be published? Consent flags computed when clips are built, re-checked at every approval.

Two reasons block publication whatever a moderator decides (no override):

* ``unconsented_speaker``: a voice in the clip matches no consented participant (an extra voice found by
  ``pipelines.stages.extra_voice``, or a speaker whose role nobody in the consent record holds). The extra voice
  stops counting once the consent record is amended to cover it, or an admin confirms by ear that nobody else
  was there (``pipelines.consent_amend``);
* ``no_publication_consent``: a participant who speaks in the clip did not consent to publication, or
  that consent has expired (``consent.publication_problems``).
"""

from __future__ import annotations

from datetime import datetime

from vidlib.consent import publication_problems
from vidlib.domain import Clip, ConsentFlag, ConsentRecord, Diarization, Manifest, Role, SpeakerTurn, VoicesConfirmed

MIN_UNCONSENTED_OVERLAP_S = 0.5  # less than this of an unknown voice inside a clip is not flagged
UNCONSENTED_VOICE = "une voix qui ne correspond à aucun participant ayant consenti"


def uncovered_voices(
    diarization: Diarization | None, consent: ConsentRecord, confirmed: VoicesConfirmed | None = None
) -> tuple[SpeakerTurn, ...]:
    """The turns flagged as a voice nobody consented for, unless ``consent`` (amended since, ``vidlib consent amend``)
    names more participants than the record the check ran against (everyone heard has consented now), or an admin
    listened and heard no voice beyond the record's (``confirmed``, ``vidlib consent confirm-voices``)."""
    if diarization is None or not diarization.unconsented or confirmed is not None:
        return ()
    checked = diarization.consented or diarization.num_speakers
    return () if len(consent.participants) > checked else diarization.unconsented


def consent_flags(
    start: float,
    end: float,
    roles: tuple[Role, ...],
    unconsented: tuple[SpeakerTurn, ...],
    consent: ConsentRecord,
    *,
    now: datetime,
) -> tuple[ConsentFlag, ...]:
    """The consent flags of a clip spanning [start, end] whose speakers have ``roles``."""
    flags: list[ConsentFlag] = []
    inside = [t for t in unconsented if min(end, t.end) - max(start, t.start) > 0]
    if sum(min(end, t.end) - max(start, t.start) for t in inside) >= MIN_UNCONSENTED_OVERLAP_S:
        flags.append(
            ConsentFlag("unconsented_speaker", UNCONSENTED_VOICE, max(start, inside[0].start), min(end, inside[-1].end))
        )
    held = {p.role for p in consent.participants}
    for role in dict.fromkeys(r for r in roles if r not in held):
        flags.append(
            ConsentFlag("unconsented_speaker", f"a {role} speaks but no {role} is in the consent record", start, end)
        )
    for problem in publication_problems(consent, tuple(r for r in roles if r in held), now=now):
        flags.append(ConsentFlag("no_publication_consent", problem, start, end))
    return tuple(flags)


def recording_consent_flags(
    manifest: Manifest, start: float, end: float, roles: tuple[Role, ...], *, now: datetime
) -> tuple[ConsentFlag, ...]:
    """``consent_flags`` of a span of ``manifest``'s recording, against its consent record, its stored diarisation
    and any confirmation by ear."""
    unconsented = uncovered_voices(manifest.diarization, manifest.consent, manifest.voices_confirmed)
    return consent_flags(start, end, roles, unconsented, manifest.consent, now=now)


def consented_roles(consent: ConsentRecord) -> list[Role]:
    """The roles of the participants ``consent`` names, each once, in its order: the voices a moderator may hear."""
    return list(dict.fromkeys(p.role for p in consent.participants))


def publication_blockers(manifest: Manifest, clip: Clip, *, now: datetime) -> list[str]:
    """Every reason ``clip`` cannot be published at ``now``; empty when it may be."""
    flags = recording_consent_flags(manifest, clip.start, clip.end, clip.roles, now=now)
    stored = [f.detail for f in clip.consent_flags if f.kind == "unconsented_speaker"]
    return list(dict.fromkeys(stored + [f.detail for f in flags]))
