#!/usr/bin/env bash
# Build (once, cached in build/wheels) a llama-cpp-python wheel of the SAME version as the venv's,
# compiled for other CPUs, and unpack its shared libraries for the PyInstaller hook.
# Prints the folder holding the .so files (give it to PyInstaller as MEMBANK_LLAMA_LIB_DIR).
#
# Why: the venv's llama-cpp-python is built with -march=native (AVX-512 on the reference machine)
# and dies with SIGILL on CPUs without those instructions. With -DGGML_NATIVE=OFF llama.cpp's
# CMake (vendor/llama.cpp/ggml/CMakeLists.txt, this version) turns on SSE4.2, AVX, AVX2, BMI2, FMA
# and F16C (x86-64-v3, Intel Haswell 2013+/AMD Zen+) and nothing newer. LLAVA_BUILD=OFF drops the
# multimodal library membank does not use (saves build time and 1.7 MB).
# Fully portable alternative (pre-AVX2 CPUs too): see packaging/README.md (GGML_CPU_ALL_VARIANTS).
set -euo pipefail
PY=${PY:-.venv/bin/python}
CMAKE_ARGS=${LLAMA_CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"}
version=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
tag=$(printf '%s' "$CMAKE_ARGS" | sha256sum | cut -c1-8)
wheels=build/wheels/llama-$version-$tag
out=build/llama-portable/$version-$tag
if [ ! -d "$out/llama_cpp/lib" ]; then
    if ! ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
        mkdir -p "$wheels"
        echo "compiling llama-cpp-python $version with CMAKE_ARGS=$CMAKE_ARGS (15-25 min)" >&2
        # --no-cache-dir: pip's wheel cache holds the -march=native build of the same version.
        CMAKE_ARGS="$CMAKE_ARGS" "$PY" -m pip wheel --quiet --no-deps --no-cache-dir \
            -w "$wheels" "llama-cpp-python==$version" >&2
    fi
    rm -rf "$out" && mkdir -p "$out"
    "$PY" -m zipfile -e "$wheels"/llama_cpp_python-"$version"-*.whl "$out"
fi
echo "$PWD/$out/llama_cpp/lib"
