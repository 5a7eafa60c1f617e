"""The curated model catalog (resources/model_catalog.toml): chat GGUFs and embedders."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import CatalogError

Kind = Literal["chat", "embedder"]
CATALOG_RESOURCE = "model_catalog.toml"


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    kind: Kind
    name: str
    repo_id: str
    filename: str | None  # None for an embedder: the whole repository snapshot
    size_bytes: int  # approximate (model card); downloads check what the hub reports
    quantization: str
    context_length: int
    licence: str
    ram_bytes: int
    vram_bytes: int
    n_layers: int
    description: str
    dim: int | None = None  # embedders: vector size
    languages: tuple[str, ...] = ()
    bundled: bool = False  # shipped with membank (nothing to download)
    parameters_b: float = 0.0  # chat models: billions of parameters (0: not given)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
    name: str = Field(min_length=1)
    repo_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
    filename: str | None = None
    size_bytes: int = Field(gt=0)
    quantization: str = ""
    context_length: int = Field(gt=0)
    licence: str = Field(min_length=1)
    ram_bytes: int = Field(gt=0)
    vram_bytes: int = Field(0, ge=0)
    n_layers: int = Field(gt=0)
    description: str = ""
    dim: int | None = Field(None, gt=0)
    languages: tuple[str, ...] = ()
    bundled: bool = False
    parameters_b: float = Field(0.0, ge=0.0)


class _Chat(_Row):
    filename: str = Field(pattern=r"(?i)^[^/\\]+\.gguf$")
    quantization: str = Field(min_length=1)
    vram_bytes: int = Field(gt=0)


class _Embedder(_Row):
    dim: int = Field(gt=0)

    @model_validator(mode="after")
    def _no_file(self) -> _Embedder:
        if self.filename is not None:
            raise ValueError("an embedder is a whole repository: leave `filename` out")
        return self


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chat: list[_Chat] = Field(min_length=1)
    embedder: list[_Embedder] = Field(min_length=1)


def default_catalog_text() -> str:
    return resources.files("resources").joinpath(CATALOG_RESOURCE).read_text(encoding="utf-8")


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """Every catalog entry, chat models first. Raises CatalogError naming what is wrong."""
    where = str(path) if path is not None else f"resources/{CATALOG_RESOURCE}"
    try:
        text = path.read_text(encoding="utf-8") if path is not None else default_catalog_text()
        raw: dict[str, Any] = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(
            f"The model catalog {where} cannot be read ({exc}). Reinstall membank, or fix the file."
        ) from exc
    try:
        catalog = _Catalog.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise CatalogError(f"The model catalog {where} is invalid: {problems}.") from exc
    entries = [_entry(row, "chat") for row in catalog.chat]
    entries += [_entry(row, "embedder") for row in catalog.embedder]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise CatalogError(f"The model catalog {where} lists the id {entry.id!r} twice.")
        seen.add(entry.id)
    return entries


def find_entry(entries: list[CatalogEntry], entry_id: str) -> CatalogEntry | None:
    return next((e for e in entries if e.id == entry_id), None)


def _entry(row: _Row, kind: Kind) -> CatalogEntry:
    return CatalogEntry(
        id=row.id,
        kind=kind,
        name=row.name,
        repo_id=row.repo_id,
        filename=row.filename,
        size_bytes=row.size_bytes,
        quantization=row.quantization,
        context_length=row.context_length,
        licence=row.licence,
        ram_bytes=row.ram_bytes,
        vram_bytes=row.vram_bytes,
        n_layers=row.n_layers,
        description=row.description,
        dim=row.dim,
        languages=row.languages,
        bundled=row.bundled,
        parameters_b=row.parameters_b,
    )
