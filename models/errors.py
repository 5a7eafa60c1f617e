"""Error types raised by the model adapters; every message says what happened and what to do."""

from __future__ import annotations


class MembankError(Exception):
    """Base of every error membank reports to the user."""

    title = "membank error"


class ModelLoadError(MembankError):
    """A chat or embedding model could not be found or loaded."""

    title = "Model could not be loaded"

    def __init__(self, path: str, reason: str, hint: str = "") -> None:
        self.path = path
        self.reason = reason
        hint = hint or (
            "Pick another model file in the settings (or set [llm] model_path in config.toml), "
            "or remove the setting to use the bundled default model."
        )
        super().__init__(f"Could not load the model at {path}: {reason}. {hint}")


class ModelOutputError(MembankError):
    """The model answered, but not in the shape that was asked for (e.g. invalid JSON)."""

    title = "Unexpected model output"

    def __init__(self, message: str, raw: str = "") -> None:
        self.raw = raw
        super().__init__(message)


class CatalogError(MembankError):
    """The model catalog file is missing or malformed (a packaging bug, or a hand edit)."""

    title = "Model catalog is damaged"


class DownloadError(MembankError):
    """A model download could not start or did not complete; nothing half-done is kept as a
    model (a partial file stays only to resume the same download)."""

    title = "Download failed"


class DownloadCancelled(DownloadError):
    """The user cancelled a download; the partial file is kept so a retry resumes it."""

    title = "Download cancelled"
