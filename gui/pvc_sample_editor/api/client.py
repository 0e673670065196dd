"""The typed HTTP client for the ElevenLabs PVC sample API (Qt-free, blocking).

Every method sends one logical request through :class:`~pvc_sample_editor.api.transport.
Transport` and returns a frozen dataclass from :mod:`pvc_sample_editor.api.models`, or
raises one of the typed errors in :mod:`pvc_sample_editor.api.errors`. The UI runs these
calls on worker threads. Retries, timeouts, size caps and key redaction are the
transport's; this module knows the endpoints.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import requests

from pvc_sample_editor.api.errors import NotFoundError
from pvc_sample_editor.api.file_names import file_name_problem
from pvc_sample_editor.api.models import (
    AudioClip,
    Sample,
    SampleEditRequest,
    SpeakerSeparation,
    Voice,
    VoicePage,
    Waveform,
    encode_body,
    samples_from_json,
    status_from_json,
    voice_id_from_json,
)
from pvc_sample_editor.api.retry import RetryNotice, RetryPolicy
from pvc_sample_editor.api.transport import AUDIO_BODY_LIMIT, Call, Timeouts, Transport
from pvc_sample_editor.api.upload import UploadFile, UploadFileError, multipart_body

__all__ = ["KEEP", "ApiClient", "RetryNotice", "RetryPolicy", "Timeouts", "UploadFileError"]

# The bytes an audio download is given time for: a 30-second preview or a speaker's
# clip in base64 JSON (a few MB); longer clips get the time the limit allows them.
_AUDIO_SIZE_HINT = 8 * 1024 * 1024


class _Keep(Enum):
    """The default of :meth:`ApiClient.update_voice`'s fields: leave it as it is."""

    KEEP = "keep"


#: Passed (or left as the default) for a field :meth:`ApiClient.update_voice` must not send.
KEEP = _Keep.KEEP


