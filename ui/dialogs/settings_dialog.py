"""Settings: chat model, memory and forgetting curve, schedule, data folder and window behaviour.

Apply saves the settings TOML and applies them on the chat worker's thread: a changed chat model
is reloaded first (with progress); if it cannot load, the old one keeps answering, nothing is
saved, and the dialog says why. What only takes effect at the next start is said so."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.config import Config, EmbedderConfig, LLMConfig, MemoryConfig, Paths, SchedulerConfig
from app.engine.host import ModelHost
from app.engine.settings_apply import Applied, SettingsEdit
from ui.errors import show_error

THEMES = (("Follow the system", "system"), ("Light", "light"), ("Dark", "dark"))


def _spin(low: int, high: int, value: int, special: str | None = None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)  # shown for the minimum
    return box


def _dspin(low: float, high: float, value: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class PathField(QWidget):
    """A path line edit with Browse… and Default buttons (empty means the bundled default)."""

    def __init__(self, value: str, placeholder: str, pick_folder: bool, title: str) -> None:
        super().__init__()
        self.edit = QLineEdit(value)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        default = QPushButton("Default")
        default.setToolTip(placeholder)
        default.clicked.connect(self.edit.clear)
        self._folder, self._title = pick_folder, title
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)
        row.addWidget(default)

    def _browse(self) -> None:
        if self._folder:
            chosen = QFileDialog.getExistingDirectory(self, self._title, self.edit.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, self._title, self.edit.text(), "GGUF models (*.gguf);;All files (*)"
            )
        if chosen:
            self.edit.setText(chosen)

    def value(self) -> str:
        return self.edit.text().strip()


class SettingsDialog(QDialog):
    apply_requested = Signal(object)  # SettingsEdit, to the chat worker
    finished_applying = Signal(object)  # Applied, once shown
    apply_failed = Signal(str)  # the message shown

    def __init__(
        self, host: ModelHost, paths: Paths, gpu_offload: bool, parent: QWidget | None = None
    ) -> None:
        """`host` holds the settings in effect; `paths` are this run's folders."""
        super().__init__(parent)
        self.host = host
        self.paths = paths
        self.setWindowTitle("Settings")
        self.resize(640, 520)
        self._close_after = False
        c = host.config
        tabs = QTabWidget()
        tabs.addTab(self._chat_tab(c.llm, gpu_offload), "Chat model")
        tabs.addTab(self._memory_tab(c.embedder, c.memory), "Memory")
        tabs.addTab(self._schedule_tab(c.scheduler), "Schedule")
        tabs.addTab(self._general_tab(c), "General")
        self.tabs = tabs
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: llama.cpp reports no load progress
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.ok_button.clicked.connect(lambda: self.apply(close=True))
        self.apply_button.clicked.connect(lambda: self.apply(close=False))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)

    # --- tabs ------------------------------------------------------------------------------

    def _chat_tab(self, llm: LLMConfig, gpu_offload: bool) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.model_path = PathField(
            llm.model_path, "the bundled SmolLM2-135M-Instruct", False, "Choose a GGUF chat model"
        )
        self.n_ctx = _spin(512, 131072, llm.n_ctx)
        self.n_ctx.setSingleStep(512)
        self.n_threads = _spin(0, 256, llm.n_threads, "automatic")
        self.n_gpu_layers = _spin(-1, 999, llm.n_gpu_layers, "all layers")
        self.max_tokens = _spin(16, 8192, llm.max_tokens)
        self.temperature = _dspin(0.0, 2.0, llm.temperature, 0.05)
        offload = (
            "This llama-cpp-python build can offload layers to a GPU."
            if gpu_offload
            else "This llama-cpp-python build is CPU-only: GPU layers are ignored "
            "(see README: GPU builds)."
        )
        self.offload_label = QLabel(offload)
        self.offload_label.setWordWrap(True)
        form.addRow("Model file (GGUF):", self.model_path)
        form.addRow("Context size (tokens):", self.n_ctx)
        form.addRow("CPU threads:", self.n_threads)
        form.addRow("GPU layers:", self.n_gpu_layers)
        form.addRow("", self.offload_label)
        form.addRow("Longest reply (tokens):", self.max_tokens)
        form.addRow("Temperature:", self.temperature)
        return page

    def _memory_tab(self, embedder: EmbedderConfig, memory: MemoryConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.embedder_path = PathField(
            embedder.model_path,
            "the bundled all-MiniLM-L6-v2",
            True,
            "Choose a sentence-transformers model folder",
        )
        self.recall_k = _spin(1, 50, memory.recall_k)
        self.min_similarity = _dspin(-1.0, 1.0, memory.min_similarity, 0.05)
        self.initial_strength = _dspin(0.1, 100.0, memory.initial_strength, 0.5, 1)
        self.recall_boost = _dspin(0.0, 100.0, memory.recall_boost, 0.5, 1)
        self.fade_threshold = _dspin(0.0, 0.99, memory.fade_threshold, 0.01)
        self.retention_weight = _dspin(0.0, 1.0, memory.retention_weight, 0.05)
        self.history_turns = _spin(0, 200, memory.history_turns)
        curve = QLabel(
            "Memories fade on the forgetting curve R = exp(−t/S): t is days since the memory "
            "was last recalled, S its stability in days (a note starts at 365, a fact at 180, "
            "small talk at 1; the scale multiplies them all). A recall after a long gap grows S "
            "most (the spacing effect). Below the fade threshold a memory leaves ordinary recall "
            "once a summary or fact holds it; a strong cue still brings it back."
        )
        curve.setWordWrap(True)
        form.addRow("Embedding model folder:", self.embedder_path)
        form.addRow("Memories per answer:", self.recall_k)
        form.addRow("Minimum similarity:", self.min_similarity)
        form.addRow(curve)
        form.addRow("Initial strength scale:", self.initial_strength)
        form.addRow("Recall gain (spacing effect):", self.recall_boost)
        form.addRow("Fade threshold (R):", self.fade_threshold)
        form.addRow("Retention weight in ranking:", self.retention_weight)
        form.addRow("Chat turns kept in the prompt:", self.history_turns)
        return page

    def _schedule_tab(self, scheduler: SchedulerConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.scheduler_enabled = QCheckBox("Consolidate and reflect in the background")
        self.scheduler_enabled.setChecked(scheduler.enabled)
        self.idle_minutes = _spin(1, 24 * 60, scheduler.idle_minutes)
        self.idle_minutes.setSuffix(" min")
        self.daily_at = QTimeEdit(QTime.fromString(scheduler.daily_at, "HH:mm"))
        self.daily_at.setDisplayFormat("HH:mm")
        self.reflection = QCheckBox("Reflect in the daily run (insights, contradictions)")
        self.reflection.setChecked(scheduler.reflection)
        form.addRow(self.scheduler_enabled)
        form.addRow("Summarise a chat after it is quiet for:", self.idle_minutes)
        form.addRow("Daily summaries and persona at:", self.daily_at)
        form.addRow(self.reflection)
        return page

    def _general_tab(self, config: Config) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        paths = self.paths
        self.data_dir = PathField(
            config.data_dir, str(paths.data_dir), True, "Choose the folder membank keeps data in"
        )
        portable = paths.config_file.parent == paths.data_dir
        if portable:  # --data-dir or MEMBANK_HOME chose the folder; the setting does not apply
            self.data_dir.setEnabled(False)
            self.data_dir.setToolTip("Set by --data-dir or MEMBANK_HOME for this run.")
        note = QLabel(
            f"Now: {paths.data_dir}. A new folder is used from the next start; move the old "
            "one's contents there (or export and import) to keep your memories."
        )
        note.setWordWrap(True)
        self.close_to_tray = QCheckBox("Closing the window keeps membank running in the tray")
        self.close_to_tray.setChecked(config.ui.close_to_tray)
        self.theme = QComboBox()
        self.theme.setObjectName("themeChoice")
        for label, value in THEMES:
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex([v for _, v in THEMES].index(config.ui.theme))
        form.addRow("Data folder:", self.data_dir)
        form.addRow(note)
        form.addRow(self.close_to_tray)
        form.addRow("Appearance:", self.theme)
        return page

    # --- applying --------------------------------------------------------------------------

    def chosen_config(self) -> Config:
        """The settings as the widgets show them, over the current ones (so settings this
        dialog does not show are kept); raises ValidationError for a bad value."""
        c = self.host.config
        values = c.model_dump()
        values["data_dir"] = self.data_dir.value()
        values["llm"].update(
            model_path=self.model_path.value(),
            n_ctx=self.n_ctx.value(),
            n_threads=self.n_threads.value(),
            n_gpu_layers=self.n_gpu_layers.value(),
            max_tokens=self.max_tokens.value(),
            temperature=round(self.temperature.value(), 2),
        )
        values["embedder"].update(model_path=self.embedder_path.value())
        values["memory"].update(
            recall_k=self.recall_k.value(),
            min_similarity=round(self.min_similarity.value(), 2),
            initial_strength=round(self.initial_strength.value(), 1),
            recall_boost=round(self.recall_boost.value(), 1),
            fade_threshold=round(self.fade_threshold.value(), 2),
            retention_weight=round(self.retention_weight.value(), 2),
            history_turns=self.history_turns.value(),
        )
        values["scheduler"].update(
            enabled=self.scheduler_enabled.isChecked(),
            idle_minutes=self.idle_minutes.value(),
            daily_at=self.daily_at.time().toString("HH:mm"),
            reflection=self.reflection.isChecked(),
        )
        values["ui"].update(
            close_to_tray=self.close_to_tray.isChecked(), theme=self.theme.currentData()
        )
        return Config.model_validate(values)

    def apply(self, close: bool) -> None:
        try:
            config = self.chosen_config()
        except ValidationError as exc:
            show_error(self, ("Settings not valid", str(exc)))
            return
        if config == self.host.config:
            if close:
                self.accept()
            return
        self._close_after = close
        self._busy(True)
        # Only what this form changed travels: applied over the settings in effect when it
        # lands, so an app permission set meanwhile is kept.
        edit = SettingsEdit.between(self.host.config, config)
        self.message.setText("Loading the chat model…" if "llm" in edit.sections else "Applying…")
        self.apply_requested.emit(edit)

    def on_applied(self, applied: Applied) -> None:
        self._busy(False)
        parts = []
        if applied.now:
            parts.append("Applied: " + "; ".join(applied.now) + ".")
        if applied.at_next_start:
            parts.append("At the next start: " + "; ".join(applied.at_next_start) + ".")
        self.message.setText(" ".join(parts) or "Saved.")
        self.finished_applying.emit(applied)
        if self._close_after and not applied.at_next_start:
            self.accept()

    def on_failed(self, title: str, message: str) -> None:
        self._busy(False)
        text = f"{message}\n\nNothing was changed: the previous model is still in use."
        self.message.setText(f"{title}. Nothing was changed.")
        show_error(self, (title, text))
        self.apply_failed.emit(text)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.tabs.setEnabled(not busy)
        self.ok_button.setEnabled(not busy)
        self.apply_button.setEnabled(not busy)
