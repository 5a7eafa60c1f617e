"""The one place that turns errors into dialogs; plus a crash hook that logs and tells the user."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from app.privacy.secrets import redact
from models.errors import MembankError

log = logging.getLogger(__name__)
_UNOWNED: set[QMessageBox] = set()  # open dialogs without a parent (the crash dialog)


def confirm_forget(parent: QWidget, count: int) -> bool:
    """Ask before forgetting `count` memories for good (the one wording, everywhere)."""
    answer = QMessageBox.question(
        parent,
        "Forget",
        f"Forget {count} memories for good, with the summaries and facts made from them? "
        "This cannot be undone.",
    )
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget | None, error: BaseException | tuple[str, str]) -> None:
    if isinstance(error, tuple):
        title, message = error
    elif isinstance(error, MembankError):
        title, message = error.title, str(error)
    else:
        title, message = "Something went wrong", f"{type(error).__name__}: {error}"
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorDialog")
    if parent is None:  # nothing owns it: without a reference Python would delete it unseen
        _UNOWNED.add(box)
        box.finished.connect(lambda _: _UNOWNED.discard(box))
    box.open()


def show_notices(parent: QWidget | None, notices: Sequence[str]) -> QMessageBox | None:
    """What start-up healed or changed, once (e.g. the data folder was made private)."""
    if not notices:
        return None
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "membank",
        "\n\n".join(notices),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("noticeDialog")
    box.open()
    return box


def install_excepthook(secrets: Sequence[str] = ()) -> None:
    """Unexpected exceptions in slots are logged and shown instead of silently lost; the API
    key and the store passphrase are masked in both (issue 17)."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.critical("unhandled error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        detail = redact(f"{kind.__name__}: {value}", secrets)
        show_error(
            None,
            (
                "membank hit an unexpected error",
                f"{detail}\n\nYour memories are safe. Details are in the log file.",
            ),
        )

    sys.excepthook = hook
