"""The offline demo: its fixed key and ids, where its audio lives, and the voices seeded.

The ids are fixed strings shaped like real ElevenLabs ids (20 letters and digits) so
that a demo session, a screenshot and a test all name the same voice and sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvc_sample_editor.emulator.store import Store, VoiceRecord
from pvc_sample_editor.system.resources import resource_path

__all__ = [
    "DEMO_API_KEY",
    "DEMO_AUDIO_RESOURCE",
    "DEMO_SAMPLE_ID",
    "DEMO_VOICE_ID",
    "DEMO_VOICE_NAME",
    "EXTRA_VOICES",
    "DemoIds",
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


def find_demo_audio() -> Path:
    """The bundled demo recording; its speaker sidecar sits beside it.

    Raises :class:`~pvc_sample_editor.system.resources.ResourceNotFoundError` when the demo
    is missing from this installation.
    """
    return resource_path(DEMO_AUDIO_RESOURCE)


def seed(store: Store, audio_path: Path | None = None) -> DemoIds:
    """Create whatever of the demo voices and the demo sample is missing; return the ids.

    Idempotent: existing voices and the demo sample (with any edits made to it) are
    left as they are. ``audio_path`` defaults to the bundled recording; its
    ``.speakers.json`` sidecar, when present, is stored beside the sample's audio. The
    demo sample starts untrimmed, without noise removal and with separation not started.
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
    return DemoIds(DEMO_VOICE_ID, DEMO_SAMPLE_ID, source)
