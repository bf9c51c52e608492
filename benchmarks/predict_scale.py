"""Photos per second of ``predict`` in one process and on 1- and 2-worker Dask clusters,
and the workers' memory over a long run.

Three ways on the same folder, in one run, each writing Parquet partitions as the
command line's ``--parquet`` does (:func:`bilstm_emotion.monitoring.predict_to_parquet`):

* one process (onnxruntime's own threads, one per core);
* a ``LocalCluster`` of 1 worker process (1 thread);
* a ``LocalCluster`` of 2 worker processes (1 thread each).

The folder is the real photographs of ``faces-dev`` (87 photos, 153 faces, 0.1 to 12
megapixels), listed ``--repeat`` times under distinct names (symbolic links), so each
way predicts several hundred photos. Then two long runs: ``--long`` generated 320x240
photos with one face each on the 2-worker cluster, sampling each worker's resident
memory every second, with Dask's statistical profiler on (its default) and off. The
profiler keeps a call tree per second of work for the dashboard, its last 1,000
seconds (``distributed.admin.low-level-log-length``): a worker grows with it for
about 17 minutes, then stays; without it the growth is the package's own.

The projection to 10 million photos divides by the measured photos/s per worker:
it assumes workers scale as the two here did (each with its own core and the photos
on storage that keeps up).

Usage::

    python benchmarks/predict_scale.py ../shared/data/faces-dev/images
"""

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from _common import write_report


def photo_folder(source, repeat, folder):
    """``folder`` with ``repeat`` links to every image of ``source``, by distinct names."""
    from bilstm_emotion.monitoring import expand_paths

    photos = expand_paths([source])
    for r in range(repeat):
        for i, photo in enumerate(photos):
            target = folder / f"r{r}" / f"{i:04d}{Path(photo).suffix.lower()}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.path.abspath(photo))
    return expand_paths([folder]), len(photos)


def generated_photos(n, folder):
    """``n`` 320x240 JPEGs of the astronaut's head, each shifted a little."""
    from PIL import Image

    from bilstm_emotion.video import demo_participants

    head = Image.fromarray(demo_participants(1)[0]).resize((150, 165))  # her head, as she is
    paths = []
    for i in range(n):
        canvas = Image.new("RGB", (320, 240), color=(30 + i % 200, 90, 120))
        canvas.paste(head, (20 + i % 140, 10 + i % 60))
        path = folder / f"{i // 1000:03d}" / f"{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        canvas.save(path, quality=85)
        paths.append(str(path))
    return paths


def timed_run(label, files, model, out, client=None):
    from bilstm_emotion.monitoring import predict_to_parquet

    start = time.perf_counter()
    report = predict_to_parquet(files, out, model, client=client)
    seconds = time.perf_counter() - start
    rate = len(files) / seconds
    print(f"{label:30s} {len(files)} photos in {seconds:6.1f} s: {rate:5.1f} photos/s")
    return {
        "how": label,
        "photos": len(files),
        "wall_s": seconds,
        "photos_per_s": rate,
        "records": report["records"],
    }


