"""First run suggests a 1.5-4B chat model from the catalog when this computer fits one."""

from __future__ import annotations

from models.hub.catalog import load_catalog
from models.hub.hardware import HardwareInfo
from models.hub.suggest import suggest_chat_model

GB = 1_000_000_000


def machine(total: float, free: float) -> HardwareInfo:
    return HardwareInfo(int(total * GB), int(free * GB), gpu_offload=False, vram_bytes=None)


def test_the_largest_model_that_fits_comfortably_is_suggested() -> None:
    entries = load_catalog()
    roomy = suggest_chat_model(entries, machine(16, 8))
    assert roomy is not None and roomy.entry.id == "phi-3.5-mini-instruct"
    small = suggest_chat_model(entries, machine(4, 2.5))
    assert small is not None and small.entry.id == "qwen2.5-1.5b-instruct"
    assert small.text() == (
        "Qwen2.5 1.5B Instruct (1.5B parameters, 1.0 GB download): needs about 1.6 GB of RAM "
        "on the CPU; 2.5 GB is free"
    )


def test_nothing_is_suggested_when_no_small_model_fits_or_above_four_billion() -> None:
    entries = load_catalog()
    assert suggest_chat_model(entries, machine(2, 1)) is None
    assert all(
        1.5 <= e.parameters_b <= 4
        for e in entries
        if suggest_chat_model([e], machine(64, 60)) is not None
    )
