"""A local stand-in for the ElevenLabs PVC sample API (no Qt), state in SQLite."""
