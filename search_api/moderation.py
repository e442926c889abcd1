"""Moderation decisions: approve, reject, unpublish, retitle, trim, redact, edit (corrections: ``search_api.edits``).

A published clip stays published through retitle, redact and a trim inside its window; a trim that takes in
seconds beyond it (or leaves a consent problem) sends it back to review, since the approval covered the old window.

Each decision, under the recording's one writer lock (``pipelines.recording_lock``, inter-process: the same lock as
processing runs, consent withdraw/amend/confirm and expiry): check the withdrawal tombstone (410 if consent was
withdrawn), reload the manifest, compare the caller's expected version (409 if the clip changed), save the new
manifest (the source of truth), append to the audit log, then update the index so that search sees the change at
once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from vidlib.domain import AuditEntry, Clip, ClipState, Manifest
from vidlib.pipelines.indexing import clip_payload, indexed_clip, passage_text
from vidlib.pipelines.recording_lock import writing
from vidlib.pipelines.stages.publication import consented_roles, publication_blockers
from vidlib.search_api.catalog import Catalog, ClipRef
from vidlib.search_api.errors import ConflictError, NotPublishableError, OverrideRequiredError, VoicesCheckRequiredError
from vidlib.search_api.split import split_clip
from vidlib.search_api.tokens import Principal
from vidlib.search_api.views import clip_version
from vidlib.storage.audit import append_audit
from vidlib.storage.manifests import now_iso
from vidlib.storage.stage_keys import EMBED

Action = Literal["approve", "reject", "unpublish", "retitle", "trim", "redact", "edit"]

# the states each action may start from, and the state it leaves
TRANSITIONS: dict[str, tuple[frozenset[str], ClipState | None]] = {
    "approve": (frozenset({"pending_review", "rejected"}), "published"),
    "reject": (frozenset({"pending_review", "published"}), "rejected"),
    "unpublish": (frozenset({"published"}), "pending_review"),
    "retitle": (frozenset({"pending_review", "published", "rejected"}), None),
    "trim": (frozenset({"pending_review", "published", "rejected"}), None),
    "redact": (frozenset({"pending_review", "published", "rejected"}), None),
    "edit": (frozenset({"pending_review", "published", "rejected"}), None),
}
REEMBED = frozenset({"retitle", "trim", "redact", "edit"})


def check_publishable(ref: ClipRef, override_reason: str | None, voices_checked: bool) -> None:
    """Approval rules: consent problems block publication (no override); the moderator must say they listened
    and heard only the participants of the consent record (the automatic check for an extra voice misses many
    of a late-joining parent's short turns: docs/unconsented-voices.md); personal-data flags need an override
    reason (kept in the audit log) or a redaction first."""
    blockers = publication_blockers(ref.manifest, ref.clip, now=datetime.now(UTC))
    if blockers:
        raise NotPublishableError(
            "this clip cannot be published: "
            + "; ".join(blockers)
            + " (no override is possible; reject it or trim the voice out)",
            blockers=blockers,
        )
    if not voices_checked:
        roles = consented_roles(ref.manifest.consent)
        raise VoicesCheckRequiredError(
            "listen to the whole clip first: approve with voices_checked=true only if "
            f"nobody is heard beyond the consented participants ({', '.join(roles)}); "
            "if someone else is heard, reject the clip or trim the voice out",
            consented_voices=roles,
        )
    if ref.clip.flags and not (override_reason and override_reason.strip()):
        kinds = sorted({f.kind for f in ref.clip.flags})
        raise OverrideRequiredError(
            f"this clip has {len(ref.clip.flags)} personal-data flag(s) ({', '.join(kinds)}): "
            "redact them, or approve with an override_reason saying why they may stay",
            flags=len(ref.clip.flags),
            kinds=kinds,
        )


TRIM_TOLERANCE_S = 0.05  # a re-cut lands on a video frame: its edges may move this much without adding audio


def _needs_review_again(trimmed: ClipRef, before: Clip) -> bool:
    """A published clip trimmed to take in seconds nobody approved (beyond its old window), or that consent no longer
    lets be published, goes back to review: the approval (and its ``voices_checked``) covered the old window only."""
    clip = trimmed.clip
    extended = clip.start < before.start - TRIM_TOLERANCE_S or clip.end > before.end + TRIM_TOLERANCE_S
    return extended or bool(publication_blockers(trimmed.manifest, clip, now=datetime.now(UTC)))


def _with_voices_checked(details: Callable[[], dict[str, Any]] | None) -> Callable[[], dict[str, Any]]:
    return lambda: {**(details() if details else {}), "voices_checked": True}


def _audit_view(clip: Clip) -> dict[str, Any]:
    return {
        "state": clip.state,
        "title": clip.title,
        "start": clip.start,
        "end": clip.end,
        "version": clip_version(clip),
        "flags": len(clip.flags),
        "redactions": len(clip.redactions),
    }


class Moderation:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.ctx = catalog.ctx

    def decide(
        self,
        clip_id: str,
        action: Action,
        who: Principal,
        version: str,
        *,
        reason: str | None = None,
        voices_checked: bool = False,
        change: Callable[[ClipRef], ClipRef] | None = None,
        details: Callable[[], dict[str, Any]] | None = None,
    ) -> tuple[ClipRef, AuditEntry]:
        """Apply ``action`` if the clip is still at ``version``; ``change`` computes retitle/trim/redact results
        (the clip, and for a redaction the manifest too); ``details`` adds to the audit entry once it ran.
        For approve, ``reason`` is the override reason and ``voices_checked`` the moderator's word that only
        consented voices are heard (see ``check_publishable``; kept in the audit entry)."""
        rid = self.catalog.find(clip_id).recording_id
        with writing(self.ctx, rid):
            ref = self._at_version(clip_id, version)
            before = ref.clip
            allowed, target = TRANSITIONS[action]
            if before.state not in allowed:
                raise ConflictError(
                    f"cannot {action} a clip that is {before.state}", current_version=version, state=before.state
                )
            if action == "approve":
                check_publishable(ref, reason, voices_checked)
                details = _with_voices_checked(details)
            changed = change(ref) if change else ref
            after = changed.clip
            if action == "trim" and before.state == "published" and _needs_review_again(changed, before):
                target = "pending_review"
            if target is not None:
                after = replace(after, state=target)
            manifest = replace(
                changed.manifest, clips=tuple(after if c.clip_id == clip_id else c for c in changed.manifest.clips)
            )
            manifest = self.ctx.repo.save(manifest)
            entry = _entry(who, clip_id, action, before, after, reason=reason, details=details() if details else {})
            append_audit(self.ctx.store, rid, entry)
            vector = self._update_index(manifest, after, reembed=action in REEMBED)
            if vector is not None:
                self._save_embeddings(rid, {clip_id: vector})
            self._update_payloads(manifest, before=ref.manifest, skip=clip_id)
        return ClipRef(manifest, after), entry

    def split(self, clip_id: str, who: Principal, version: str, at_s: float) -> tuple[ClipRef, ClipRef, AuditEntry]:
        """Split the clip in two at the sentence start nearest ``at_s`` (``search_api.split``): two clips in its
        place, in the manifest, the index and the audit log (one ``split`` entry on the clip, naming the halves)."""
        rid = self.catalog.find(clip_id).recording_id
        with writing(self.ctx, rid):
            ref = self._at_version(clip_id, version)
            result = split_clip(self.ctx, ref, at_s)
            manifest = self.ctx.repo.save(result.manifest)
            first, second = result.halves
            entry = _entry(
                who,
                clip_id,
                "split",
                ref.clip,
                first,
                details={"into": [first.clip_id, second.clip_id], "at": round(second.start, 3)},
            )
            append_audit(self.ctx.store, rid, entry)
            for half in result.halves:
                append_audit(
                    self.ctx.store, rid, _entry(who, half.clip_id, "split", ref.clip, half, details={"from": clip_id})
                )
            keep = {c.clip_id for c in manifest.clips}
            self.ctx.index.delete_recording(rid, keep=keep)  # the whole clip's point
            vectors = {h.clip_id: self._update_index(manifest, h, reembed=True) for h in result.halves}
            self._save_embeddings(rid, {k: v for k, v in vectors.items() if v is not None}, drop=clip_id)
            for key in result.old_keys:
                self.ctx.store.delete(key)
        return ClipRef(manifest, first), ClipRef(manifest, second), entry

    def set_styles(self, recording_id: str, styles: tuple[str, ...], who: Principal) -> tuple[Manifest, int]:
        """Set the call's styles of work (a re-run keeps them), in the manifest, every clip's index payload and the
        audit log (one ``styles`` entry for the recording); returns the manifest and the clips updated."""
        with writing(self.ctx, recording_id):
            before = self.ctx.repo.load(recording_id)
            manifest = self.ctx.repo.save(replace(before, styles=styles, styles_by=who.name))
            updated = 0
            with self.catalog.lock:
                for clip in manifest.clips:
                    updated += self.ctx.index.set_payload(clip.clip_id, {"styles": list(styles)})
            entry = AuditEntry(
                clip_id="",
                action="styles",
                by=who.name,
                role=who.role,
                at=now_iso(),
                before={"styles": list(before.styles), "styles_by": before.styles_by},
                after={"styles": list(styles), "styles_by": who.name},
            )
            append_audit(self.ctx.store, recording_id, entry)
        return manifest, updated

    def _at_version(self, clip_id: str, version: str) -> ClipRef:
        """The clip, read again under the recording's lock (another decision may have won); 409 unless it is still
        at the ``version`` the moderator read."""
        ref = self.catalog.find(clip_id)
        current = clip_version(ref.clip)
        if version != current:
            raise ConflictError(
                f"clip {clip_id} changed since you read it (now {ref.clip.state}); reload it and decide again",
                current_version=current,
                state=ref.clip.state,
            )
        return ref

    def _update_index(self, manifest: Manifest, clip: Clip, *, reembed: bool) -> list[float] | None:
        """Update the clip's index point: its state only, or re-embedded (then its new vector is returned)."""
        with self.catalog.lock:
            index = self.ctx.index
            if not reembed and index.set_payload(clip.clip_id, {"state": clip.state}):
                return None
            vector = self.ctx.models.embedder().embed_passages([passage_text(clip)])[0]
            index.upsert([indexed_clip(clip, manifest, vector)])
        return [round(float(x), 7) for x in vector]

    def _update_payloads(self, manifest: Manifest, *, before: Manifest, skip: str) -> None:
        """The other clips a change touched (a chapter's topic is its clips' topic): their payloads follow."""
        old = {c.clip_id: c for c in before.clips}
        for clip in manifest.clips:
            if clip.clip_id != skip and old.get(clip.clip_id) != clip:
                self.ctx.index.set_payload(clip.clip_id, clip_payload(clip, manifest))

    def _save_embeddings(self, recording_id: str, vectors: dict[str, list[float]], *, drop: str | None = None) -> None:
        """Keep the stored embeddings in step, so that ``vidlib reindex`` rebuilds the same index."""

        def change(stored: dict[str, list[float]]) -> dict[str, list[float]]:
            return {k: v for k, v in stored.items() if k != drop} | vectors

        self.ctx.repo.update_stage(recording_id, EMBED, change)


def _entry(
    who: Principal,
    clip_id: str,
    action: str,
    before: Clip,
    after: Clip,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        clip_id=clip_id,
        action=action,
        by=who.name,
        role=who.role,
        at=now_iso(),
        reason=reason,
        before=_audit_view(before),
        after=_audit_view(after),
        details=details or {},
    )
