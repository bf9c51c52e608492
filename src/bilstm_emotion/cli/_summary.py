"""``summary``: the emotion distribution of a folder of photos per sub-folder or day."""

import argparse
import csv
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    add_detector_options,
    add_model_options,
    add_output_options,
    print_table,
    save_figure,
    sink,
)
from ._predict import classify_files, make_predictor

SUMMARY_EPILOG = """examples:
  bilstm-emotion summary posts/                     # one row per sub-folder
  bilstm-emotion summary posts/ --by date --csv by_day.csv --plot by_day.png
  bilstm-emotion summary faces.csv --by none        # from `predict --csv` output
"""


def _summary(args):
    if args.plot:
        from ..plotting import pyplot

        pyplot()  # checked before any work: an ImportError naming the extra
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
        predictor = make_predictor(args)
        classes = predictor.classes
        records, failed = classify_files(files, predictor, args)
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
        from ..plotting import plot_emotion_shares, pyplot

        plt = pyplot()
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


def add_parser(sub):
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
    s.add_argument(
        "--by",
        choices=("folder", "date", "none"),
        default="folder",
        help="one row per sub-folder, per day (EXIF date, else the file's) or one row for "
        "all (folder)",
    )
    s.add_argument("--csv", default=None, metavar="FILE", help="write the table here")
    s.add_argument("--plot", default=None, metavar="FILE.png", help="write a bar chart here")
    s.add_argument("--no-detect", action="store_true", help="each image is one cropped face")
    add_model_options(s)
    add_detector_options(s)
    add_output_options(s)
    s.set_defaults(func=_summary)
