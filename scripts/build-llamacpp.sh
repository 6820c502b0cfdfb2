#!/usr/bin/env bash
# Builds the llama.cpp binding (llama-cpp-python, locked in requirements/llamacpp.txt) into
# ./.venv for the writer's fast engine. PyPI has only its source, so it is compiled here: cmake
# and a C++ compiler, about 5 minutes on 2 cores.
#
# The CPU kernels are chosen from this machine's flags but named one by one (GGML_NATIVE=OFF),
# so the build also runs on other CPUs with the same features, and AMX is never used: on some
# machines that advertise AMX, executing it faults ("Illegal instruction") where AVX-512 runs.
# The wheel cache is bypassed: it ignores CMAKE_ARGS, and a wheel built for another CPU faults.
# A failed build is not an error: the app writes with the transformers engine and says so.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install: %s\n' "$*" >&2; }

if .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    installed=$(.venv/bin/python -c "import llama_cpp; print(llama_cpp.__version__)")
    wanted=$(grep -oP '^llama-cpp-python==\K\S+' requirements/llamacpp.txt)
    if [[ "$installed" == "$wanted" ]]; then
        say "llama.cpp engine $installed is already built"
        exit 0
    fi
fi

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
cmake_args=(-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
cmake_args+=(-DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
has avx && cmake_args+=(-DGGML_AVX=ON)
has avx2 && cmake_args+=(-DGGML_AVX2=ON)
has fma && cmake_args+=(-DGGML_FMA=ON)
has f16c && cmake_args+=(-DGGML_F16C=ON)
if has avx512f && has avx512bw && has avx512vl; then
    cmake_args+=(-DGGML_AVX512=ON)
    has avx512_vnni && cmake_args+=(-DGGML_AVX512_VNNI=ON)
    has avx512_bf16 && cmake_args+=(-DGGML_AVX512_BF16=ON)
fi
if ! command -v cmake >/dev/null || ! command -v c++ >/dev/null; then
    say "the llama.cpp engine needs cmake and a C++ compiler (apt install cmake g++); the app"
    say "writes with the slower transformers engine until then"
    exit 0
fi
say "building the llama.cpp engine for this CPU (about 5 minutes): ${cmake_args[*]}"
began=$SECONDS
if CMAKE_ARGS="${cmake_args[*]}" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --require-hashes --no-deps -r requirements/llamacpp.txt >&2; then
    say "llama.cpp engine built in $((SECONDS - began)) s"
else
    say "the llama.cpp engine could not be built (see above); the app writes with the slower"
    say "transformers engine"
fi
exit 0
