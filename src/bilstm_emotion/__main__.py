"""``python -m bilstm_emotion`` runs the ``bilstm-emotion`` command line."""

import sys

from .cli import main

sys.exit(main())
