"""The error tree of vidlib.

    VidlibError                    base: every error vidlib raises on purpose
    ├── ConsentError               a participant did not consent (or the record is unreadable)
    │   └── WithdrawnError         consent for the recording was withdrawn: it is purged, nothing more is written
    ├── MediaError                 the recording cannot be used (corrupt, silent, no audio, too long...)
    ├── ModelMissingError          a model directory is absent: run the install command it names
    ├── StorageError               the object store or the index failed
    ├── NotFoundError              an id that does not exist
    ├── BusyError                  another writer holds the recording (a processing run, a re-cut): try again
    └── StageError                 a processing stage failed for another reason

Each message says what a person can do about it. Library code raises them with
``raise ... from exc`` at the boundary where a third-party error is understood.
"""

from __future__ import annotations


class VidlibError(Exception):
    """Base class of every error vidlib raises on purpose."""


class ConsentError(VidlibError):
    """Processing is not allowed: missing, negative or unreadable consent."""


class WithdrawnError(ConsentError):
    """Consent for the recording was withdrawn: it is purged and nothing more may be written for it."""


class BusyError(VidlibError):
    """Another writer holds the recording's lock for longer than this change may wait."""


class MediaError(VidlibError):
    """The recording cannot be processed (corrupt, silent, no audio, too long, ...)."""


class ModelMissingError(VidlibError):
    """A model directory is missing; the message names the command that installs it."""


class StorageError(VidlibError):
    """The object store or the vector index failed."""


class NotFoundError(VidlibError):
    """The requested recording, clip or object does not exist."""


class StageError(VidlibError):
    """A processing stage failed for a reason that is not one of the above."""
