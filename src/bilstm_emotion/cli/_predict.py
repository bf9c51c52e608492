"""``predict``: the faces and emotions of photos, as a table, CSV, JSON and annotated copies."""

import argparse
import sys
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    UsageError,
    add_detector_options,
    add_model_options,
    add_output_options,
    load_model,
    make_face_detector,
    print_table,
    progress,
    sink,
    write_json,
)

PREDICT_EPILOG = """examples:
  bilstm-emotion predict --demo                     # scikit-image's astronaut, offline
  bilstm-emotion predict photo.jpg posts/ "shots/*.png" --csv faces.csv --json faces.json
  bilstm-emotion predict posts/ --annotate annotated/ --model bilstm
  bilstm-emotion predict crops/ --no-detect        # images that already are cropped faces

outputs are claimed before any work: an existing file is not replaced without --overwrite;
while a run works, --csv/--json are written as FILE.partial and renamed when it ends, so an
interrupted run leaves FILE.partial, never a FILE that looks complete

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
            reason = found[0]["status"].removeprefix("error: ")
            print(f"bilstm-emotion {args.command}: skipped {reason}", file=sys.stderr)
            failed.append(source)
        records.extend(found)
        if on_record is not None:
            on_record(source, image, pixels, found)
    return records, failed


def _fields(classes):
    from ..faces._types import BOX_FIELDS

    return ["source", "face", *BOX_FIELDS, "label", "score", *classes, "status"]


def _predict(args):
    from ..monitoring import expand_paths

    if not args.paths and not args.demo:
        raise UsageError("Expected image files, folders or globs (or --demo). Received: none")
    files = expand_paths(args.paths)
    if not files and not args.demo:
        raise FileNotFoundError(f"No image files in {', '.join(map(str, args.paths))}")
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

    with sink(outputs, args.csv, _fields(predictor.classes)) as out:

        def on_record(source, image, pixels, records):
            out.write(records)
            annotate_one(source, image, pixels, records)

        records, failed = classify_files(inputs, predictor, args, on_record, sources)
    if args.json:
        write_json(outputs, args.json, records)
    return records, failed, written


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
    add_model_options(p)
    add_detector_options(p)
    add_output_options(p)
    p.set_defaults(func=_predict)
