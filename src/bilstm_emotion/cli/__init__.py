"""The ``bilstm-emotion`` command line.

Subcommands: ``predict`` (photos, folders, globs), ``video`` (files and live
cameras), ``summary`` (emotion distribution of a folder of posts), ``serve``
(the web app and REST API), ``export`` (ONNX), ``train``,
``evaluate``, ``grid-search`` and ``demo``. ``bilstm-emotion COMMAND --help``
shows each one's options and examples.

Exit codes: 0 the job is done; 1 it failed, with a one-line message naming
the culprit on stderr; 2 bad command line; 3 done, but some inputs failed
(each is named on stderr and has a ``status`` in the outputs); 130
interrupted.
"""

import argparse
import sys

from . import _demo, _evaluate, _export, _grid_search, _predict, _serve, _summary, _train, _video
from ._common import EXIT_PARTIAL, EXIT_USAGE, PartialFailure, UsageError, parse_assignments

__all__ = ["build_parser", "main", "parse_assignments"]

EPILOG = """examples:
  bilstm-emotion predict --demo
  bilstm-emotion predict photos/ --csv faces.csv --annotate annotated/
  bilstm-emotion video call.mp4 --fps 10
  bilstm-emotion summary posts/ --by date --plot by_day.png
  bilstm-emotion serve                     # the camera in the browser, http://127.0.0.1:8000

exit codes: 0 done; 1 failed (message names the culprit); 2 bad command line;
3 done but some inputs failed; 130 interrupted
"""


def build_parser():
    """The argument parser of ``bilstm-emotion`` (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="bilstm-emotion",
        description="Recognise emotions in face images with a stacked Bi-LSTM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # One module per command, named after it, in the order of `--help`.
    for module in (
        _predict,
        _summary,
        _video,
        _serve,
        _export,
        _train,
        _grid_search,
        _evaluate,
        _demo,
    ):
        module.add_parser(sub)
    return parser


def main(argv=None):
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"bilstm-emotion {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except PartialFailure as exc:
        print(f"bilstm-emotion {args.command}: warning: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        print(f"bilstm-emotion {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as exc:
        print(f"bilstm-emotion {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