class ApiClient:
    """Blocking client for the PVC sample endpoints; safe to share between worker threads.

    ``session`` is injectable (tests, proxies); a session passed in stays the caller's to
    close, one created here is closed by :meth:`close`. ``sleep`` is how retry waits pass
    when no ``cancel`` event is given, or always when a test injects its own.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = Timeouts(),  # frozen, so a shared default is safe
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        self._transport = Transport(
            base_url,
            api_key,
            session=session,
            timeouts=timeouts,
            retry=retry,
            sleep=sleep,
            on_retry=on_retry,
        )
        self._send = self._transport.send

    # ------------------------------------------------------------ housekeeping

    @property
    def base_url(self) -> str:
        """The normalised server address, without a trailing slash."""
        return self._transport.base_url

    def __repr__(self) -> str:
        state = "set" if self._transport.api_key else "missing"
        return f"ApiClient(base_url={self.base_url!r}, key={state})"

    def close(self) -> None:
        """Close the connection pool (only if this client created the session)."""
        self._transport.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ endpoints

    def list_voices(
        self,
        *,
        search: str | None = None,
        page_size: int = 30,
        next_page_token: str | None = None,
        cancel: threading.Event | None = None,
    ) -> VoicePage:
        """One page of the account's professional voices (``GET /v2/voices``)."""
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        params = {
            "category": "professional",
            "include_total_count": "true",
            "page_size": str(page_size),
        }
        if search:
            params["search"] = search
        if next_page_token:
            params["next_page_token"] = next_page_token
        call = Call("GET", "/v2/voices", "the voice list", "The voice list", params=params)
        return VoicePage.from_json(self._send(call, cancel))

    def get_voice(self, voice_id: str, *, cancel: threading.Event | None = None) -> Voice:
        """A voice with its samples (``GET /v1/voices/{voice_id}``)."""
        call = Call("GET", _path("v1", "voices", voice_id), "the voice", "The voice")
        return Voice.from_json(self._send(call, cancel))

    def get_sample(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> Sample:
        """One sample's current state, read from its voice (there is no sample endpoint)."""
        voice = self.get_voice(voice_id, cancel=cancel)
        sample = voice.sample(sample_id)
        if sample is None:
            raise NotFoundError(
                "The sample is no longer part of this voice. It may have been deleted; "
                "refresh the voice.",
                detail={"voice_id": voice_id, "sample_id": sample_id},
            )
        return sample

    def edit_sample(
        self,
        voice_id: str,
        sample_id: str,
        request: SampleEditRequest,
        *,
        cancel: threading.Event | None = None,
    ) -> str:
        """Apply the edit ``request``; returns the voice id the server answers with.

        The body is byte-for-byte what the official SDK sends. The editing core builds
        ``request`` only from a valid edit (:func:`~pvc_sample_editor.editing.edit.build_request`).
        """
        body = encode_body(request.to_json())
        call = Call("POST", _sample_path(voice_id, sample_id), "the edit", "The sample", body=body)
        return voice_id_from_json(self._send(call, cancel))

    def get_speakers(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> SpeakerSeparation:
        """The sample's speaker-separation state and speakers."""
        path = _sample_path(voice_id, sample_id, "speakers")
        call = Call("GET", path, "the speakers", "The sample")
        return SpeakerSeparation.from_json(self._send(call, cancel))

    def start_speaker_separation(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> str:
        """Start separating the sample's speakers; returns the server's status (``"ok"``)."""
        path = _sample_path(voice_id, sample_id, "separate-speakers")
        call = Call("POST", path, "speaker separation", "The sample")
        return status_from_json(self._send(call, cancel))

    def get_speaker_audio(
        self,
        voice_id: str,
        sample_id: str,
        speaker_id: str,
        *,
        cancel: threading.Event | None = None,
    ) -> AudioClip:
        """One separated speaker's audio."""
        path = _sample_path(voice_id, sample_id, "speakers", speaker_id, "audio")
        call = Call(
            "GET",
            path,
            "the speaker's audio",
            "The speaker",
            limit=AUDIO_BODY_LIMIT,
            size_hint=_AUDIO_SIZE_HINT,
        )
        return AudioClip.from_json(self._send(call, cancel))

    def get_sample_preview(
        self,
        voice_id: str,
        sample_id: str,
        *,
        remove_background_noise: bool = False,
        cancel: threading.Event | None = None,
    ) -> AudioClip:
        """The server's preview of the sample: only its first 30 s."""
        params = {"remove_background_noise": _flag(remove_background_noise)}
        call = Call(
            "GET",
            _sample_path(voice_id, sample_id, "audio"),
            "the sample preview",
            "The sample",
            params=params,
            limit=AUDIO_BODY_LIMIT,
            size_hint=_AUDIO_SIZE_HINT,
        )
        return AudioClip.from_json(self._send(call, cancel))

    def get_sample_waveform(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> Waveform:
        """The server's coarse waveform of the sample."""
        path = _sample_path(voice_id, sample_id, "waveform")
        call = Call("GET", path, "the waveform", "The sample")
        return Waveform.from_json(self._send(call, cancel))

    def add_samples(
        self,
        voice_id: str,
        files: Sequence[Path],
        *,
        remove_background_noise: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[Sample, ...]:
        """Upload audio files as new samples (one ``files`` part each), streamed from disk.

        ``on_progress(sent, total)`` reports the request's bytes as they leave (from 0
        again if an attempt is retried); ``cancel`` ends the upload within 50 ms. The
        answer is waited for longer than a JSON call's, by size
        (:meth:`Timeouts.read_for_upload`). OSError if a file cannot be measured,
        :class:`UploadFileError` if one cannot be read or changes while it is sent,
        ValueError (before anything is sent) if one's name breaks the rule every
        sample's name follows.
        """
        if not files:
            raise ValueError("add_samples needs at least one file")
        uploads = []
        for file in files:
            path = Path(file)
            problem = file_name_problem(path.name)
            if problem is not None:  # the server would store a name no edit can keep
                raise ValueError(f"{path.name!r} cannot be uploaded as it is named: {problem}")
            uploads.append(UploadFile.of(path))
        make_body = multipart_body(
            uploads, [("remove_background_noise", _flag(remove_background_noise))]
        )
        size = sum(u.size for u in uploads)
        call = Call(
            "POST",
            _path("v1", "voices", "pvc", voice_id, "samples"),
            "the new samples",
            "The voice",
            stream=lambda: make_body(on_progress, cancel),
            creates=True,
            size_hint=size,  # uploads get time by size
            read_timeout=self._transport.timeouts.read_for_upload(size),
        )
        return samples_from_json(self._send(call, cancel))

    def delete_sample(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> str:
        """Delete a sample; returns the server's status (``"ok"``)."""
        call = Call("DELETE", _sample_path(voice_id, sample_id), "the deletion", "The sample")
        return status_from_json(self._send(call, cancel))

    def create_voice(
        self,
        name: str,
        language: str,
        *,
        description: str | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Create an empty professional voice; returns its id."""
        payload: dict[str, Any] = {"name": name, "language": language}
        if description is not None:
            payload["description"] = description
        call = Call(
            "POST",
            "/v1/voices/pvc",
            "the new voice",
            "The voice",
            body=encode_body(payload),
            creates=True,
        )
        return voice_id_from_json(self._send(call, cancel))

    def update_voice(
        self,
        voice_id: str,
        *,
        name: str | _Keep = KEEP,
        description: str | _Keep | None = KEEP,
        labels: Mapping[str, str] | _Keep | None = KEEP,
        cancel: threading.Event | None = None,
    ) -> str:
        """Change a voice's name, description or labels (``POST /v1/voices/pvc/{id}``).

        A field left as :data:`KEEP` is not sent, so the server leaves it unchanged;
        None clears the description or the labels. Returns the voice id.
        """
        payload: dict[str, Any] = {}
        if not isinstance(name, _Keep):
            payload["name"] = name
        if not isinstance(description, _Keep):
            payload["description"] = description
        if not isinstance(labels, _Keep):
            payload["labels"] = None if labels is None else dict(labels)
        call = Call(
            "POST",
            _path("v1", "voices", "pvc", voice_id),
            "the voice's details",
            "The voice",
            body=encode_body(payload),
        )
        return voice_id_from_json(self._send(call, cancel))

    def train_voice(
        self,
        voice_id: str,
        *,
        model_id: str | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Start training the voice (``POST …/train``); returns the server's status.

        ``model_id`` None lets the server choose (``eleven_multilingual_v2``). Follow
        the training with :meth:`get_voice`: ``Voice.fine_tuning`` says each model's
        state and progress.
        """
        payload = {} if model_id is None else {"model_id": model_id}
        call = Call(
            "POST",
            _path("v1", "voices", "pvc", voice_id, "train"),
            "the training request",
            "The voice",
            body=encode_body(payload),
            creates=True,  # a 5xx may have started it: do not start it twice
        )
        return status_from_json(self._send(call, cancel))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _path(*segments: str) -> str:
    # Ids are quoted whole so that an id with '/' or '?' cannot reach another endpoint.
    return "/" + "/".join(quote(s, safe="") for s in segments)


def _sample_path(voice_id: str, sample_id: str, *rest: str) -> str:
    return _path("v1", "voices", "pvc", voice_id, "samples", sample_id, *rest)
