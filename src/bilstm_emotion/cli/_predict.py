"""``predict``: the faces and emotions of photos, as a table, CSV, JSON and annotated copies."""

import argparse
import contextlib
import itertools
import os
import sys
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    UsageError,
    add_detector_options,
    add_model_options,
    add_output_options,
    add_scheduler_option,
    dask_client,
    json_sink,
    load_model,
    make_face_detector,
    print_table,
    progress,
    sink,
)

PREDICT_EPILOG = """examples:
  bilstm-emotion predict --demo                     # scikit-image's astronaut, offline
  bilstm-emotion predict photo.jpg posts/ "shots/*.png" --csv faces.csv --json faces.json
  bilstm-emotion predict posts/ --annotate annotated/ --model bilstm
  bilstm-emotion predict crops/ --no-detect        # images that already are cropped faces
  bilstm-emotion predict posts/ --parquet faces/    # Parquet partitions; --resume continues
  bilstm-emotion predict s3://bucket/posts/ --scheduler tcp://host:8786 --parquet s3://bucket/faces/

outputs are claimed before any work: an existing file is not replaced without --overwrite;
while a run works, --csv/--json are written as FILE.partial and renamed when it ends, so an
interrupted run leaves FILE.partial, never a FILE that looks complete; --parquet DIR
writes each partition of photos as it is done, and a rerun with --resume predicts only
the photos missing from DIR (or changed, or unreadable before)

exit codes: 0 all inputs done; 1 the job failed (the message names the culprit);
2 bad command line; 3 done, but some inputs could not be read (status column)
"""

DEMO_SOURCE = "astronaut (scikit-image)"


def make_predictor(args):
    from ..monitoring import FacePredictor

    return FacePredictor(
        load_model(args), detector=make_face_detector(args), detect=not args.no_detect
    )


def classify_files(files, predictor, args, on_record=None, sources=None):
    """Classify every input; call ``on_record(source, image, pixels, records)`` as each is done."""
    from ..monitoring import iter_images

    records, failed = [], []
    done = iter_images(files, predictor, sources=sources)
    for source, image, pixels, found in progress(
        done, total=len(files), desc="images", quiet=args.quiet, unit="img"
    ):
        if pixels is None:
            _name_failures(args, found)
            failed.append(source)
        records.extend(found)
        if on_record is not None:
            on_record(source, image, pixels, found)
    return records, failed


def _predict(args):
    from ..monitoring import expand_paths

    if not args.paths and not args.demo:
        raise UsageError("Expected image files, folders or globs (or --demo). Received: none")
    at_scale = check_partition_options(args)
    files = expand_paths(args.paths)
    if not files and not args.demo:
        raise FileNotFoundError(f"No image files in {', '.join(map(str, args.paths))}")
    if at_scale:
        return _predict_partitioned(args, files)
    inputs, sources = list(files), list(files)
    if args.demo:
        from skimage import data

        inputs.insert(0, data.astronaut())
        sources.insert(0, DEMO_SOURCE)
    annotated = _annotated_names(args.annotate, sources)
    # every output is claimed before the model is loaded or any image read
    with Outputs(
        [args.csv, args.json], overwrite=args.overwrite, inputs=files, also=annotated.values()
    ) as outputs:
        predictor = make_predictor(args)
        records, failed, written = _predict_all(
            args, inputs, sources, predictor, outputs, annotated
        )
    if not args.quiet:
        print(_model_line(args, predictor.estimator))
        rows = [{**r, "box": _box_text(r)} for r in records]
        print_table(rows, ["source", "face", "box", "label", *predictor.classes, "status"])
        n_faces = sum(1 for r in records if r["label"])
        print(
            f"{n_faces} face(s) in {len(inputs)} image(s)"
            + (f"; annotated copies in {args.annotate}" if written else "")
        )
    if failed:
        raise PartialFailure(
            f"{len(failed)} of {len(inputs)} input(s) could not be read, first {failed[0]}"
        )
    return 0


def _predict_all(args, inputs, sources, predictor, outputs, annotated):
    from ..monitoring import record_fields

    written = []

    def annotate_one(source, image, pixels, records):
        if not annotated or pixels is None or not any(r["label"] for r in records):
            return
        from PIL import Image

        from ..monitoring import decoded_scale, draw_faces

        target = annotated[source]
        # the pixels the faces were found in: colour, turned upright by EXIF
        drawn = draw_faces(pixels, records, scale=1 / decoded_scale(image, pixels))
        with target.open("wb" if args.overwrite else "xb") as f:
            Image.fromarray(drawn).save(f, format="PNG")
        written.append(target)

    with (
        sink(outputs, args.csv, record_fields(predictor.classes)) as out,
        json_sink(outputs, args.json) as out_json,
    ):

        def on_record(source, image, pixels, records):
            out.write(records)
            out_json.write(records)
            annotate_one(source, image, pixels, records)

        records, failed = classify_files(inputs, predictor, args, on_record, sources)
    return records, failed, written


