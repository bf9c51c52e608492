"""What every benchmark script records: the machine, the time, and a JSON file."""

import json
import os
import time


def environment():
    """The machine (:func:`bilstm_emotion.evaluation.environment`: backend, CPU model and
    instruction sets, cores, Python) and the date, to store beside the numbers."""
    from bilstm_emotion.evaluation import environment as machine

    return {"hardware": machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def write_report(report, path):
    """Write ``report`` plus :func:`environment` as indented JSON to ``path``.

    ``report["benchmark"]`` names the script that measured it (the harness's rule: one
    measurement, one script, one file).
    """
    if not report.get("benchmark"):
        raise ValueError(
            f"Expected a report naming its benchmark. Received: keys {sorted(report)}"
        )
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
