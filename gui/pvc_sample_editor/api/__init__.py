"""The ElevenLabs PVC sample API: typed client, response models and errors (no Qt)."""
