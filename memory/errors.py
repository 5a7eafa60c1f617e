"""Error types of the memory layer."""

from __future__ import annotations

from models.errors import MembankError


class DataDirError(MembankError):
    """The data directory cannot be created, read or written."""

    title = "Data folder unavailable"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            f"membank cannot use its data folder {path}: {reason}. "
            "Choose a writable folder with --data-dir or MEMBANK_HOME, or fix its permissions."
        )


class StoreCorruptError(MembankError):
    """The SQLite store is damaged or from an unknown (newer) version."""

    title = "Memory store damaged"


class VectorIndexError(MembankError):
    """The vector index (Chroma) failed; it can always be rebuilt from the store."""

    title = "Memory index failed"


class NotFoundError(MembankError):
    """A conversation, message or memory id that does not exist."""

    title = "Not found"


class JobStopped(MembankError):
    """A background job stopped between two steps because membank is quitting. What it
    committed stays; the next run carries on with what is left."""

    title = "Background job stopped"

    def __init__(self) -> None:
        super().__init__("stopped as membank quit; the next run carries on from here")


class StepFailed(MembankError):
    """A consolidation step got unusable model output; its input is kept and the job moves on."""

    title = "Consolidation step skipped"

    def __init__(self, step: str, reason: str, raw: str = "") -> None:
        self.step = step
        self.raw = raw
        super().__init__(f"{step}: {reason}")


class ArchiveError(MembankError):
    """An archive could not be written, or was refused on import (nothing was changed)."""

    title = "Archive problem"


class ArchiveEncryptedError(ArchiveError):
    """The archive is encrypted and no passphrase was given: ask for one and try again."""

    title = "Encrypted archive"


class StorageFullError(DataDirError):
    """A write failed because the disk is full; the transaction was rolled back."""

    title = "Disk full"

    def __init__(self, path: str, reason: str = "the disk is full") -> None:
        self.path = path
        MembankError.__init__(
            self,
            f"membank could not save to {path}: {reason}. This change was not saved; everything "
            "saved before is intact. Free some disk space and try again.",
        )


class SpaceNameError(MembankError):
    """A memory space name membank cannot use."""

    title = "Invalid space name"


class EntityError(MembankError):
    """A person, place or thing that is not known, or a change to one that makes no sense
    (merging it onto itself, a name another entity has). Nothing was changed."""

    title = "People & things"