def check_partition_options(args):
    """Whether the run goes in partitions (``--scheduler``, ``--parquet``); refuses the
    options that do not go with them, or need them, naming them."""
    parquet = getattr(args, "parquet", None)
    at_scale = bool(args.scheduler or parquet)
    if args.partition_size is not None and args.partition_size < 1:
        raise UsageError(f"Expected --partition-size >= 1. Received: {args.partition_size}")
    if not at_scale and args.partition_size is not None:
        needs = "--scheduler or --parquet" if hasattr(args, "parquet") else "--scheduler"
        raise UsageError(f"Expected --partition-size with {needs}")
    if getattr(args, "resume", False) and not parquet:
        raise UsageError("Expected --parquet DIR with --resume: the folder a rerun resumes")
    if getattr(args, "resume", False) and args.overwrite:
        raise UsageError(
            "Expected --resume (keep what --parquet DIR holds) or --overwrite (remove it), "
            "not both. Received: both (--resume rewrites --csv and --json by itself)"
        )
    if at_scale:
        for option in ("demo", "annotate"):
            if getattr(args, option, None):
                raise UsageError(
                    f"Expected --{option} without --scheduler and --parquet: it runs here, "
                    "photo by photo"
                )
    if args.scheduler and args.command == "predict" and not (args.csv or args.json or parquet):
        raise UsageError(
            "Expected --csv, --json or --parquet with --scheduler: a cluster's run prints "
            "counts, not a table of every face"
        )
    return at_scale


@contextlib.contextmanager
def partition_runner(args):
    """``(predictor, client)``: the model and detector the options name, and the Dask
    client of ``--scheduler`` (``None`` without one), closed at the end."""
    with dask_client(args.scheduler) if args.scheduler else contextlib.nullcontext() as client:
        yield make_predictor(args), client


def _predict_partitioned(args, files):
    """``predict`` in partitions: on a Dask cluster, into Parquet, or both. CSV and JSON
    get the records in input order as partitions finish; with --parquet, every record
    of the folder at the end, partition by partition (a resumed run rewrites them)."""
    from ..datasets._remote import is_url
    from ..monitoring import read_records, record_fields
    from ..monitoring._parquet import PartitionedOutput

    if args.parquet:  # refused before the cluster starts or the model loads
        PartitionedOutput.check(args.parquet, resume=args.resume, overwrite=args.overwrite)
    inputs = [f for f in files if not is_url(f)]
    replace = args.overwrite or args.resume
    with (
        Outputs([args.csv, args.json], overwrite=replace, inputs=inputs) as outputs,
        partition_runner(args) as (predictor, client),
        sink(outputs, args.csv, record_fields(predictor.classes)) as out,
        json_sink(outputs, args.json) as out_json,
    ):
        bar = progress(total=len(files), desc="images", quiet=args.quiet, unit="img")
        with bar:
            if args.parquet:
                report = _to_parquet(args, files, predictor, client, bar)
                rows = read_records(args.parquet)[1] if args.csv or args.json else ()
            else:
                report = {"images": len(files), "skipped": 0, "failed": 0, "records": 0}
                rows = in_order(args, files, predictor, client, bar, report)
            rows = iter(rows)
            while batch := list(itertools.islice(rows, 1000)):
                out.write(batch)
                out_json.write(batch)
    if not args.quiet:
        print(_model_line(args, predictor.estimator))
        where = [p for p in (args.parquet, args.csv, args.json) if p]
        print(
            f"{report['records']} record(s) of {report['images'] - report['skipped']} "
            f"image(s) predicted"
            + (f", {report['skipped']} already in {args.parquet}" if args.parquet else "")
            + f"; written to {', '.join(map(str, where))}"
        )
    if report["failed"]:
        raise PartialFailure(
            f"{report['failed']} of {report['images']} input(s) could not be read (status "
            "column)" + (": a rerun with --resume tries them again" if args.parquet else "")
        )
    return 0


def _to_parquet(args, files, predictor, client, bar):
    from ..monitoring import predict_to_parquet, run_settings

    settings = run_settings(predictor)
    # what the command line says: a shipped model's name (its Keras network too), the
    # estimator's file wherever it was named from
    settings["model"] = os.path.abspath(args.estimator) if args.estimator else args.model

    def advance(records, n_images, report):
        if n_images == 0:  # the photos to predict are known
            bar.reset(total=report["images"] - report["skipped"])
        _name_failures(args, records)
        bar.update(n_images)

    return predict_to_parquet(
        files,
        args.parquet,
        predictor.estimator,
        detect=predictor.detect,
        detector=predictor.detector,
        client=client,
        partition_size=args.partition_size,
        resume=args.resume,
        overwrite=args.overwrite,
        settings=settings,
        callback=advance,
    )


