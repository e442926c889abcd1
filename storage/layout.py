"""Object-store key layout: everything of one recording lives under ``recordings/<id>/``."""

from __future__ import annotations


def recording_prefix(recording_id: str) -> str:
    return f"recordings/{recording_id}/"


def manifest_key(recording_id: str) -> str:
    return f"recordings/{recording_id}/manifest.json"


def audit_key(recording_id: str) -> str:
    return f"recordings/{recording_id}/audit.json"


def recordings_root() -> str:
    return "recordings/"


def original_key(recording_id: str, suffix: str) -> str:
    return f"recordings/{recording_id}/original{suffix.lower()}"


def audio_key(recording_id: str) -> str:
    return f"recordings/{recording_id}/audio.wav"


def stage_key(recording_id: str, stage: str) -> str:
    return f"recordings/{recording_id}/stages/{stage}.json"


def clip_video_key(recording_id: str, clip_id: str, suffix: str = ".mp4") -> str:
    return f"recordings/{recording_id}/clips/{clip_id}{suffix}"


def clip_subtitles_key(recording_id: str, clip_id: str) -> str:
    return f"recordings/{recording_id}/clips/{clip_id}.vtt"


def clip_thumbnail_key(recording_id: str, clip_id: str) -> str:
    return f"recordings/{recording_id}/clips/{clip_id}.jpg"


def quarantine_key(name: str) -> str:
    return f"quarantine/{name}.json"


def tombstone_key(recording_id: str) -> str:
    """What remains of a withdrawn recording: id, date, who asked; no personal data."""
    return f"tombstones/{recording_id}.json"


def reactions_key(token_id: str) -> str:
    """A student's reactions to clips, kept under an id derived from their token only (no name)."""
    return f"students/{token_id}/reactions.json"
