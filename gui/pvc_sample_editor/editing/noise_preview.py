"""Both of the server's previews of a sample, as it is and with noise removed, measured.

The API warns that background-noise removal can make clean audio worse, and offers the
sample's 30-second preview either way (``GET …/samples/{id}/audio`` with
``remove_background_noise``). :func:`fetch_noise_previews` gets both, decodes them and
measures each one's noise floor with the audio check's own measure (the RMS of the
quietest 500 ms), so a person can hear and read the difference before choosing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pvc_sample_editor.analysis import analyse_samples
from pvc_sample_editor.audio.document import AudioDocument, document_from_bytes
from pvc_sample_editor.editing.session import SampleRef

if TYPE_CHECKING:  # the client (and requests) load only when a connection is made
    from pvc_sample_editor.api.client import ApiClient

__all__ = ["NoisePreviews", "fetch_noise_previews", "noise_floor_dbfs"]


@dataclass(frozen=True)
class NoisePreviews:
    """The two previews (A: as recorded, B: noise removed) and their noise floors, dBFS."""

    original: AudioDocument
    denoised: AudioDocument
    original_floor_dbfs: float
    denoised_floor_dbfs: float

    def close(self) -> None:
        """Release both documents."""
        self.original.close()
        self.denoised.close()


def noise_floor_dbfs(doc: AudioDocument) -> float:
    """The audio check's noise floor of a whole document: RMS of its quietest 500 ms."""
    samples = doc.read_mono(0, doc.frames)
    return analyse_samples(samples, doc.samplerate).noise_floor_dbfs


def fetch_noise_previews(
    client: ApiClient, ref: SampleRef, cancel: threading.Event
) -> NoisePreviews:
    """Fetch, decode and measure both previews of the sample (blocks; run it off the GUI)."""
    docs = []
    for remove in (False, True):
        clip = client.get_sample_preview(
            ref.voice_id, ref.sample_id, remove_background_noise=remove, cancel=cancel
        )
        label = "noise removed" if remove else "as recorded"
        docs.append(document_from_bytes(clip.audio, clip.media_type, label=label))
    original, denoised = docs
    return NoisePreviews(original, denoised, noise_floor_dbfs(original), noise_floor_dbfs(denoised))
