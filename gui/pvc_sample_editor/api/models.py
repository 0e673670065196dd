"""Frozen dataclasses for the API's responses, and their tolerant parsers.

Parsing rules (shared by every model):
- unknown fields are ignored;
- a missing or null optional field becomes ``None`` (or an empty tuple for lists);
- a missing required field, or any field of the wrong JSON type, raises
  :class:`UnexpectedResponseError` -- never ``KeyError``/``TypeError``.

Units follow the spec: trims are integer milliseconds, every other time is float seconds.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pvc_sample_editor.api.errors import UnexpectedResponseError
from pvc_sample_editor.api.fields import listed as _list
from pvc_sample_editor.api.fields import obj as _obj
from pvc_sample_editor.api.fields import opt as _opt
from pvc_sample_editor.api.fields import preview as _preview
from pvc_sample_editor.api.fields import req as _req
from pvc_sample_editor.api.fields import str_map as _str_map
from pvc_sample_editor.api.fields import str_tuple as _str_tuple
from pvc_sample_editor.api.fields import typed as _typed
from pvc_sample_editor.api.training import (
    FineTuning,
    RecordingQuality,
    VoiceVerification,
    recording_quality_from,
)
from pvc_sample_editor.timecode import MAX_MS, seconds_to_ms

__all__ = [
    "AudioClip",
    "Sample",
    "SampleEditRequest",
    "SeparationStatus",
    "Speaker",
    "SpeakerSeparation",
    "Utterance",
    "Voice",
    "VoicePage",
    "Waveform",
    "encode_body",
    "samples_from_json",
    "status_from_json",
    "voice_id_from_json",
]


@dataclass(frozen=True)
class SampleEditRequest:
    """The body of ``POST /v1/voices/pvc/{voice_id}/samples/{sample_id}``, as sent.

    The editing core builds it from a validated edit; the client only serialises it.
    ``selected_speaker_ids`` is None when the key must be left out (separation not
    completed): the field replaces the selection, so it is never sent as ``null``.
    """

    trim_start_time: int
    trim_end_time: int
    remove_background_noise: bool
    file_name: str
    selected_speaker_ids: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object, its keys in the order the official SDK writes them."""
        body: dict[str, Any] = {"remove_background_noise": self.remove_background_noise}
        if self.selected_speaker_ids is not None:
            body["selected_speaker_ids"] = list(self.selected_speaker_ids)
        body["trim_start_time"] = self.trim_start_time
        body["trim_end_time"] = self.trim_end_time
        body["file_name"] = self.file_name
        return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Serialise like the SDK: compact separators, UTF-8, no NaN."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _ms_or_none(seconds: float | None) -> int | None:
    try:
        return None if seconds is None else seconds_to_ms(seconds)
    except ValueError:
        return None


def _trim(obj: Mapping[str, Any], key: str, what: str, notes: list[str]) -> int | None:
    """A trim in ms, or None (the file's edge) with a note when it cannot be a time."""
    value = _opt(obj, key, int, what)
    if value is None or 0 <= value <= MAX_MS:
        return value
    edge = "start" if key == "trim_start" else "end"
    notes.append(
        f"The server's {edge} trim for this sample ({value} ms) cannot be right; "
        f"it is read as the {edge} of the audio. Check the trims before you submit."
    )
    return None


class SeparationStatus(str, Enum):
    """Speaker-separation state of a sample."""

    NOT_STARTED = "not_started"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """Human wording for the status line."""
        return {
            "not_started": "not started",
            "pending": "in progress",
            "completed": "completed",
            "failed": "failed",
        }[self.value]


# ---------------------------------------------------------------- models


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech by a speaker, in float seconds from the start of the sample."""

    start: float
    end: float

    @classmethod
    def from_json(cls, data: object) -> Utterance:
        """Parse an ``UtteranceResponseModel``."""
        o = _obj(data, "an utterance")
        return cls(
            start=_req(o, "start", float, "utterance"), end=_req(o, "end", float, "utterance")
        )


@dataclass(frozen=True)
class Speaker:
    """A speaker found by separation: id (e.g. ``speaker_0``), total speech, utterances."""

    speaker_id: str
    duration_secs: float
    utterances: tuple[Utterance, ...] = ()

    @property
    def duration_ms(self) -> int | None:
        """Total speech in whole milliseconds; None if the server's figure is absurd."""
        return _ms_or_none(self.duration_secs)

    @classmethod
    def from_json(cls, data: object) -> Speaker:
        """Parse a ``SpeakerResponseModel``."""
        o = _obj(data, "a speaker")
        return cls(
            speaker_id=_req(o, "speaker_id", str, "speaker"),
            duration_secs=_req(o, "duration_secs", float, "speaker"),
            utterances=tuple(Utterance.from_json(u) for u in _list(o, "utterances", "speaker")),
        )