def cluster(n_workers, profile=True):
    """A LocalCluster of ``n_workers`` single-threaded worker processes; ``profile=False``
    turns off Dask's statistical profiler in them (its samples feed the dashboard)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.profile.enabled": profile}):
        local = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    return local, Client(local)


def _rss():
    import psutil

    return psutil.Process().memory_info().rss


def memory_run(files, model, out, profile):
    """The 2-worker run over ``files``, sampling each worker's RSS every second."""
    import numpy as np

    from bilstm_emotion.monitoring import predict_to_parquet

    local, client = cluster(2, profile=profile)
    samples, done, stop = [], [0], threading.Event()
    start = time.perf_counter()

    def sample():
        while not stop.wait(1.0):
            rss = client.run(_rss)
            samples.append(
                {
                    "t": time.perf_counter() - start,
                    "photos": done[0],
                    "worker_rss_mb": sorted(v / 2**20 for v in rss.values()),
                }
            )

    def advance(records, n_images, report):
        done[0] += n_images

    watcher = threading.Thread(target=sample, daemon=True)
    with local, client:
        client.run(_rss)  # the workers are up before the clock matters
        watcher.start()
        report = predict_to_parquet(files, out, model, client=client, callback=advance)
        stop.set()
        watcher.join()
    seconds = time.perf_counter() - start
    rss = np.array([s["worker_rss_mb"] for s in samples])
    photos = np.array([s["photos"] for s in samples])
    warm = photos >= len(files) * 0.1
    tenth, last = rss[warm][0], rss[-1]
    # growth per 10,000 photos of each worker (each does half of them), after the first 10 %
    slope = [
        float(np.polyfit(photos[warm] / 2, rss[warm][:, w], 1)[0] * 10_000)
        for w in range(rss.shape[1])
    ]
    label = "on" if profile else "off"
    print(
        f"2 workers, Dask's profiler {label}: {len(files)} generated photos in {seconds:.0f} s "
        f"({len(files) / seconds:.1f} photos/s); worker RSS at 10 % of the photos "
        f"{tenth.round(0).tolist()} MB, at the end {last.round(0).tolist()} MB; growth "
        f"{np.round(slope, 1).tolist()} MB per 10,000 photos of a worker"
    )
    return {
        "dask_profiler": label,
        "photos": len(files),
        "wall_s": seconds,
        "photos_per_s": len(files) / seconds,
        "records": report["records"],
        "worker_rss_mb_at_10pct": tenth.tolist(),
        "worker_rss_mb_at_end": last.tolist(),
        "worker_rss_mb_peak": rss.max(axis=0).tolist(),
        "mb_per_10000_photos_of_a_worker": slope,
        "samples": samples,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("photos", help="a folder of photos (faces-dev's images)")
    parser.add_argument("--repeat", type=int, default=4, help="times each photo is listed (4)")
    parser.add_argument("--long", type=int, default=20_000, help="photos of the memory run")
    parser.add_argument("--out", default="benchmarks/results/predict_scale.json")
    args = parser.parse_args(argv)

    from bilstm_emotion import load_pretrained
    from bilstm_emotion.monitoring import predict_images

    model = load_pretrained()
    work = Path(tempfile.mkdtemp(prefix="predict_scale-"))
    try:
        files, n_photos = photo_folder(args.photos, args.repeat, work / "photos")
        predict_images(files[:2], model)  # warm, as the workers are
        runs = [timed_run("one process", files, model, work / "out-0")]
        for n_workers in (1, 2):
            local, client = cluster(n_workers)
            with local, client:
                # warm: the workers import the package and open BlazeFace's sessions
                predict_images(files[: 2 * n_workers], model, client=client, partition_size=1)
                runs.append(
                    timed_run(
                        f"LocalCluster, {n_workers} worker(s)",
                        files,
                        model,
                        work / f"out-{n_workers}",
                        client,
                    )
                )
        speedup = runs[2]["photos_per_s"] / runs[1]["photos_per_s"]
        print(f"2 workers / 1 worker: {speedup:.2f}x")
        photos = generated_photos(args.long, work / "long")
        long = [
            memory_run(photos, model, work / f"out-long-{profile}", profile)
            for profile in (True, False)
        ]
        per_worker = runs[2]["photos_per_s"] / 2
        projection = {str(n): 10_000_000 / (per_worker * n) / 3600 for n in (2, 16, 64, 256)}
        write_report(
            {
                "benchmark": "predict_scale",
                "folder": f"{args.photos} ({n_photos} photos) listed {args.repeat} times",
                "model": "conv-xl-flip (default, ONNX int8)",
                "partition_size": "automatic (about four per worker thread, at most 1,000)",
                "runs": runs,
                "speedup_2_over_1_worker": speedup,
                "long_runs": long,
                "hours_for_10_million_real_photos_by_workers": projection,
            },
            args.out,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
