"""``summary``: the emotion distribution of a folder of photos per sub-folder or day."""

import argparse
import contextlib
import functools
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    add_detector_options,
    add_model_options,
    add_output_options,
    print_table,
    progress,
    save_figure,
    sink,
)
from ._predict import (
    add_partition_options,
    check_partition_options,
    classify_files,
    in_order,
    make_predictor,
    partition_runner,
)

SUMMARY_EPILOG = """examples:
  bilstm-emotion summary posts/                     # one row per sub-folder
  bilstm-emotion summary posts/ --by date --csv by_day.csv --plot by_day.png
  bilstm-emotion summary faces.csv --by none        # from `predict --csv` output
  bilstm-emotion summary faces/ --by none           # from `predict --parquet faces/`
  bilstm-emotion summary posts/ --scheduler local   # on a local Dask cluster
"""


def _summary(args):
    if args.plot:
        from ..plotting import pyplot

        pyplot()  # checked before any work: an ImportError naming the extra
    check_partition_options(args)
    source = Path(args.source)
    inputs = [source] if source.is_file() else []  # (a URL is no local file)
    with Outputs([args.csv, args.plot], overwrite=args.overwrite, inputs=inputs) as outputs:
        failed = _run_summary(args, source, outputs)
    if failed:
        raise PartialFailure(f"{len(failed)} input(s) could not be read: {failed[0]}")
    return 0


def _is_records(source):
    """Whether ``source`` names an output of ``predict``: a CSV, JSON or Parquet file, or
    a folder of Parquet partitions (local or an fsspec URL)."""
    from ..monitoring._parquet import is_dataset

    suffixes = (".csv", ".json", ".parquet")
    return source.lower().endswith(suffixes) or is_dataset(source)


def _run_summary(args, source, outputs):
    from ..monitoring import expand_paths, image_date, read_records, summarize

    with contextlib.ExitStack() as stack:
        if _is_records(args.source):
            classes, records = read_records(args.source)
            failed = []
            records = _noting_failures(records, failed)
            root = _parent(args.source)  # the sources are as predict was given them
        else:
            files = expand_paths([args.source])
            if not files:
                raise FileNotFoundError(f"No image files in {args.source}")
            root = _folder_root(args.source)
            if args.scheduler:
                predictor, client = stack.enter_context(partition_runner(args))
                bar = stack.enter_context(
                    progress(total=len(files), desc="images", quiet=args.quiet, unit="img")
                )
                failed, report = [], {"failed": 0, "records": 0}
                found = in_order(args, files, predictor, client, bar, report)
                records = _noting_failures(found, failed)
            else:
                predictor = make_predictor(args)
                records, failed = classify_files(files, predictor, args)
            classes = predictor.classes
        by_date = functools.lru_cache(maxsize=4096)(lambda source: _date(source, image_date))
        groupers = {
            "none": None,
            "folder": lambda r: _folder(r["source"], root),
            "date": lambda r: by_date(r["source"]),  # a photo's faces: its file read once
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


def _parent(path):
    """The folder that holds ``path`` (a local path or a URL)."""
    from ..datasets._remote import is_url

    if is_url(path):
        return _folder_root(path.rstrip("/").rsplit("/", 1)[0])
    return Path(path).parent


def _folder_root(path):
    """``path`` as the sources found below it begin (a URL as fsspec writes it)."""
    from ..datasets._remote import is_url, url_filesystem

    if is_url(path):
        fs, inner = url_filesystem(path)
        return fs.unstrip_protocol(inner).rstrip("/")
    return Path(path)


def _folder(name, root):
    """The first folder of ``name`` below ``root`` (``"."`` for a file right in it)."""
    if isinstance(root, str):  # a URL
        inside = name.startswith(root + "/")
        parts = name[len(root) + 1 :].split("/") if inside else []
    else:
        try:
            parts = Path(name).relative_to(root).parts
        except ValueError:
            parts = []
    return parts[0] if len(parts) > 1 else "."


def _date(name, image_date):
    try:
        return image_date(name)
    except (OSError, ValueError, ImportError):  # gone, unreadable, a URL's missing package
        return "unknown"


def _noting_failures(records, failed):
    """``records``, the sources of error records appended to ``failed`` as they pass."""
    for record in records:
        if str(record["status"]).startswith("error"):
            failed.append(record["source"])
        yield record


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
    s.add_argument(
        "source",
        help="folder of images, or an output of predict: --csv, --json or --parquet",
    )
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
    add_partition_options(s, "predict the photos")
    add_model_options(s)
    add_detector_options(s)
    add_output_options(s)
    s.set_defaults(func=_summary)
