"""``predict``: the faces and emotions of photos; ``summary``: their distribution per group."""

import argparse
import csv
import sys
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    add_detector_options,
    add_model_options,
    add_output_options,
    load_model,
    make_face_detector,
    print_table,
    progress,
    save_figure,
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

SUMMARY_EPILOG = """examples:
  bilstm-emotion summary posts/                     # one row per sub-folder
  bilstm-emotion summary posts/ --by date --csv by_day.csv --plot by_day.png
  bilstm-emotion summary faces.csv --by none        # from `predict --csv` output
"""


def _predictor(args):
    from ..monitoring import FacePredictor

    return FacePredictor(
        load_model(args), detector=make_face_detector(args), detect=not args.no_detect
    )


def _records(files, predictor, args, on_record=None, sources=None):
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
    from ..monitoring import BOX_FIELDS

    return ["source", "face", *BOX_FIELDS, "label", "score", *classes, "status"]


def _predict(args):
    from ..monitoring import expand_paths

    if not args.paths and not args.demo:
        raise ValueError("Expected image files, folders or globs (or --demo). Received: none")
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
    with Outputs([args.csv, args.json], overwrite=args.overwrite, inputs=files,
                 also=annotated.values()) as outputs:  # fmt: skip
        predictor = _predictor(args)
        records, failed, written = _predict_all(args, inputs, sources, predictor, outputs,
                                                annotated)  # fmt: skip
    if not args.quiet:
        print_table(records, ["source", "face", *_box(), "label", "score", "status"])
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

        records, failed = _records(inputs, predictor, args, on_record, sources)
    if args.json:
        write_json(outputs, args.json, records)
    return records, failed, written


def _box():
    from ..monitoring import BOX_FIELDS

    return list(BOX_FIELDS)


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


def _summary(args):
    if args.plot:
        try:
            import matplotlib.pyplot as plt  # noqa: F401 - checked before any work
        except ImportError as exc:  # pragma: no cover - depends on the install
            message = '--plot needs matplotlib: pip install "bilstm-emotion[plots]"'
            raise ImportError(message) from exc
    source = Path(args.source)
    inputs = [source] if source.is_file() else []
    with Outputs([args.csv, args.plot], overwrite=args.overwrite, inputs=inputs) as outputs:
        failed = _run_summary(args, source, outputs)
    if failed:
        raise PartialFailure(f"{len(failed)} input(s) could not be read: {failed[0]}")
    return 0


def _run_summary(args, source, outputs):
    from ..monitoring import expand_paths, image_date, summarize

    if source.is_file() and source.suffix.lower() == ".csv":
        records, classes = _read_predictions(source)
        failed = [r["source"] for r in records if str(r["status"]).startswith("error")]
    else:
        files = expand_paths([source])
        if not files:
            raise FileNotFoundError(f"No image files in {source}")
        predictor = _predictor(args)
        classes = predictor.classes
        records, failed = _records(files, predictor, args)
    root = source if source.is_dir() else source.parent
    groupers = {
        "none": None,
        "folder": lambda r: _folder(r["source"], root),
        "date": lambda r: _date(r["source"], image_date),
    }
    table = summarize(records, classes, by=groupers[args.by])
    columns = ["group", "images", "faces", "no_face", "errors", *classes, "dominant"]
    if not args.quiet:
        print_table(table, columns)
    if args.csv:
        with sink(outputs, args.csv, columns) as out:
            out.write(table)
    if args.plot:
        import matplotlib.pyplot as plt

        from ..plotting import plot_emotion_shares

        fig = plot_emotion_shares(table, classes)
        save_figure(outputs, args.plot, fig)
        plt.close(fig)
    return failed


def _folder(name, root):
    try:
        parts = Path(name).relative_to(root).parts
    except ValueError:
        return "."
    return parts[0] if len(parts) > 1 else "."


def _date(name, image_date):
    try:
        return image_date(name)
    except OSError:
        return "unknown"


def _read_predictions(path):
    with Path(path).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0]) if rows else []
    if not {"source", "label", "status", "score"} <= set(header):
        raise ValueError(
            f"Expected a CSV written by `bilstm-emotion predict --csv`. Received: {path} "
            f"with columns {header}"
        )
    classes = header[header.index("score") + 1 : header.index("status")]
    return rows, classes


def add_parsers(sub):
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

    s = sub.add_parser(
        "summary",
        help="emotion distribution of a folder of photos (social media monitoring)",
        description="Classify every face in a folder of images (or read a `predict --csv` "
        "file) and report the share of each emotion overall, per sub-folder or per day "
        "(EXIF date, else file date), as a table, a CSV and a stacked bar chart.",
        epilog=SUMMARY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("source", help="folder of images, or a CSV written by predict --csv")
    s.add_argument("--by", choices=("folder", "date", "none"), default="folder", help="(folder)")
    s.add_argument("--csv", default=None, metavar="FILE", help="write the table here")
    s.add_argument("--plot", default=None, metavar="FILE.png", help="write a bar chart here")
    s.add_argument("--no-detect", action="store_true", help="each image is one cropped face")
    add_model_options(s)
    add_detector_options(s)
    add_output_options(s)
    s.set_defaults(func=_summary)