def _name_failures(args, records):
    """Say on stderr which of ``records`` are of files that could not be read; how many."""
    failed = 0
    for record in records:
        if str(record["status"]).startswith("error"):
            reason = record["status"].removeprefix("error: ")
            print(f"bilstm-emotion {args.command}: skipped {reason}", file=sys.stderr)
            failed += 1
    return failed


def in_order(args, files, predictor, client, bar, report):
    """The records of ``files`` in input order, partition by partition (counted in
    ``report``, each unreadable file named on stderr); ``predict`` and ``summary``."""
    from ..monitoring import iter_partitions

    done = iter_partitions(files, predictor, client=client, partition_size=args.partition_size)
    with contextlib.closing(done):
        for n_images, records in done:
            report["failed"] += _name_failures(args, records)
            report["records"] += len(records)
            bar.update(n_images)
            yield from records


def _box_text(record):
    """A face's box as the table shows it: ``row,col,height,width`` (CSV and JSON have
    each in a column of its own)."""
    from ..faces._types import BOX_FIELDS

    if record["face"] == 0:
        return ""
    return ",".join(str(record[k]) for k in BOX_FIELDS)


def _model_line(args, model):
    """Which model answered, on which engine: a shipped one with its PublicTest accuracy
    (its ONNX graph's own where that ran), or the file."""
    from ..core._backend import engine_name
    from ..core._registry import pretrained_info

    engine = engine_name(model)
    if args.estimator:
        return f"Model {args.estimator} ({engine})"
    info = pretrained_info(args.model)
    accuracy = info["accuracy"]
    if hasattr(model, "graph_"):
        accuracy = info["onnx"]["scores"][info["onnx"]["arithmetic"]]["public_test"]
    return (
        f"Model {args.model} (FER2013 PublicTest accuracy {accuracy:.3f}, {engine}): "
        "each face's emotion probabilities"
    )


def _annotated_names(folder, sources):
    """``source -> folder/<stem>.png`` (``<stem>-2.png``... for repeated stems), or {}."""
    if not folder:
        return {}
    names, taken = {}, set()
    for source in sources:
        stem = "astronaut" if source == DEMO_SOURCE else Path(source).stem
        target, n = Path(folder) / f"{stem}.png", 2
        while target in taken:
            target = Path(folder) / f"{stem}-{n}.png"
            n += 1
        taken.add(target)
        names[source] = target
    return names


def add_parser(sub):
    p = sub.add_parser(
        "predict",
        help="find the faces in photos and folders; print and save their emotions",
        description="Find every face in the given images (files, folders searched "
        "recursively, glob patterns), classify its emotion, print a table and write one row "
        "per face (file, box, label, probability of each emotion, status) to CSV/JSON. "
        "Images without a face or that cannot be read get a row saying so.",
        epilog=PREDICT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="image files, folders or globs")
    p.add_argument("--demo", action="store_true", help="also run on scikit-image's astronaut")
    p.add_argument("--csv", default=None, metavar="FILE", help="write one row per face here")
    p.add_argument("--json", default=None, metavar="FILE", help="write the records as JSON")
    p.add_argument("--annotate", default=None, metavar="DIR", help="write copies with boxes")
    p.add_argument(
        "--no-detect", action="store_true", help="each image is one cropped face (no detection)"
    )
    p.add_argument(
        "--parquet",
        default=None,
        metavar="DIR",
        help="write the records as Parquet partitions in DIR (a folder or an fsspec URL), "
        "each as its photos are done",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --parquet: keep what DIR holds and predict only the photos missing from "
        "it, changed since, or unreadable then (--csv and --json, replaced, get all of DIR's "
        "rows)",
    )
    add_partition_options(p, "predict the photos")
    add_model_options(p)
    add_detector_options(p)
    add_output_options(p)
    p.set_defaults(func=_predict)


def add_partition_options(parser, what):
    """``--scheduler`` and ``--partition-size``, shared by ``predict`` and ``summary``."""
    group = parser.add_argument_group("scale")
    add_scheduler_option(group, what)
    group.add_argument(
        "--partition-size",
        type=int,
        default=None,
        metavar="N",
        help="photos per task of --scheduler or per file of --parquet (default: about four "
        "partitions per worker thread, at most 1000)",
    )
