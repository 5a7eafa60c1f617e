"""Configuration: one TOML file, validated; --data-dir / MEMBANK_HOME say where everything lives."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from models.embedder_backend import Backend
from models.errors import MembankError
from models.private_files import open_private, private_dir

APP_NAME = "membank"


class ConfigError(MembankError):
    title = "Settings could not be read"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMConfig(_Section):
    model_path: str = ""  # empty: the bundled SmolLM2-135M-Instruct GGUF
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(0, ge=0)  # 0: let llama.cpp decide
    n_gpu_layers: int = -1  # -1: offload every layer the build can; 0: CPU only
    max_tokens: int = Field(256, ge=16)
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    # "openai": chat through an OpenAI-compatible server (README: Remote engines).
    engine: Literal["local", "openai"] = "local"
    base_url: str = ""  # e.g. http://127.0.0.1:8080/v1 (llama-server), :11434/v1 (Ollama)
    api_model: str = ""  # the model name sent; empty: the first the server lists
    api_key: str = ""  # optional; the MEMBANK_LLM_API_KEY environment variable wins
    timeout_s: float = Field(120.0, gt=0.0)
    # The reply prompt: "auto" picks "compact" for a small local model (under 500 MB, like the
    # bundled 135M) and "full" otherwise; see docs/benchmarks.md (bench answers) for why.
    prompt_style: Literal["auto", "full", "compact", "plain", "extractive"] = "auto"


class EmbedderConfig(_Section):
    model_path: str = ""  # empty: the bundled all-MiniLM-L6-v2
    # What computes the vectors: sentence-transformers on torch, or ONNX Runtime on an export
    # made once on this machine (fp32: torch's vectors; int8: ~2x faster, README: Configuration).
    # A change re-embeds every memory into a new index at the next start.
    backend: Backend = "onnx-int8"


class MemoryConfig(_Section):
    recall_k: int = Field(6, ge=1, le=50)
    min_similarity: float = Field(0.35, ge=-1.0, le=1.0)
    # The forgetting curve (README "Memory that lasts"): every initial stability in days is
    # scaled by initial_strength; recall_boost is the spacing-effect gain of a recall.
    initial_strength: float = Field(1.0, gt=0.0)
    recall_boost: float = Field(0.5, ge=0.0)
    fade_threshold: float = Field(0.05, ge=0.0, lt=1.0)
    retention_weight: float = Field(0.1, ge=0.0, le=1.0)
    history_turns: int = Field(12, ge=0)
    # The memory graph's ranking in recall (README "People & things"), seeded by the people and
    # things the question names: 0 leaves it out. At 0.2 a question by any of a person's names
    # recalls what was said under the others, and LoCoMo's R@10 holds (docs/benchmarks.md).
    graph_weight: float = Field(0.2, ge=0.0, le=5.0)


class IndexConfig(_Section):
    # A Chroma server (`chroma run`) instead of the index folder in the data dir; empty: local.
    server_url: str = ""
    # The server-side namespace of this data dir's vectors; empty: a random id kept in the
    # data dir (index-namespace.txt). Give two devices with the same store the same one.
    namespace: str = ""


Theme = Literal["system", "light", "dark"]


class UIConfig(_Section):
    close_to_tray: bool = True  # closing the window keeps membank running in the tray
    theme: Theme = "system"  # follow the desktop's light/dark setting, or choose one


class SchedulerConfig(_Section):
    enabled: bool = True
    idle_minutes: int = Field(30, ge=1)  # a chat quiet this long is consolidated
    daily_at: str = Field("03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # HH:MM, local time
    reflection: bool = True  # the daily run also reflects (insights, contradictions)
    # Where facts come from, beside the slot facts read from the user's own statements: "words"
    # (each statement in the third person, no model), "model" (the chat model's list),
    # "grammar" (the same under a GBNF grammar) or "none" (`bench consolidation
    # --compare-facts` measures them; docs/benchmarks.md).
    facts: Literal["words", "model", "grammar", "none"] = "words"
    # Who writes the session, daily and global summaries: "auto" (your own words under a small
    # local model, under 500 MB like the bundled one; the model otherwise), "words" or "model".
    summaries: Literal["auto", "words", "model"] = "auto"


class BackupConfig(_Section):
    enabled: bool = True  # a rolling archive in <data_dir>/backups/ with the daily job
    keep: int = Field(7, ge=1)


Permission = Literal["read", "remember", "full"]


class McpClientConfig(_Section):
    """What one app connected over MCP may do (README: Use your memory in other apps)."""

    permission: Permission = "read"
    # The memory space the app reads and writes (its own and the shared memories only).
    space: str = Field("personal", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")

    @field_validator("space", mode="before")
    @classmethod
    def _space_in_words(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", value):
            raise ValueError(
                "a space is up to 32 lower-case letters, digits, '-' or '_' (e.g. work)"
            )
        return value


class BrokenClient(_Section):
    """An [mcp.clients.NAME] entry that is not valid: kept aside (and written back as it was),
    so one app's typo refuses that app, with the reason, and no other."""

    problem: str  # what is wrong, in one line
    raw: Any  # the entry as written


