"""How long loading FER2013 takes: decoding the zip, and reading the cache afterwards.

Usage::

    python benchmarks/load_fer2013.py ../shared/data/fer2013-dev.zip
"""

import argparse
import os
import tempfile
import time

from _common import write_report  # benchmarks/ is on sys.path when run as a script

from bilstm_emotion.datasets import load_fer2013


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/load_fer2013.json")
    args = parser.parse_args(argv)

    def timed(**kwargs):
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            faces = load_fer2013(args.path, progress=False, **kwargs)
            times.append(time.perf_counter() - start)
        return min(times), len(faces.data)

    with tempfile.TemporaryDirectory() as home:
        decode_s, n = timed(cache=False)
        start = time.perf_counter()
        load_fer2013(args.path, data_home=home, progress=False)  # decodes and writes the cache
        write_s = time.perf_counter() - start
        cached_s, _ = timed(data_home=home)
        cache_mb = sum(f.stat().st_size for f in os.scandir(home)) / 2**20
    report = {
        "benchmark": "load_fer2013",
        "source": os.path.basename(args.path),
        "faces": n,
        "decode_s": decode_s,
        "decode_faces_per_s": n / decode_s,
        "decode_and_write_cache_s": write_s,
        "cached_load_s": cached_s,
        "cache_mb": cache_mb,
    }
    print(
        f"{n} faces: decode {decode_s:.2f} s ({n / decode_s:,.0f} faces/s), "
        f"decode + write cache {write_s:.2f} s, cached load {cached_s:.2f} s "
        f"(cache {cache_mb:.1f} MB); best of {args.repeats}"
    )
    write_report(report, args.out)


if __name__ == "__main__":
    main()
