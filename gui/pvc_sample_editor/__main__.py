"""Allow ``python -m pvc_sample_editor``."""

from pvc_sample_editor.cli import main

raise SystemExit(main())
