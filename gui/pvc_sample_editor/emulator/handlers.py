"""The API operations: one method per ``operationId``, each returning a 200 body.

Errors are raised as :class:`~.validation.HttpError` (404, 422). The HTTP layer
(:mod:`.server`) does routing, authentication and fault injection; nothing here knows
about sockets. The behaviour decisions are listed in the package docstring.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvc_sample_editor.api.file_names import file_name_problem
from pvc_sample_editor.emulator import audio
from pvc_sample_editor.emulator.bodies import Upload
from pvc_sample_editor.emulator.listing import list_voices_v2
from pvc_sample_editor.emulator.multipart import MultipartError, parse_multipart
from pvc_sample_editor.emulator.segmentation import (
    SidecarError,
    Speaker,
    load_sidecar,
    segment,
    sidecar_path,
)
from pvc_sample_editor.emulator.store import SampleRecord, Store, VoiceRecord, new_id
from pvc_sample_editor.emulator.training import TrainingSettings, kept_spans, start_record
from pvc_sample_editor.emulator.validation import (
    MISSING,
    Fields,
    Missing,
    invalid,
    issue,
    not_found,
    parse_json_object,
    query_bool,
)
from pvc_sample_editor.emulator.views import (
    Separation,
    sample_json,
    separation_json,
    voice_json,
)

__all__ = ["DEFAULT_MODEL_ID", "Api", "Request", "completed_separation"]

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "eleven_multilingual_v2"
Body = Any  # a JSON-ready value


@dataclass(frozen=True)
class Request:
    """What an operation sees of an HTTP request."""

    params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes = b""
    content_type: str = ""
    #: A multipart body the server already read and spooled to disk (see :mod:`.bodies`).
    upload: Upload | None = None


class Api:
    """The emulated service over a :class:`~.store.Store`.

    ``separation_delay`` is how long separation stays ``pending``; ``clock`` returns
    wall-clock seconds (a stored start time must survive a restart, so not monotonic).
    """

    def __init__(
        self,
        store: Store,
        separation_delay: float,
        clock: Callable[[], float] = time.time,
        training: TrainingSettings = TrainingSettings(),  # frozen: a shared default is safe
    ) -> None:
        self.store = store
        self.separation_delay = separation_delay
        self.clock = clock
        self.training = training

    # ------------------------------------------------------------- lookups

    def _voice(self, voice_id: str, *, pvc: bool = True) -> VoiceRecord:
        voice = self.store.voice(voice_id)
        if voice is None:
            raise not_found("voice", f"A voice with the voice_id {voice_id} was not found.")
        if pvc and voice.category != "professional":
            raise not_found(
                "voice",
                f"The voice {voice_id} is not a professional voice clone ({voice.category}).",
            )
        return voice

    def _sample(self, req: Request) -> SampleRecord:
        voice_id, sample_id = req.params["voice_id"], req.params["sample_id"]
        self._voice(voice_id)
        sample = self.store.sample(voice_id, sample_id)
        if sample is None:
            raise not_found(
                "sample",
                f"A sample with the sample_id {sample_id} was not found in voice {voice_id}.",
            )
        return sample

    def separation(self, sample: SampleRecord) -> Separation:
        """The separation state now, derived from the stored start time and result."""
        if sample.separation_started_at is None or sample.separation_result is None:
            return Separation("not_started")
        if self.clock() < sample.separation_started_at + self.separation_delay:
            return Separation("pending")
        result = sample.separation_result
        if result.get("status") != "completed":
            return Separation("failed")
        speakers = tuple(
            Speaker(s["speaker_id"], tuple((a, b) for a, b in s["utterances"]))
            for s in result["speakers"]
        )
        return Separation("completed", speakers)

    def _sample_json(self, sample: SampleRecord) -> dict[str, Any]:
        return sample_json(sample, self.separation(sample))

    def _voice_json(self, voice: VoiceRecord) -> dict[str, Any]:
        samples = [self._sample_json(s) for s in self.store.samples(voice.voice_id)]
        return voice_json(voice, samples, self.clock())

    # -------------------------------------------------------------- voices

    def create_pvc_voice(self, req: Request) -> Body:
        """POST /v1/voices/pvc: a new, empty professional voice."""
        fields = _json_fields(req, required=True)
        name = fields.string("name", required=True, max_length=100)
        language = fields.string("language", required=True)
        description = fields.string("description", nullable=True, max_length=500)
        labels = fields.string_map("labels", nullable=True)
        fields.check()
        assert isinstance(name, str)
        assert isinstance(language, str)
        voice_id = new_id()
        self.store.add_voice(
            VoiceRecord(
                voice_id=voice_id,
                name=name,
                category="professional",
                language=language,
                description=None if isinstance(description, Missing) else description,
                labels=labels if isinstance(labels, dict) else {},
                created_at_unix=int(self.clock()),
                is_legacy=False,
            )
        )
        return {"voice_id": voice_id}

    def edit_pvc_voice(self, req: Request) -> Body:
        """POST /v1/voices/pvc/{voice_id}: rename, relabel; omitted fields stay."""
        voice = self._voice(req.params["voice_id"])
        fields = _json_fields(req, required=False)
        changes: dict[str, object] = {
            "name": fields.string("name", max_length=100),
            "language": fields.string("language"),
            "description": fields.string("description", nullable=True, max_length=500),
            "labels": fields.string_map("labels", nullable=True),
        }
        fields.check()
        if changes["labels"] is None:
            changes["labels"] = {}
        self.store.update_voice(
            voice.voice_id, {k: v for k, v in changes.items() if v is not MISSING}
        )
        return {"voice_id": voice.voice_id}

    def run_pvc_voice_training(self, req: Request) -> Body:
        """POST …/train: start training the model on the kept audio (see :mod:`.training`)."""
        voice = self._voice(req.params["voice_id"])
        fields = _json_fields(req, required=False)
        model_id = fields.string("model_id", nullable=True)
        fields.check()
        model = model_id if isinstance(model_id, str) else DEFAULT_MODEL_ID
        kept = []
        for sample in self.store.samples(voice.voice_id):
            separation = self.separation(sample)
            speakers = {s.speaker_id: list(s.utterances) for s in separation.speakers or ()}
            kept.append((self.store.audio_path(sample), kept_spans(sample, speakers or None)))
        record = start_record(voice.training, model, kept, self.clock(), self.training)
        if record is not None:
            self.store.update_voice(voice.voice_id, {"training": record})
        return {"status": "ok"}

    def get_voice_by_id(self, req: Request) -> Body:
        """GET /v1/voices/{voice_id}: the voice with its samples (any category)."""
        return self._voice_json(self._voice(req.params["voice_id"], pvc=False))

    def get_voices(self, req: Request) -> Body:
        """GET /v1/voices: every voice, oldest first; legacy ones only with show_legacy."""
        show_legacy = query_bool(req.query, "show_legacy", False)
        voices = [v for v in self.store.voices() if show_legacy or not v.is_legacy]
        return {"voices": [self._voice_json(v) for v in voices]}

    def get_user_voices_v2(self, req: Request) -> Body:
        """GET /v2/voices: filtered, sorted and paged (see the package docstring)."""
        page, has_more, total, token = list_voices_v2(self.store.voices(), req.query)
        return {
            "voices": [self._voice_json(v) for v in page],
            "has_more": has_more,
            "total_count": total,
            "next_page_token": token,
        }

    # ------------------------------------------------------------- samples

    def add_pvc_voice_samples(self, req: Request) -> Body:
        """POST …/samples: store each uploaded file; all or nothing."""
        voice = self._voice(req.params["voice_id"])
        try:
            if req.upload is None:
                parts = parse_multipart(req.body, req.content_type)
            elif req.upload.error is not None:
                raise MultipartError(req.upload.error)
            else:
                parts = req.upload.parts
        except MultipartError as exc:
            raise invalid(
                issue(["body", "files"], f"Field required ({exc})", "missing", None)
            ) from None
        files = [p for p in parts if p.name == "files"]
        if not files:
            raise invalid(issue(["body", "files"], "Field required", "missing", None))
        noise = [p.text() for p in parts if p.name == "remove_background_noise"]
        remove_noise = query_bool(
            {"remove_background_noise": noise}, "remove_background_noise", False
        )
        fields = Fields({}, where="body")
        added: list[SampleRecord] = []
        for index, part in enumerate(files):
            if part.filename is None:
                fields.value_error(
                    ["files", index], "Expected UploadFile, received: <class 'str'>", part.text()
                )
                continue
            name = _base_name(part.filename) or f"sample-{index + 1}"
            # The edit endpoint's rule: a name stored here must be one it can save again.
            problem = file_name_problem(name)
            if problem:
                fields.value_error(["files", index], problem, name)
                continue
            try:
                added.append(
                    self.store.add_sample(
                        voice.voice_id,
                        name,
                        part.file if part.file is not None else part.content,
                        remove_background_noise=remove_noise,
                    )
                )
            except audio.UnreadableAudioError as exc:
                fields.value_error(["files", index], str(exc), name)
        if fields.issues:
            for sample in added:  # all or nothing: undo the good files of a bad upload
                self.store.delete_sample(sample)
            fields.check()
        return [self._sample_json(s) for s in added]

    def edit_pvc_voice_sample(self, req: Request) -> Body:
        """POST …/samples/{sample_id}: THE EDIT (trims, speakers, noise, file name)."""
        with self.store.transaction():  # nothing is written before the last check
            sample = self._sample(req)  # 404 first, then types, then checks against state
            fields = _json_fields(req, required=False)
            noise = fields.boolean("remove_background_noise")
            speakers = fields.string_list("selected_speaker_ids", nullable=True)
            start = fields.integer("trim_start_time", nullable=True)
            end = fields.integer("trim_end_time", nullable=True)
            file_name = fields.string("file_name", nullable=True)
            fields.check()  # types first, as pydantic does
            # The spec gives remove_background_noise "default": false, so an absent key
            # means false. The other four fields declare no default: absent is unchanged.
            changes: dict[str, object] = {
                "remove_background_noise": False if isinstance(noise, Missing) else noise
            }
            _check_trims(fields, sample, start, end, changes)
            self._check_speakers(fields, sample, speakers, changes)
            if isinstance(file_name, str):
                problem = file_name_problem(file_name)
                if problem:
                    fields.value_error("file_name", problem, file_name)
                changes["file_name"] = file_name
            fields.check()
            self.store.update_sample(sample.sample_id, changes)
        return {"voice_id": sample.voice_id}

    def _check_speakers(
        self,
        fields: Fields,
        sample: SampleRecord,
        ids: list[str] | Missing | None,
        changes: dict[str, object],
    ) -> None:
        if ids is None:
            changes["selected_speaker_ids"] = None
        if not isinstance(ids, list):
            return
        separation = self.separation(sample)
        if separation.status != "completed":
            fields.value_error(
                "selected_speaker_ids",
                f"speaker separation is {separation.status}, not completed; start it with "
                "POST …/separate-speakers and wait until GET …/speakers says completed",
                ids,
            )
            return
        if not ids:
            fields.value_error(
                "selected_speaker_ids",
                "select at least one speaker, or send null to clear the selection",
                ids,
            )
        known = [s.speaker_id for s in separation.speakers or ()]
        for index, speaker_id in enumerate(ids):
            if speaker_id not in known:
                fields.value_error(
                    ["selected_speaker_ids", index],
                    f"unknown speaker id {speaker_id!r}; this sample has {', '.join(known)}",
                    speaker_id,
                )
            elif speaker_id in ids[:index]:
                fields.value_error(
                    ["selected_speaker_ids", index], f"{speaker_id!r} is listed twice", speaker_id
                )
        changes["selected_speaker_ids"] = ids

    def delete_pvc_voice_sample(self, req: Request) -> Body:
        """DELETE …/samples/{sample_id}: the row, the audio and its sidecar."""
        self.store.delete_sample(self._sample(req))
        return {"status": "ok"}

    def get_pvc_sample_audio(self, req: Request) -> Body:
        """GET …/audio: the first 30 s as base64 WAV (optionally noise-gated)."""
        sample = self._sample(req)
        denoise = query_bool(req.query, "remove_background_noise", False)
        data, duration = audio.preview(
            self.store.audio_path(sample), remove_background_noise=denoise
        )
        return {
            "audio_base_64": base64.b64encode(data).decode("ascii"),
            "voice_id": sample.voice_id,
            "sample_id": sample.sample_id,
            "media_type": audio.PREVIEW_MEDIA_TYPE,
            "duration_secs": duration,
        }

    def get_pvc_sample_visual_waveform(self, req: Request) -> Body:
        """GET …/waveform: peak per 100 ms of the whole file (see :mod:`.audio`)."""
        sample = self._sample(req)
        peaks = audio.visual_waveform(self.store.audio_path(sample))
        return {"sample_id": sample.sample_id, "visual_waveform": peaks}

    # ------------------------------------------------------------ speakers

    def get_pvc_sample_speakers(self, req: Request) -> Body:
        """GET …/speakers: the separation state, speakers once completed, the selection."""
        sample = self._sample(req)
        return separation_json(sample, self.separation(sample))

    def start_speaker_separation(self, req: Request) -> Body:
        """POST …/separate-speakers: start (or, after ``failed``, restart) separation.

        While pending or once completed this is a no-op, so a retried POST cannot reset
        the speakers or the selection. The separation itself (seconds for a long
        sample) runs outside the store's lock, so other requests are answered
        meanwhile; the state is checked again before the result is written.
        """
        sample = self._sample(req)
        if self.separation(sample).status in ("pending", "completed"):
            return {"status": "ok"}
        try:
            result: dict[str, Any] | None = _separate(self.store.audio_path(sample))
            failure: BaseException | None = None
        except Exception as exc:  # the sample may have been deleted meanwhile: see below
            result, failure = None, exc
        with self.store.transaction():
            sample = self._sample(req)  # 404 if it was deleted while separating
            if self.separation(sample).status in ("pending", "completed"):
                return {"status": "ok"}  # a concurrent POST got there first
            if failure is not None:
                raise failure
            self.store.update_sample(
                sample.sample_id,
                {
                    "separation_started_at": self.clock(),
                    "separation_result": result,
                    "selected_speaker_ids": None,
                },
            )
        return {"status": "ok"}

    def get_speaker_audio(self, req: Request) -> Body:
        """GET …/speakers/{speaker_id}/audio: that speaker's utterances, joined, as WAV."""
        sample = self._sample(req)
        speaker_id = req.params["speaker_id"]
        speaker = self.separation(sample).speaker(speaker_id)
        if speaker is None:
            raise not_found(
                "speaker",
                f"A speaker with the speaker_id {speaker_id} was not found in sample "
                f"{sample.sample_id} (separation must be completed first).",
            )
        data, duration = audio.cut_spans(self.store.audio_path(sample), speaker.utterances)
        return {
            "audio_base_64": base64.b64encode(data).decode("ascii"),
            "media_type": audio.PREVIEW_MEDIA_TYPE,
            "duration_secs": duration,
        }


