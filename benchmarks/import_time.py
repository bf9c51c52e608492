"""Start-up time: what ``--help``, a usage error and the imports cost, and whether Keras loads.

Each case runs in a fresh interpreter (as a user's shell or script would), ``--repeat``
times, and the median wall time is reported with whether ``keras`` ended up imported.
``--compare SRC`` runs the same cases against another source tree (e.g. a checkout of
the commit before the lazy imports, ``git worktree add /tmp/before <commit>`` then
``--compare /tmp/before/src``) in the same run, so the two are measured on the same
machine at the same time. Targets: ``--help`` and a usage error under 1 s, and
``import bilstm_emotion.datasets`` without Keras.

Usage::

    python benchmarks/import_time.py [--repeat 5] [--compare SRC] \
        [--out benchmarks/results/import_time.json]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import write_report

CASES = {
    "bilstm-emotion --help": ["-m", "bilstm_emotion", "--help"],
    "bilstm-emotion predict --help": ["-m", "bilstm_emotion", "predict", "--help"],
    "usage error (predict --bogus)": ["-m", "bilstm_emotion", "predict", "--bogus"],
    "import bilstm_emotion": ["-c", "import bilstm_emotion"],
    "import bilstm_emotion.datasets": ["-c", "import bilstm_emotion.datasets"],
    "import bilstm_emotion.faces": ["-c", "import bilstm_emotion.faces"],
    "import bilstm_emotion.preprocessing": ["-c", "import bilstm_emotion.preprocessing"],
    "from bilstm_emotion import BiLSTMFaceEmotionClassifier": [
        "-c",
        "from bilstm_emotion import BiLSTMFaceEmotionClassifier",
    ],
    "load_pretrained() and one prediction": [
        "-c",
        "import numpy as np; from bilstm_emotion import load_pretrained; "
        "load_pretrained().predict(np.zeros((1, 48, 48), np.uint8))",
    ],
    "bilstm-emotion predict --demo": ["-m", "bilstm_emotion", "predict", "--demo"],
}
# Appended to every case: prints whether Keras was imported, at exit.
PROBE = "import atexit, sys; atexit.register(lambda: print('KERAS', 'keras' in sys.modules))"


def run_case(args, src, repeat):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    times, keras = [], None
    for _ in range(repeat):
        if args[0] == "-c":
            command = [sys.executable, "-c", f"{PROBE}\n{args[1]}"]
        else:  # -m MODULE ARGS: run the module under the probe
            command = [
                sys.executable,
                "-c",
                f"{PROBE}\nimport runpy, sys; sys.argv = {[args[1], *args[2:]]!r}\n"
                f"runpy.run_module({args[1]!r}, run_name='__main__')",
            ]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        keras = "KERAS True" in done.stdout
    return {"seconds": round(statistics.median(times), 3), "keras_imported": keras}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another source tree to time beside")
    parser.add_argument("--out", default="benchmarks/results/import_time.json")
    args = parser.parse_args(argv)

    trees = {"this tree": None}
    if args.compare:
        trees[f"compare ({args.compare})"] = args.compare.resolve()
    results = {}
    for label, src in trees.items():
        results[label] = {}
        for name, case in CASES.items():
            results[label][name] = run_case(case, src, args.repeat)
            row = results[label][name]
            print(f"{label} | {name:<56} {row['seconds']:7.3f} s  keras={row['keras_imported']}")
    write_report({"benchmark": "import_time", "repeat": args.repeat, "results": results}, args.out)


if __name__ == "__main__":
    main()
