"""What this machine can run: RAM, GPU offload, VRAM; and whether a catalog model fits."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

import psutil

from models.hub.catalog import CatalogEntry

log = logging.getLogger(__name__)
Fit = Literal["fits", "tight", "too_big"]
GB = 1_000_000_000


@dataclass(frozen=True)
class HardwareInfo:
    ram_total: int
    ram_available: int
    gpu_offload: bool  # this llama-cpp-python build can offload layers to a GPU
    vram_bytes: int | None  # total VRAM of the first NVIDIA GPU, None when unknown


@dataclass(frozen=True)
class FitAdvice:
    fit: Fit
    reason: str
    gpu_layers: int  # suggested n_gpu_layers (0: CPU only)


def detect_hardware() -> HardwareInfo:
    total, available = system_ram()
    return HardwareInfo(total, available, _gpu_offload(), _nvidia_vram())


def system_ram() -> tuple[int, int]:
    """(total, available) bytes of RAM; available counts what the OS can free (page cache)."""
    memory = psutil.virtual_memory()
    return int(memory.total), int(memory.available)


def _gpu_offload() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001 - no llama.cpp: no offload
        return False


def _nvidia_vram() -> int | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        return int(out.split()[0]) * 1024 * 1024  # MiB
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        log.info("nvidia-smi gave no VRAM figure: %s", exc)
        return None


def assess(entry: CatalogEntry, hw: HardwareInfo) -> FitAdvice:
    """Whether `entry` should run here, why, and how many layers to offload to the GPU."""
    need_ram = entry.ram_bytes
    layers = 0
    where = "on the CPU"
    if hw.gpu_offload and hw.vram_bytes and entry.vram_bytes and entry.kind == "chat":
        usable = int(hw.vram_bytes * 0.9)  # the desktop and driver keep some
        if usable >= entry.vram_bytes:
            return FitAdvice(
                "fits",
                f"all {entry.n_layers} layers fit in the GPU's {_gb(hw.vram_bytes)} "
                f"(needs {_gb(entry.vram_bytes)})",
                entry.n_layers,
            )
        layers = max(0, entry.n_layers * usable // entry.vram_bytes)
        need_ram = int(need_ram * (1 - layers / entry.n_layers)) + GB // 2
        where = f"with {layers} of {entry.n_layers} layers on the GPU"
    elif hw.gpu_offload and hw.vram_bytes is None and entry.kind == "chat":
        # A GPU build but unknown VRAM (not NVIDIA, or no nvidia-smi): offload all, llama.cpp
        # falls back to the CPU for what does not fit.
        layers = entry.n_layers
        where = "on the GPU (VRAM unknown)"
    if need_ram <= hw.ram_available * 0.8:
        return FitAdvice(
            "fits",
            f"needs about {_gb(need_ram)} of RAM {where}; {_gb(hw.ram_available)} is free",
            layers,
        )
    if need_ram <= hw.ram_total * 0.9:
        return FitAdvice(
            "tight",
            f"needs about {_gb(need_ram)} of RAM {where}, only {_gb(hw.ram_available)} is free "
            f"of {_gb(hw.ram_total)}: close other programs, expect slow replies",
            layers,
        )
    return FitAdvice(
        "too_big",
        f"needs about {_gb(need_ram)} of RAM {where}, more than this machine's "
        f"{_gb(hw.ram_total)}: pick a smaller model",
        layers,
    )


def _gb(value: int) -> str:
    return f"{value / GB:.1f} GB"