@dataclass(frozen=True)
class SpeakerSeparation:
    """A sample's speaker-separation state. ``speakers`` are sorted by id."""

    voice_id: str
    sample_id: str
    status: SeparationStatus | str
    speakers: tuple[Speaker, ...] = ()
    selected_speaker_ids: tuple[str, ...] | None = None

    @property
    def completed(self) -> bool:
        """True once separation finished and speakers may be selected."""
        return self.status == SeparationStatus.COMPLETED

    @property
    def speaker_ids(self) -> tuple[str, ...]:
        """The ids of every known speaker, in display order."""
        return tuple(s.speaker_id for s in self.speakers)

    @classmethod
    def from_json(cls, data: object) -> SpeakerSeparation:
        """Parse a ``SpeakerSeparationResponseModel``; unknown statuses are kept as text."""
        what = "speaker separation"
        o = _obj(data, what)
        raw_status = _req(o, "status", str, what)
        status: SeparationStatus | str
        try:
            status = SeparationStatus(raw_status)
        except ValueError:
            status = raw_status
        speakers_obj = o.get("speakers")
        speakers: list[Speaker] = []
        if speakers_obj is not None:
            for key, value in _obj(speakers_obj, "the speakers map").items():
                sp = Speaker.from_json(value)
                # The map key is the id the edit must use; trust it over the body.
                speakers.append(Speaker(str(key), sp.duration_secs, sp.utterances))
        speakers.sort(key=lambda s: _natural_key(s.speaker_id))
        return cls(
            voice_id=_req(o, "voice_id", str, what),
            sample_id=_req(o, "sample_id", str, what),
            status=status,
            speakers=tuple(speakers),
            selected_speaker_ids=_str_tuple(o, "selected_speaker_ids", what),
        )


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort ``speaker_2`` before ``speaker_10``."""
    parts: list[tuple[int, int | str]] = []
    num = ""
    word = ""
    for ch in text:
        # ASCII only: str.isdigit() also accepts '²', which int() refuses.
        if "0" <= ch <= "9":
            if word:
                parts.append((1, word))
                word = ""
            num += ch
        else:
            if num:
                parts.append((0, int(num)))
                num = ""
            word += ch
    if num:
        parts.append((0, int(num)))
    if word:
        parts.append((1, word))
    return tuple(parts)


@dataclass(frozen=True)
class Sample:
    """A PVC sample as the server holds it. Trims are integer ms; durations float seconds.

    Only ``sample_id`` and ``file_name`` are required (see :meth:`from_json`); the file
    facts the editor never uses (``mime_type``, ``size_bytes``, ``hash``) are None when
    the server omits them.
    """

    sample_id: str
    file_name: str
    mime_type: str | None = None
    size_bytes: int | None = None
    hash: str | None = None
    duration_secs: float | None = None
    remove_background_noise: bool | None = None
    has_isolated_audio: bool | None = None
    has_isolated_audio_preview: bool | None = None
    speaker_separation: SpeakerSeparation | None = None
    trim_start: int | None = None
    trim_end: int | None = None
    #: What the parser set aside as impossible (a trim past any audio), in words.
    notes: tuple[str, ...] = ()

    @property
    def duration_ms(self) -> int | None:
        """The duration in whole milliseconds (see :mod:`pvc_sample_editor.timecode`), if the server
        gave a usable one; an absurd one (1e306 s) counts as unknown."""
        return _ms_or_none(self.duration_secs)

    @classmethod
    def from_json(cls, data: object) -> Sample:
        """Parse a ``SampleResponseModel``.

        The spec requires five fields, but CONTRACT.md says to treat every one as possibly
        missing, and one odd sample must not stop its voice (or the voice list) loading.
        Two are needed: ``sample_id`` to address the sample, and ``file_name`` because
        every edit sends the name back (a made-up one would rename the sample unasked).
        """
        what = "sample"
        o = _obj(data, what)
        sep = o.get("speaker_separation")
        notes: list[str] = []
        return cls(
            sample_id=_req(o, "sample_id", str, what),
            file_name=_req(o, "file_name", str, what),
            mime_type=_opt(o, "mime_type", str, what),
            size_bytes=_opt(o, "size_bytes", int, what),
            hash=_opt(o, "hash", str, what),
            duration_secs=_opt(o, "duration_secs", float, what),
            remove_background_noise=_opt(o, "remove_background_noise", bool, what),
            has_isolated_audio=_opt(o, "has_isolated_audio", bool, what),
            has_isolated_audio_preview=_opt(o, "has_isolated_audio_preview", bool, what),
            speaker_separation=None if sep is None else SpeakerSeparation.from_json(sep),
            trim_start=_trim(o, "trim_start", what, notes),
            trim_end=_trim(o, "trim_end", what, notes),
            notes=tuple(notes),
        )


@dataclass(frozen=True)
class Voice:
    """A voice and (for ``GET /v1/voices/{id}``) its samples."""

    voice_id: str
    name: str
    category: str
    description: str | None = None
    samples: tuple[Sample, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    #: Training per model (professional voices; None when the server sends none).
    fine_tuning: FineTuning | None = None
    #: The review pipeline's verdict on the recordings, when the server gives one.
    recording_quality: RecordingQuality | str | None = None
    recording_quality_reason: str | None = None
    verification: VoiceVerification | None = None

    def sample(self, sample_id: str) -> Sample | None:
        """The sample with this id, or None."""
        return next((s for s in self.samples if s.sample_id == sample_id), None)

    @classmethod
    def from_json(cls, data: object) -> Voice:
        """Parse a ``VoiceResponseModel`` (only the fields the editor uses)."""
        what = "voice"
        o = _obj(data, what)
        tuning = o.get("fine_tuning")
        verification = o.get("voice_verification")
        return cls(
            voice_id=_req(o, "voice_id", str, what),
            name=_req(o, "name", str, what),
            category=_opt(o, "category", str, what) or "",
            description=_opt(o, "description", str, what),
            samples=tuple(Sample.from_json(s) for s in _list(o, "samples", what)),
            labels=tuple(sorted(_str_map(o, "labels", str, what).items())),
            fine_tuning=None if tuning is None else FineTuning.from_json(tuning),
            recording_quality=recording_quality_from(_opt(o, "recording_quality", str, what)),
            recording_quality_reason=_opt(o, "recording_quality_reason", str, what),
            verification=None
            if verification is None
            else VoiceVerification.from_json(verification),
        )


@dataclass(frozen=True)
class VoicePage:
    """One page of ``GET /v2/voices``."""

    voices: tuple[Voice, ...]
    has_more: bool
    total_count: int
    next_page_token: str | None = None

    @classmethod
    def from_json(cls, data: object) -> VoicePage:
        """Parse a ``GetVoicesV2ResponseModel``."""
        what = "voice list"
        o = _obj(data, what)
        return cls(
            voices=tuple(Voice.from_json(v) for v in _list(o, "voices", what)),
            has_more=_req(o, "has_more", bool, what),
            total_count=_req(o, "total_count", int, what),
            next_page_token=_opt(o, "next_page_token", str, what),
        )


@dataclass(frozen=True)
class AudioClip:
    """Decoded audio sent by the server (sample preview or a speaker's separated audio)."""

    audio: bytes
    media_type: str
    duration_secs: float | None = None

    @classmethod
    def from_json(cls, data: object) -> AudioClip:
        """Parse a ``VoiceSamplePreviewResponseModel`` or ``SpeakerAudioResponseModel``."""
        what = "audio"
        o = _obj(data, what)
        encoded = _req(o, "audio_base_64", str, what)
        try:
            audio = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UnexpectedResponseError(
                "The server's audio is not valid base64.", detail=str(exc)
            ) from None
        return cls(
            audio=audio,
            media_type=_req(o, "media_type", str, what),
            duration_secs=_opt(o, "duration_secs", float, what),
        )

    def __repr__(self) -> str:  # never dump megabytes into a log line
        return (
            f"AudioClip(audio=<{len(self.audio)} bytes>, media_type={self.media_type!r}, "
            f"duration_secs={self.duration_secs!r})"
        )


@dataclass(frozen=True)
class Waveform:
    """The server's coarse ``visual_waveform`` for a sample (resolution undocumented)."""

    sample_id: str
    values: tuple[float, ...]

    @classmethod
    def from_json(cls, data: object) -> Waveform:
        """Parse a ``VoiceSampleVisualWaveformResponseModel``."""
        what = "waveform"
        o = _obj(data, what)
        values = _list(o, "visual_waveform", what)
        if "visual_waveform" not in o:
            raise UnexpectedResponseError("The server's waveform is missing 'visual_waveform'.")
        return cls(
            sample_id=_req(o, "sample_id", str, what),
            values=tuple(_typed(v, "visual_waveform", float, what) for v in values),
        )


# ---------------------------------------------------------------- small bodies


def voice_id_from_json(data: object) -> str:
    """The ``voice_id`` of an ``AddVoiceResponseModel`` (create voice, edit sample)."""
    return _req(_obj(data, "the reply"), "voice_id", str, "reply")


def status_from_json(data: object) -> str:
    """The ``status`` of a delete or start-separation reply (``"ok"`` on success)."""
    return _req(_obj(data, "the reply"), "status", str, "reply")


def samples_from_json(data: object) -> tuple[Sample, ...]:
    """The list of ``SampleResponseModel`` returned by adding samples."""
    if not isinstance(data, list):
        raise UnexpectedResponseError(
            "The server sent the new samples in an unexpected form (not a JSON list).",
            detail=_preview(data),
        )
    return tuple(Sample.from_json(item) for item in data)