class McpConfig(_Section):
    # Apps not listed under [mcp.clients.<name>] get this.
    default_permission: Permission = "read"
    # `membank-mcp --http` listens on 127.0.0.1 at this port; there is no host setting on
    # purpose: the server never binds anything but loopback.
    http_port: int = Field(8765, ge=1024, le=65535)
    clients: dict[str, McpClientConfig] = Field(default_factory=dict)
    broken: dict[str, BrokenClient] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _set_aside_broken_clients(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("clients"), dict):
            return data
        good: dict[str, Any] = {}
        broken: dict[str, BrokenClient] = {}
        for name, raw in data["clients"].items():
            if isinstance(raw, McpClientConfig):
                good[name] = raw
                continue
            try:
                good[name] = McpClientConfig.model_validate(raw)
            except ValidationError as exc:
                broken[str(name)] = BrokenClient(problem=_problems(exc), raw=raw)
        return {**data, "clients": good, "broken": broken}


class Config(_Section):
    data_dir: str = ""  # empty: the platform's user data folder
    llm: LLMConfig = LLMConfig()
    embedder: EmbedderConfig = EmbedderConfig()
    memory: MemoryConfig = MemoryConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    ui: UIConfig = UIConfig()
    index: IndexConfig = IndexConfig()
    backup: BackupConfig = BackupConfig()
    mcp: McpConfig = McpConfig()


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    config_file: Path
    log_dir: Path

    @property
    def backups(self) -> Path:
        return backups_folder(self.data_dir)

    @property
    def database(self) -> Path:
        return self.data_dir / "membank.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "membank.lock"


def backups_folder(data_dir: Path) -> Path:
    """The one place the backups folder is named: the rolling backups, and the safety archive a
    replacing import writes first (for code that holds a store rather than a `Paths`)."""
    return data_dir / "backups"


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """Where derived files live (the embedder's ONNX export, `onnx/`): MEMBANK_CACHE, else the
    platform's user cache folder. Shared by every data dir: it depends on the model only."""
    env = dict(os.environ) if env is None else env
    chosen = env.get("MEMBANK_CACHE")
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(platformdirs.user_cache_dir(APP_NAME))


def resolve_paths(data_dir: str | None = None, env: dict[str, str] | None = None) -> Paths:
    """--data-dir beats MEMBANK_HOME beats the platform folders.

    With a data dir given, everything (config, logs) lives inside it: portable and test-friendly.
    """
    env = dict(os.environ) if env is None else env
    chosen = data_dir or env.get("MEMBANK_HOME")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return Paths(root, root / "config.toml", root / "logs")
    config_file = Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    data = Path(platformdirs.user_data_dir(APP_NAME))
    configured = load_config(config_file).data_dir
    if configured:
        data = Path(configured).expanduser().resolve()
    return Paths(data, config_file, Path(platformdirs.user_log_dir(APP_NAME)))


def load_config(path: Path) -> Config:
    """The config in `path`, or the defaults when there is no such file."""
    if not path.exists():
        return Config()
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"The settings file {path} cannot be read: {exc}. Fix or delete it."
        ) from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"The settings file {path} has invalid values: {_problems(exc)}."
        ) from exc


def _problems(exc: ValidationError) -> str:
    """Each error as `where: what (got value)`, in one line."""
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "the entry"
        value = e.get("input")
        shown = (
            isinstance(value, str | int | float) and "key" not in where and e["type"] != "missing"
        )
        got = f" (got {value!r})" if shown and len(repr(value)) <= 60 else ""
        out.append(f"{where}: {e['msg'].removeprefix('Value error, ')}{got}")
    return "; ".join(out)


def save_config(path: Path, config: Config) -> None:
    """Write `config` to `path` atomically (temp file + rename): old or new, never half.

    Only values that differ from the defaults are written, so the file stays short and readable
    and new defaults reach users who never changed a setting.
    """
    data = config.model_dump(exclude_defaults=True)
    if config.mcp.broken:  # an app's entry that is not valid stays as the user wrote it
        clients = data.setdefault("mcp", {}).setdefault("clients", {})
        for name, entry in config.mcp.broken.items():
            clients.setdefault(name, entry.raw)
    text = "# membank settings (written by the app; edit freely, see README: Configuration)\n"
    text += tomli_w.dumps(data)
    tmp = path.with_name(path.name + ".tmp")
    try:
        private_dir(path.parent)
        with open_private(tmp, "w") as fh:  # 0600: it may hold the API key
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp.is_file():
            tmp.unlink()
        raise ConfigError(
            f"The settings could not be saved to {path}: {exc.strerror or exc}. "
            "Free some disk space or check the folder's permissions, then try again."
        ) from exc
