"""The offline demo: its fixed key and ids, where its audio lives, and the voices seeded.

The ids are fixed strings shaped like real ElevenLabs ids (20 letters and digits) so
that a demo session, a screenshot and a test all name the same voice and sample.

The demo voice holds a workspace, not one sample: the bundled two-speaker interview
first, then four generated recordings of about 2, 5, 9 and 14 minutes
(:data:`DEMO_EXTRA_SAMPLES`, made by :mod:`.demo_audio`), some trimmed, one with noise
removal on, and one already separated with only its host kept. Together they keep just
under the 30 minutes a voice needs, so the budget has something to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvc_sample_editor.emulator.demo_audio import Recording, render
from pvc_sample_editor.emulator.handlers import completed_separation
from pvc_sample_editor.emulator.segmentation import Speaker
from pvc_sample_editor.emulator.store import Store, VoiceRecord
from pvc_sample_editor.system.resources import resource_path

__all__ = [
    "DEMO_API_KEY",
    "DEMO_AUDIO_RESOURCE",
    "DEMO_EXTRA_SAMPLES",
    "DEMO_SAMPLE_ID",
    "DEMO_VOICE_ID",
    "DEMO_VOICE_NAME",
    "EXTRA_VOICES",
    "DemoIds",
    "SeedSample",
    "SeedVoice",
    "find_demo_audio",
    "seed",
]

# A local demo key, not a secret: the emulator only listens on loopback by default.
DEMO_API_KEY = "offline-demo-key"
DEMO_VOICE_ID = "DemoVoicePvc0ffline1"
DEMO_SAMPLE_ID = "DemoSampleInterview1"
DEMO_VOICE_NAME = "Demo narrator (offline)"
DEMO_AUDIO_RESOURCE = "demo/demo-interview.flac"
DEMO_CREATED_AT_UNIX = 1_700_000_400


@dataclass(frozen=True)
class DemoIds:
    """What :meth:`EmulatorServer.seed_demo` created: the demo voice, its sample, its audio."""

    voice_id: str
    sample_id: str
    audio_path: Path


@dataclass(frozen=True)
class SeedVoice:
    """A voice the emulator seeds besides the demo voice (no samples of its own)."""

    voice_id: str
    name: str
    category: str
    description: str
    created_at_unix: int
    is_legacy: bool = False


# These exist so that listing, paging, search, the category filter and show_legacy have
# something to tell apart: two more professional voices, one instant clone, one legacy
# premade voice. The demo voice is the newest, so it heads the default (newest first)
# /v2/voices order.
EXTRA_VOICES: tuple[SeedVoice, ...] = (
    SeedVoice(
        "ProVoiceAudiobook002",
        "Audiobook baritone",
        "professional",
        "Warm, slow reading voice.",
        1_700_000_100,
    ),
    SeedVoice(
        "ProVoicePodcastHost3",
        "Podcast host",
        "professional",
        "Bright conversational voice.",
        1_700_000_200,
    ),
    SeedVoice(
        "ClonedVoiceQuick0004",
        "Quick clone (instant)",
        "cloned",
        "An instant voice clone; not editable here.",
        1_700_000_300,
    ),
    SeedVoice(
        "PremadeLegacyVoice05",
        "Legacy premade",
        "premade",
        "Listed only with show_legacy=true.",
        1_600_000_000,
        is_legacy=True,
    ),
)


@dataclass(frozen=True)
class SeedSample:
    """A generated sample of the demo voice and the state it is seeded in.

    ``kept_speakers``: when set, the sample is seeded with its separation completed
    (the speakers of its sidecar) and only these speakers selected.
    """

    sample_id: str
    recording: Recording
    trim_start: int | None = None
    trim_end: int | None = None
    remove_background_noise: bool = False
    kept_speakers: tuple[str, ...] | None = None


_WARMUP = Recording("warm-up reading 2026-11-02.flac", 18_731, 7, (128.0,), seed=2)
_PODCAST = Recording("podcast ep12 - host and guest.flac", 21_347, 14, (118.0, 210.0), seed=3)
_CHAPTER_1 = Recording("audiobook ch01 take 2.flac", 19_913, 27, (131.0,), seed=4)
_CHAPTER_2 = Recording("audiobook ch02.flac", 20_389, 41, (126.0,), seed=5)

# After the interview, in upload order: 2.2, 5.0, 9.0 and 13.9 minutes.
DEMO_EXTRA_SAMPLES: tuple[SeedSample, ...] = (
    SeedSample("DemoSampleWarmup0002", _WARMUP, trim_start=2_400),
    SeedSample("DemoSamplePodcast003", _PODCAST, kept_speakers=("speaker_0",)),
    SeedSample(
        "DemoSampleChapter004",
        _CHAPTER_1,
        trim_start=3_150,
        trim_end=_CHAPTER_1.duration_ms - 8_420,
    ),
    SeedSample("DemoSampleChapter005", _CHAPTER_2, remove_background_noise=True),
)


def _add_generated(store: Store, seeded: SeedSample) -> None:
    rendered = render(seeded.recording)
    store.add_sample(
        DEMO_VOICE_ID,
        seeded.recording.file_name,
        rendered.flac,
        sample_id=seeded.sample_id,
        sidecar=rendered.sidecar,
        remove_background_noise=seeded.remove_background_noise,
    )
    changes: dict[str, object] = {"trim_start": seeded.trim_start, "trim_end": seeded.trim_end}
    if seeded.kept_speakers is not None:
        speakers = [
            Speaker(speaker_id, tuple((a / 1000, b / 1000) for a, b in spans))
            for speaker_id, spans in rendered.utterances_ms.items()
        ]
        changes["separation_started_at"] = float(DEMO_CREATED_AT_UNIX)
        changes["separation_result"] = completed_separation(speakers)
        changes["selected_speaker_ids"] = list(seeded.kept_speakers)
    store.update_sample(seeded.sample_id, changes)


def find_demo_audio() -> Path:
    """The bundled demo recording; its speaker sidecar sits beside it.

    Raises :class:`~pvc_sample_editor.system.resources.ResourceNotFoundError` when the demo
    is missing from this installation.
    """
    return resource_path(DEMO_AUDIO_RESOURCE)


def seed(store: Store, audio_path: Path | None = None) -> DemoIds:
    """Create whatever of the demo voices and samples is missing; return the ids.

    Idempotent: existing voices and samples (with any edits made to them) are left as
    they are. ``audio_path`` defaults to the bundled recording; its ``.speakers.json``
    sidecar, when present, is stored beside the sample's audio. The demo sample starts
    untrimmed, without noise removal and with separation not started; the generated
    ones as :data:`DEMO_EXTRA_SAMPLES` says.
    """
    source = audio_path if audio_path is not None else find_demo_audio()
    with store.transaction():
        if store.voice(DEMO_VOICE_ID) is None:
            store.add_voice(
                VoiceRecord(
                    voice_id=DEMO_VOICE_ID,
                    name=DEMO_VOICE_NAME,
                    category="professional",
                    language="en",
                    description="The offline demo voice: a two-speaker interview sample.",
                    labels={"accent": "american", "use_case": "demo"},
                    created_at_unix=DEMO_CREATED_AT_UNIX,
                    is_legacy=False,
                )
            )
        for extra in EXTRA_VOICES:
            if store.voice(extra.voice_id) is None:
                store.add_voice(
                    VoiceRecord(
                        voice_id=extra.voice_id,
                        name=extra.name,
                        category=extra.category,
                        language="en",
                        description=extra.description,
                        labels={},
                        created_at_unix=extra.created_at_unix,
                        is_legacy=extra.is_legacy,
                    )
                )
        if store.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID) is None:
            store.import_file(DEMO_VOICE_ID, source, DEMO_SAMPLE_ID)
        for generated in DEMO_EXTRA_SAMPLES:
            if store.sample(DEMO_VOICE_ID, generated.sample_id) is None:
                _add_generated(store, generated)
    return DemoIds(DEMO_VOICE_ID, DEMO_SAMPLE_ID, source)
