"""The voice's training as the server reports it: fine-tuning per model, review, verification.

Parsed from ``GET /v1/voices/{voice_id}`` (``fine_tuning``, ``recording_quality``,
``recording_quality_reason``, ``voice_verification``) with the same tolerant rules as
:mod:`~pvc_sample_editor.api.models`: unknown fields ignored, a state the spec does not
list kept as text rather than refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pvc_sample_editor.api.fields import listed, obj, opt, req, str_map, typed

__all__ = [
    "DEFAULT_MODEL_ID",
    "FineTuning",
    "ModelTraining",
    "RecordingQuality",
    "TrainingState",
    "VoiceVerification",
]

#: The model ``POST …/train`` trains when none is named (the emulator's default too).
DEFAULT_MODEL_ID = "eleven_multilingual_v2"


class TrainingState(str, Enum):
    """``fine_tuning.state[model]`` in the spec."""

    NOT_STARTED = "not_started"
    QUEUED = "queued"
    FINE_TUNING = "fine_tuning"
    FINE_TUNED = "fine_tuned"
    FAILED = "failed"
    DELAYED = "delayed"

    @property
    def label(self) -> str:
        """Human wording for the list header."""
        return {
            "not_started": "not trained",
            "queued": "queued for training",
            "fine_tuning": "training",
            "fine_tuned": "trained",
            "failed": "training failed",
            "delayed": "training delayed",
        }[self.value]

    @property
    def changing(self) -> bool:
        """True while the server is still moving it on (poll until this is False)."""
        return self in (TrainingState.QUEUED, TrainingState.FINE_TUNING, TrainingState.DELAYED)


class RecordingQuality(str, Enum):
    """``recording_quality`` in the spec, best first."""

    STUDIO = "studio"
    GOOD = "good"
    OK = "ok"
    POOR = "poor"
    BAD = "bad"


@dataclass(frozen=True)
class ModelTraining:
    """One model's training: state, progress in [0, 1] when reported, the server's words."""

    model_id: str
    state: TrainingState | str
    progress: float | None = None
    message: str | None = None


@dataclass(frozen=True)
class FineTuning:
    """A voice's ``fine_tuning``: every model's training and the dataset it trains on."""

    is_allowed_to_fine_tune: bool
    models: tuple[ModelTraining, ...] = ()
    dataset_duration_seconds: float | None = None
    verification_failures: tuple[str, ...] = ()
    manual_verification_requested: bool = False

    def model(self, model_id: str) -> ModelTraining | None:
        """The training of ``model_id``, if the server reports one."""
        return next((m for m in self.models if m.model_id == model_id), None)

    @property
    def changing(self) -> bool:
        """True while any model's state is still moving (keep polling, with backoff)."""
        return any(isinstance(m.state, TrainingState) and m.state.changing for m in self.models)

    @classmethod
    def from_json(cls, data: object) -> FineTuning:
        """Parse a ``FineTuningResponseModel``."""
        what = "fine-tuning state"
        o = obj(data, what)
        states = str_map(o, "state", str, what)
        progress = str_map(o, "progress", float, what)
        messages = str_map(o, "message", str, what)
        models = []
        for model_id in sorted(states.keys() | progress.keys() | messages.keys()):
            raw = states.get(model_id, "not_started")
            state: TrainingState | str
            try:
                state = TrainingState(raw)
            except ValueError:
                state = raw
            fraction = progress.get(model_id)
            if fraction is not None:
                fraction = min(max(fraction, 0.0), 1.0)
            models.append(ModelTraining(model_id, state, fraction, messages.get(model_id)))
        return cls(
            is_allowed_to_fine_tune=bool(opt(o, "is_allowed_to_fine_tune", bool, what)),
            models=tuple(models),
            dataset_duration_seconds=opt(o, "dataset_duration_seconds", float, what),
            verification_failures=tuple(
                typed(v, "verification_failures", str, what)
                for v in listed(o, "verification_failures", what)
            ),
            manual_verification_requested=bool(opt(o, "manual_verification_requested", bool, what)),
        )


@dataclass(frozen=True)
class VoiceVerification:
    """``voice_verification``: whether ElevenLabs needs the speaker to verify the voice."""

    requires_verification: bool
    is_verified: bool
    verification_failures: tuple[str, ...] = ()
    verification_attempts_count: int = 0

    #: Where a person verifies their voice (the captcha flow is not built in the app).
    VERIFY_URL = "https://elevenlabs.io/app/voice-lab"

    @property
    def needs_action(self) -> bool:
        """True when training waits for the speaker to verify on the ElevenLabs site."""
        return self.requires_verification and not self.is_verified

    @classmethod
    def from_json(cls, data: object) -> VoiceVerification:
        """Parse a ``VoiceVerificationResponseModel``."""
        what = "voice verification"
        o = obj(data, what)
        return cls(
            requires_verification=req(o, "requires_verification", bool, what),
            is_verified=req(o, "is_verified", bool, what),
            verification_failures=tuple(
                typed(v, "verification_failures", str, what)
                for v in listed(o, "verification_failures", what)
            ),
            verification_attempts_count=opt(o, "verification_attempts_count", int, what) or 0,
        )


def recording_quality_from(value: str | None) -> RecordingQuality | str | None:
    """The enum for a known quality, the text for an unknown one, None when absent."""
    if value is None:
        return None
    try:
        return RecordingQuality(value)
    except ValueError:
        return value
