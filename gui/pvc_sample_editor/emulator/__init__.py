"""A local stand-in for the ElevenLabs PVC sample API: the app's offline default.

Qt-free; stdlib plus numpy and soundfile. Start one with
:class:`~pvc_sample_editor.emulator.server.EmulatorServer` (or the ``emulator`` CLI
command, :mod:`.cli`); state lives in SQLite and audio files under its ``data_dir``.

Modules: :mod:`.server` (HTTP, auth, faults), :mod:`.handlers` (the operations),
:mod:`.validation` (422/404 bodies), :mod:`.store` (SQLite + files), :mod:`.audio`
(waveform, previews), :mod:`.segmentation` (speakers), :mod:`.listing` (``/v2/voices``),
:mod:`.faults` (fault injection, request log), :mod:`.multipart` and :mod:`.bodies`
(request bodies, uploads streamed to disk), :mod:`.training` (train, quality), :mod:`.routes`,
:mod:`.views` (response models), :mod:`.demo` (demo ids and seeding), :mod:`.demo_audio`
(the demo's generated recordings), :mod:`.cli`.

Decisions on what the spec leaves open (each one is tested in
``tests/core/test_emulator*.py``):

The edit, ``POST /v1/voices/pvc/{voice_id}/samples/{sample_id}``

- An omitted ``remove_background_noise`` is ``false``: the spec's body schema gives
  it ``"default": false``, so a server built from the spec applies that (an empty body
  too). The other four fields declare no default at all (not even ``null``), so
  omitting one leaves the stored value unchanged.
- ``null`` for ``trim_start_time`` / ``trim_end_time`` clears that trim; it reads back
  as ``null`` meaning untrimmed (start 0 / end = the duration).
- ``null`` for ``selected_speaker_ids`` clears the selection (allowed in any separation
  state). ``null`` for ``file_name`` leaves the name unchanged.
- Trims are integer milliseconds in and out (``trim_start`` / ``trim_end``). Each given
  trim must lie in ``[0, duration_ms]`` where ``duration_ms = round(duration_secs *
  1000)``; the region left (given values, else the stored ones, else 0 / duration) must
  be non-empty: start < end. Violations are 422 ``value_error`` on the field concerned.
- Types are checked strictly against the spec: ``"abc"``, ``"15"``, ``1.5`` and
  ``true`` are not trims (``1500.0`` is); ``remove_background_noise`` must be a JSON
  boolean and is not nullable.
- ``selected_speaker_ids`` (a list) is only accepted once separation is ``completed``;
  every id must be a known speaker, none twice, and the list not empty. It replaces
  the selection and is stored and read back in the order given.
- ``file_name`` follows the one rule of :mod:`pvc_sample_editor.api.file_names` (not
  empty, not a path, not ``.``/``..``, no control or invisible characters or lone
  surrogates, at most 255 UTF-8 bytes); uploads follow the same rule, on the last
  part of the name the browser sent.
- All checks run before anything is stored: a 422 changes nothing.

Speakers

- ``POST …/separate-speakers`` makes the status ``pending``; it reads ``completed`` (or
  ``failed`` when no speech is found or the sidecar is broken) once
  ``separation_delay`` seconds have passed since the POST. Computed lazily from the
  stored start time -- no timer thread. Posting again while ``pending`` or
  ``completed`` is a no-op (a retried request cannot wipe the selection); after
  ``failed`` it starts over.
- Speakers come from the ``<audio>.speakers.json`` sidecar if the stored audio has one
  (the seeded demo does), else from :mod:`.segmentation`. ``speakers`` is ``null``
  until completed.
- ``GET …/speakers/{speaker_id}/audio`` is that speaker's utterances joined in time
  order; an unknown speaker, or any speaker before completion, is 404
  ``speaker_not_found``.

Audio

- Previews and speaker audio are 16-bit WAV, ``media_type`` ``audio/wav``. The sample
  preview is the first 30 s of the uploaded file, untrimmed (trims are metadata);
  ``remove_background_noise=true`` applies a spectral gate (see :mod:`.audio`).
- ``visual_waveform``: one peak-absolute value in ``[0, 1]`` per 100 ms of the whole file.
- Uploads are parsed as they arrive and their files spooled to disk (:mod:`.bodies`),
  so their size is bounded by free disk space only, not memory. They are decoded with
  libsndfile: ``duration_secs`` (rounded to ms), the MIME type
  from the decoded format, the real ``size_bytes`` and a SHA-256 ``hash``. A file that
  does not decode makes the whole upload a 422 and nothing is stored.

Voices

- PVC routes (``/v1/voices/pvc/...``) answer 404 ``voice_not_found`` for voices that
  are not ``professional``; ``GET /v1/voices/{id}`` shows any voice.
- ``GET /v1/voices/{id}`` lists the voice's samples whole, in upload order: the spec
  has no paging or sorting for samples (only ``/v2/voices`` pages, and it pages voices).
  Hundreds of samples per voice are fine (an index on the voice; nothing decoded).
- ``POST /v1/voices/pvc/{id}``: omitted fields unchanged; ``null`` clears the
  description and the labels. ``…/train`` refuses under 30 minutes of kept audio and
  otherwise moves the model through ``queued``, ``fine_tuning`` and ``fine_tuned`` in
  ``TrainingSettings.seconds``; see :mod:`.training`.
- ``GET /v2/voices``: see :mod:`.listing`.

Errors: unknown voice / sample / speaker -> 404 ``{"detail": {"status":
"voice_not_found" | "sample_not_found" | "speaker_not_found", "message"}}``; missing or
wrong ``xi-api-key`` -> 401 ``invalid_api_key``; bad bodies and queries -> 422
``HTTPValidationError`` with pydantic's ``type`` codes.

Bodies: JSON is read only under ``application/json``, ``application/*+json`` or no
Content-Type (as FastAPI does); another type is a 422 ``model_attributes_type`` and
nothing is applied. What JSON cannot carry back (NaN, Infinity, numbers beyond a
float), integers of more than 4,300 digits, nesting deeper than 64 and text that is not
UTF-8 are 422 ``json_invalid``; a duplicate key keeps its last value (as FastAPI). A
body that ends before its Content-Length is 400, one that stalls for ``body_timeout``
seconds 408, a JSON body over 16 MiB 413; none is applied and the connection closes.
"""
