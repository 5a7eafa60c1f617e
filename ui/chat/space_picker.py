"""The memory space a new conversation starts in (personal, work, thesis…)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox, QWidget

from memory.errors import SpaceNameError
from memory.records import PERSONAL, check_space


class SpacePicker(QComboBox):
    """Editable: pick a space in use or type a new name. A new conversation recalls only that
    space's memories (and the shared ones), and what is said in it is remembered there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spacePicker")
        self.setEditable(True)
        self.setToolTip(
            "Memory space of new conversations: they recall only this space's memories and "
            "those shared by all spaces. Type a name to start a new space."
        )
        self.offer([PERSONAL])

    def offer(self, spaces: Iterable[str]) -> None:
        have = {self.itemText(i) for i in range(self.count())}
        for space in sorted(set(spaces) - have):
            self.addItem(space)

    def space(self) -> str:
        """The chosen space; a name that cannot be one falls back to personal."""
        try:
            return check_space(self.currentText() or PERSONAL)
        except SpaceNameError:
            self.setCurrentText(PERSONAL)
            return PERSONAL
