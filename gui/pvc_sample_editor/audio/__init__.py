"""Audio loading, min/max peak pyramids and sample reads (no Qt)."""
