"""Entry script of the frozen bundle: the same as the ``pvc-sample-editor`` gui-script."""

from __future__ import annotations

import sys

from pvc_sample_editor.cli import main

if __name__ == "__main__":
    sys.exit(main())
