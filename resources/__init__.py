"""Bundled resources: icons and the demo recording (data only)."""