def _separate(path: Path) -> dict[str, Any]:
    """The stored outcome of separating the audio at ``path``: sidecar or segmentation."""
    side = sidecar_path(path)
    try:
        if side.is_file():
            speakers = load_sidecar(side)
        else:
            mono, rate = audio.load_mono(path)
            speakers = segment(mono, rate)
    except SidecarError as exc:
        log.warning("speaker separation failed: %s", exc)
        return {"status": "failed", "reason": str(exc)}
    if not speakers:
        return {"status": "failed", "reason": "no speech found"}
    return completed_separation(speakers)


def completed_separation(speakers: Sequence[Speaker]) -> dict[str, Any]:
    """The stored outcome of a separation that found ``speakers`` (the demo seeds one)."""
    return {
        "status": "completed",
        "speakers": [
            {"speaker_id": s.speaker_id, "utterances": [list(u) for u in s.utterances]}
            for s in speakers
        ],
    }


def _check_trims(
    fields: Fields,
    sample: SampleRecord,
    start: int | Missing | None,
    end: int | Missing | None,
    changes: dict[str, object],
) -> None:
    """Range-check the given trims and the region they leave with the stored ones."""
    if isinstance(start, Missing) and isinstance(end, Missing):
        return
    total = sample.duration_ms
    in_range = True
    for name, value in (("trim_start_time", start), ("trim_end_time", end)):
        if isinstance(value, int) and not 0 <= value <= total:
            fields.value_error(
                name, f"{name} must be between 0 and {total} ms (the sample's length)", value
            )
            in_range = False
    new_start = sample.trim_start if isinstance(start, Missing) else start
    new_end = sample.trim_end if isinstance(end, Missing) else end
    first = new_start if new_start is not None else 0
    last = new_end if new_end is not None else total
    if in_range and first >= last:
        where = "trim_start_time" if isinstance(end, Missing) else "trim_end_time"
        fields.value_error(
            where,
            f"the kept region would be empty: start {first} ms is not before end {last} ms",
            start if where == "trim_start_time" else end,
        )
    if not isinstance(start, Missing):
        changes["trim_start"] = start
    if not isinstance(end, Missing):
        changes["trim_end"] = end


def _json_fields(req: Request, *, required: bool) -> Fields:
    """The request's JSON object body, ready to read fields from (422s as FastAPI words them)."""
    return Fields(parse_json_object(req.body, required=required, content_type=req.content_type))


def _base_name(file_name: str) -> str:
    """The last component of an uploaded file name, whichever OS sent it.

    Split by hand rather than with ``PurePath``, which reads ``.`` as "no name" and
    would let it through as an empty name.
    """
    return re.split(r"[/\\]", file_name)[-1].strip()
