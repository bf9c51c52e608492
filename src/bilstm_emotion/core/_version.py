"""The installed package's version (what ``bilstm_emotion.__version__`` says)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bilstm-emotion")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
