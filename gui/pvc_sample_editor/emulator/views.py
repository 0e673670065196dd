"""Stored records turned into the spec's response models (plain JSON-ready dicts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pvc_sample_editor.emulator.segmentation import Speaker
from pvc_sample_editor.emulator.store import SampleRecord, VoiceRecord
from pvc_sample_editor.emulator.training import fine_tuning_view

__all__ = ["Separation", "sample_json", "separation_json", "speaker_json", "voice_json"]


@dataclass(frozen=True)
class Separation:
    """A sample's speaker separation as of now: status and, once completed, speakers."""

    status: str
    speakers: tuple[Speaker, ...] | None = None

    def speaker(self, speaker_id: str) -> Speaker | None:
        """The speaker with that id, if separation completed and found it."""
        return next((s for s in self.speakers or () if s.speaker_id == speaker_id), None)


def speaker_json(speaker: Speaker) -> dict[str, Any]:
    """A ``SpeakerResponseModel``."""
    return {
        "speaker_id": speaker.speaker_id,
        "duration_secs": speaker.duration_secs,
        "utterances": [{"start": start, "end": end} for start, end in speaker.utterances],
    }


def separation_json(sample: SampleRecord, separation: Separation) -> dict[str, Any]:
    """A ``SpeakerSeparationResponseModel``; ``speakers`` is null until completed."""
    speakers = None
    if separation.speakers is not None:
        speakers = {s.speaker_id: speaker_json(s) for s in separation.speakers}
    return {
        "voice_id": sample.voice_id,
        "sample_id": sample.sample_id,
        "status": separation.status,
        "speakers": speakers,
        "selected_speaker_ids": sample.selected_speaker_ids,
    }


def sample_json(sample: SampleRecord, separation: Separation) -> dict[str, Any]:
    """A ``SampleResponseModel``; trims are integer ms, null when untrimmed."""
    return {
        "sample_id": sample.sample_id,
        "file_name": sample.file_name,
        "mime_type": sample.mime_type,
        "size_bytes": sample.size_bytes,
        "hash": sample.hash,
        "duration_secs": sample.duration_secs,
        "remove_background_noise": sample.remove_background_noise,
        # The emulator keeps no separately isolated audio; noise removal is applied on
        # the fly to previews.
        "has_isolated_audio": False,
        "has_isolated_audio_preview": False,
        "speaker_separation": separation_json(sample, separation),
        "trim_start": sample.trim_start,
        "trim_end": sample.trim_end,
    }


def voice_json(voice: VoiceRecord, samples: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """A ``VoiceResponseModel`` with the given (already rendered) samples, as of ``now``.

    A professional voice carries its fine-tuning state (:mod:`.training`), the review's
    recording quality once training has started, and a verification that is not
    required (the emulator has no captcha).
    """
    fine_tuning = None
    verification = None
    if voice.category == "professional":
        fine_tuning = {
            "is_allowed_to_fine_tune": True,
            **fine_tuning_view(voice.fine_tuning_state, voice.training, now),
            "verification_failures": [],
            "verification_attempts_count": 0,
            "manual_verification_requested": False,
        }
        verification = {
            "requires_verification": False,
            "is_verified": False,
            "verification_failures": [],
            "verification_attempts_count": 0,
            "language": voice.language,
        }
    return {
        "voice_id": voice.voice_id,
        "name": voice.name,
        "samples": samples,
        "category": voice.category,
        "fine_tuning": fine_tuning,
        "labels": dict(voice.labels),
        "description": voice.description,
        "preview_url": None,
        "available_for_tiers": [],
        "settings": None,
        "sharing": None,
        "high_quality_base_model_ids": [],
        "is_owner": True,
        "is_legacy": voice.is_legacy,
        "is_mixed": False,
        "created_at_unix": voice.created_at_unix,
        "voice_verification": verification,
        "recording_quality": voice.training.get("recording_quality"),
        "recording_quality_reason": voice.training.get("recording_quality_reason"),
    }
