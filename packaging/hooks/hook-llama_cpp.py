# llama-cpp-python loads libllama/libggml*.so with ctypes from llama_cpp/lib at run time:
# PyInstaller cannot see them, so collect them at the same relative place.
#
# MEMBANK_LLAMA_LIB_DIR (set by `make package`) points at the llama_cpp/lib folder of a portable
# wheel built with -DGGML_NATIVE=OFF (packaging/portable_llama.sh); the venv's own build uses
# -march=native and may not run on other CPUs. The Python side of llama_cpp must be that version.
import os
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

_portable = os.environ.get("MEMBANK_LLAMA_LIB_DIR")
if _portable:
    _libs = sorted(
        p
        for p in Path(_portable).iterdir()
        if ".so" in p.name or p.suffix == ".dylib" or p.suffix == ".dll"
    )
    if not _libs:
        raise SystemExit(f"MEMBANK_LLAMA_LIB_DIR={_portable} holds no shared libraries")
    binaries = [(str(p), "llama_cpp/lib") for p in _libs]
else:
    binaries = collect_dynamic_libs("llama_cpp")
datas = collect_data_files("llama_cpp", excludes=["server/**", "lib/**"])
# The OpenAI-compatible server (fastapi, uvicorn) is not used by membank.
excludedimports = ["llama_cpp.server"]
