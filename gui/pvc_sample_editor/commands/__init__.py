"""Headless verbs: `pvc-sample-editor VERB ARGS [--json]`; none imports Qt."""
