"""Training a voice in the emulator: the dataset check, the states, the quality verdict.

Decisions (the spec gives the fields, not the behaviour):

- ``POST …/train`` refuses a voice whose kept audio is under ``min_dataset_seconds``
  (30 minutes by default, ElevenLabs' minimum) with a 400
  ``{"detail": {"status": "dataset_too_short", "message"}}``. Kept audio is each
  sample's region between its trims, or, once separation is completed and speakers
  are selected, those speakers' utterances inside it (overlaps counted once).
- Otherwise the chosen model (``model_id``, default ``eleven_multilingual_v2``) trains
  for ``seconds`` (20 by default, so the demo shows it): ``queued`` for the first
  tenth, then ``fine_tuning`` with ``progress[model]`` rising from 0 to 1, then
  ``fine_tuned``. Computed from the stored start time, like speaker separation: no
  timer thread, and a restart carries on. A POST while queued or training is a no-op.
- ``dataset_duration_seconds`` is the kept audio at the start of training.
- ``recording_quality`` and ``recording_quality_reason`` come from the noise floor:
  the 10th percentile of 50 ms RMS levels over the kept audio, weighted by each
  sample's kept time: ≤ -70 dBFS studio, ≤ -60 good, ≤ -50 ok, ≤ -40 poor, else bad.
  They are set when training starts (as the review pipeline would after an upload).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pvc_sample_editor.audio.source import open_sound_file
from pvc_sample_editor.emulator.store import SampleRecord
from pvc_sample_editor.emulator.validation import HttpError, error_body

__all__ = [
    "TrainingSettings",
    "fine_tuning_view",
    "kept_spans",
    "noise_floor_db",
    "quality_for",
    "start_record",
]

_QUEUED_SHARE = 0.1
_FRAME_SECS = 0.05
_QUALITY_STEPS = ((-70.0, "studio"), (-60.0, "good"), (-50.0, "ok"), (-40.0, "poor"))


@dataclass(frozen=True)
class TrainingSettings:
    """How long training takes, and how much kept audio it needs."""

    seconds: float = 20.0
    min_dataset_seconds: float = 30 * 60.0

    def __post_init__(self) -> None:
        if not (self.seconds >= 0 and self.min_dataset_seconds >= 0):
            raise ValueError("training time and minimum dataset must not be negative")


def kept_spans(
    sample: SampleRecord, speakers: dict[str, list[tuple[float, float]]] | None
) -> list[tuple[float, float]]:
    """The seconds of ``sample`` that count (see the module doc), merged, in order.

    ``speakers`` maps each separated speaker to its utterances (None before separation
    completed).
    """
    start = (sample.trim_start or 0) / 1000
    end = (sample.trim_end if sample.trim_end is not None else sample.duration_ms) / 1000
    if end <= start:
        return []
    chosen = sample.selected_speaker_ids
    if not speakers or not chosen:
        return [(start, end)]
    clipped = sorted(
        (max(a, start), min(b, end))
        for sid in chosen
        for a, b in speakers.get(sid, [])
        if min(b, end) > max(a, start)
    )
    merged: list[tuple[float, float]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def noise_floor_db(path: Path, spans: list[tuple[float, float]]) -> float:
    """10th percentile of the 50 ms RMS levels (dBFS) over ``spans``, read in blocks."""
    levels: list[np.ndarray[Any, Any]] = []
    with open_sound_file(path) as handle:
        rate = int(handle.samplerate)
        frame = max(1, round(rate * _FRAME_SECS))
        for a, b in spans:
            first, last = round(a * rate), min(round(b * rate), handle.frames)
            handle.seek(first)
            position = first
            while position + frame <= last:
                want = min(frame * 200, (last - position) // frame * frame)
                block = handle.read(want, dtype="float32", always_2d=True)
                if block.shape[0] < frame:
                    break
                mono = block.mean(axis=1, dtype=np.float64)
                usable = mono.size // frame * frame
                power = np.mean(np.square(mono[:usable]).reshape(-1, frame), axis=1)
                levels.append(10 * np.log10(np.maximum(power, 1e-12)))
                position += block.shape[0]
    if not levels:
        return -120.0
    return float(np.percentile(np.concatenate(levels), 10))


def quality_for(floor_db: float) -> tuple[str, str]:
    """``recording_quality`` and its reason for a noise floor in dBFS."""
    quality = next((q for limit, q in _QUALITY_STEPS if floor_db <= limit), "bad")
    advice = {
        "studio": "clean enough for the best clone",
        "good": "fine for a professional clone",
        "ok": "background noise may be heard in the clone; record in a quieter room",
        "poor": "the clone will copy the background noise; remove it or record again",
        "bad": "too noisy to clone well; record again in a quiet room",
    }[quality]
    return quality, f"Noise floor about {floor_db:.0f} dBFS between the words: {advice}."


def start_record(
    training: dict[str, Any],
    model: str,
    kept: list[tuple[Path, list[tuple[float, float]]]],
    now: float,
    settings: TrainingSettings,
) -> dict[str, Any] | None:
    """The voice's new training record, None when ``model`` is already training.

    Raises the 400 of the module doc when the kept audio is too short.
    """
    current = training.get("models", {}).get(model)
    if current is not None and _phase(current, now)[0] in ("queued", "fine_tuning"):
        return None
    total = sum(b - a for _, spans in kept for a, b in spans)
    if total < settings.min_dataset_seconds:
        need = settings.min_dataset_seconds / 60
        raise HttpError(
            400,
            error_body(
                "dataset_too_short",
                f"The voice has {total / 60:.1f} minutes of kept audio; training needs at "
                f"least {need:g}. Add recordings or keep more of them.",
            ),
        )
    weighted = [(noise_floor_db(path, spans), sum(b - a for a, b in spans)) for path, spans in kept]
    floor = sum(f * w for f, w in weighted) / total if total else -120.0
    quality, reason = quality_for(floor)
    models = {**training.get("models", {}), model: {"started_at": now, "seconds": settings.seconds}}
    return {
        "models": models,
        "dataset_duration_seconds": round(total, 3),
        "recording_quality": quality,
        "recording_quality_reason": reason,
    }


def _phase(run: dict[str, Any], now: float) -> tuple[str, float]:
    elapsed = now - float(run["started_at"])
    seconds = float(run["seconds"])
    queued = seconds * _QUEUED_SHARE
    if elapsed >= seconds:
        return "fine_tuned", 1.0
    if elapsed < queued:
        return "queued", 0.0
    return "fine_tuning", math.floor((elapsed - queued) / (seconds - queued) * 100) / 100


def fine_tuning_view(
    stored_state: dict[str, str], training: dict[str, Any], now: float
) -> dict[str, Any]:
    """``state``, ``progress``, ``message`` and ``dataset_duration_seconds`` as of now."""
    state = dict(stored_state)
    progress: dict[str, float] = {}
    message: dict[str, str] = {}
    for model, run in training.get("models", {}).items():
        phase, fraction = _phase(run, now)
        state[model] = phase
        progress[model] = fraction
        message[model] = {
            "queued": "Waiting for a training slot.",
            "fine_tuning": f"Training: {fraction:.0%} done.",
            "fine_tuned": "Training finished: the voice is ready.",
        }[phase]
    return {
        "state": state,
        "progress": progress or None,
        "message": message or None,
        "dataset_duration_seconds": training.get("dataset_duration_seconds"),
    }
