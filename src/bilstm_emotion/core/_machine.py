"""The machine a number was measured on: processor, instruction sets, cores, Python.

One reader of Linux's ``/proc/cpuinfo`` for the package (whether bfloat16 pays in
``predict_dtype="auto"``) and for every measurement it records
(:func:`bilstm_emotion.evaluation.environment`, the benchmark scripts' JSON).
"""

import os
import platform
from pathlib import Path

__all__ = ["SPEED_FLAGS", "cpu_flags", "cpu_model", "machine"]

SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
"""Instruction sets that change how fast the networks run (bfloat16, int8, AMX)."""


def _cpuinfo(path):
    try:
        return Path(path).read_text(errors="replace")
    except OSError:  # macOS, Windows: no cpuinfo
        return ""


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The instruction-set flags the processor reports (Linux), as a set; empty elsewhere."""
    return {
        flag
        for line in _cpuinfo(cpuinfo).splitlines()
        if line.startswith("flags")
        for flag in line.partition(":")[2].split()
    }


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The processor's model name (Linux), else ``platform.processor()``."""
    for line in _cpuinfo(cpuinfo).splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor()


def machine():
    """``{machine, processor, cpu: {model, flags}, cpu_count, python}``: where a
    measurement ran, ``flags`` being those of :data:`SPEED_FLAGS` the processor has."""
    flags = cpu_flags()
    return {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu": {"model": cpu_model(), "flags": [f for f in SPEED_FLAGS if f in flags]},
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
