"""What every benchmark script records: the machine, the time, and a JSON file."""

import json
import os
import platform
import time

# instruction sets that change how fast the networks run (bfloat16, int8, AMX)
_CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu():
    """The CPU's model name and which of :data:`_CPU_FLAGS` it has (Linux), else ``{}``."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    return {"model": fields.get("model name", ""), "flags": [f for f in _CPU_FLAGS if f in flags]}


def environment():
    """Hardware and date, to store beside the numbers."""
    return {
        "hardware": {
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu": cpu(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def write_report(report, path):
    """Write ``report`` plus :func:`environment` as indented JSON to ``path``."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump({**report, **environment()}, f, indent=2)
    print(f"wrote {path}")


def median_seconds(call, repeat, warmup=2):
    """Median wall time of ``call()`` over ``repeat`` calls, after ``warmup`` untimed ones."""
    import numpy as np

    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fer2013_train_test(path):
    """FER2013 ``train/`` and PublicTest faces with emotion names as labels.

    Returns ``X_train, y_train, X_test, y_test`` (uint8 faces, label strings).
    """
    import numpy as np

    from bilstm_emotion import EMOTIONS
    from bilstm_emotion.datasets import load_fer2013

    faces = load_fer2013(path)
    names = np.asarray(EMOTIONS)[faces.target]
    train, test = faces.split == "train", faces.split == "test"
    return faces.data[train], names[train], faces.data[test], names[test]
