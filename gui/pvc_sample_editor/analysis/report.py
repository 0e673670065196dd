"""What a check found: frozen results, each figure's verdict and what to do about it.

The limits are ElevenLabs' guidance for Professional Voice Clone recordings (RMS
between -23 and -18 dB, true peak at -3 dB or lower, long pauses edited out, 44.1 kHz
and 16 bits or better) and ACX's noise floor (-60 dB or lower, the RMS of the quietest
half second). A figure inside the guidance is ``ok``; one a little outside it, which a
listener would hardly notice, is ``warn``; one clearly outside it is ``fail``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Finding",
    "Limits",
    "Report",
    "Verdict",
    "format_time_ms",
]

#: Levels below this are reported as this (digital silence has no finite dB level).
SILENCE_DB = -120.0


class Verdict(enum.Enum):
    """How a figure compares with the guidance; ordered from best to worst."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for ok, 1 for warn, 2 for fail."""
        return _RANKS[self]


_RANKS = {Verdict.OK: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


@dataclass(frozen=True)
class Limits:
    """The guidance each figure is judged against (see the module doc)."""

    rms_low_dbfs: float = -23.0
    rms_high_dbfs: float = -18.0
    #: How far outside the RMS range still only warns.
    rms_margin_db: float = 3.0
    true_peak_ok_dbtp: float = -3.0
    true_peak_warn_dbtp: float = -1.0
    noise_floor_ok_dbfs: float = -60.0
    noise_floor_warn_dbfs: float = -50.0
    snr_ok_db: float = 35.0
    dc_offset_ok: float = 0.005
    speech_ratio_ok: float = 0.5
    samplerate_ok: int = 44_100
    bit_depth_ok: int = 16


@dataclass(frozen=True)
class Finding:
    """One line of a report: the figure, its verdict and one sentence on what to do."""

    check: str
    verdict: Verdict
    value: float | int | str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON-ready values."""
        return {
            "check": self.check,
            "verdict": self.verdict.value,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class Report:
    """Everything measured on one region of one file, with the findings.

    Levels are in dB relative to full scale (sample value 1.0); times are integer
    milliseconds from the start of the file. Multi-channel audio is measured per
    channel: mean squares (RMS, noise floor, SNR) are averaged over the channels,
    peaks and DC offset are the largest channel's, a frame is clipped when any channel
    is, loudness sums the channels as BS.1770 does, and speech is detected on the
    channels' mean.
    """

    path: Path | None
    format: str
    subtype: str
    samplerate: int
    channels: int
    #: Bits per sample of PCM sources; None for compressed ones (MP3, Vorbis, Opus).
    bit_depth: int | None
    start_ms: int
    end_ms: int
    rms_dbfs: float
    sample_peak_dbfs: float
    true_peak_dbtp: float
    #: None when no 400 ms block is louder than -70 LUFS (silence, or too short).
    integrated_lufs: float | None
    noise_floor_dbfs: float
    #: None when there is no speech, or nothing but speech, to compare.
    snr_db: float | None
    dc_offset: float
    clipped_runs: tuple[tuple[int, int], ...]
    #: All clipped runs; ``clipped_runs`` keeps only the first few hundred positions.
    clipped_run_count: int
    speech_ratio: float
    speech_segments: tuple[tuple[int, int], ...]
    long_pauses: tuple[tuple[int, int], ...]
    suggested_trim_start_ms: int | None
    suggested_trim_end_ms: int | None
    findings: tuple[Finding, ...]
    #: False for a partial report handed out while the region is still being read.
    complete: bool = True

    @property
    def duration_ms(self) -> int:
        """Length of the region measured."""
        return self.end_ms - self.start_ms

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of the findings."""
        return max((f.verdict for f in self.findings), key=lambda v: v.rank, default=Verdict.OK)

    def finding(self, check: str) -> Finding:
        """The finding named ``check`` (KeyError if there is none)."""
        for f in self.findings:
            if f.check == check:
                return f
        raise KeyError(check)

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object (what ``check --json`` prints per file)."""
        return {
            "file": None if self.path is None else str(self.path),
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "duration_ms": self.duration_ms,
            "format": self.format,
            "subtype": self.subtype,
            "samplerate": self.samplerate,
            "channels": self.channels,
            "bit_depth": self.bit_depth,
            "rms_dbfs": _round(self.rms_dbfs),
            "sample_peak_dbfs": _round(self.sample_peak_dbfs),
            "true_peak_dbtp": _round(self.true_peak_dbtp),
            "integrated_lufs": _round(self.integrated_lufs),
            "noise_floor_dbfs": _round(self.noise_floor_dbfs),
            "snr_db": _round(self.snr_db),
            "clipped_runs": [list(r) for r in self.clipped_runs],
            "clipped_run_count": self.clipped_run_count,
            "dc_offset": round(self.dc_offset, 6) if math.isfinite(self.dc_offset) else None,
            "speech_ratio": round(self.speech_ratio, 4),
            "long_pauses": [list(p) for p in self.long_pauses],
            "suggested_trim_start_ms": self.suggested_trim_start_ms,
            "suggested_trim_end_ms": self.suggested_trim_end_ms,
            "verdict": self.verdict.value,
            "findings": [f.to_json() for f in self.findings],
        }


def _round(value: float | None) -> float | None:
    """Two decimals; None for no value, and for one JSON cannot hold (inf, NaN)."""
    return None if value is None or not math.isfinite(value) else round(value, 2)


def to_db(power_or_amplitude: float, *, power: bool) -> float:
    """dB of a mean square (``power=True``) or an amplitude, floored at SILENCE_DB."""
    if power_or_amplitude <= 0.0 or not math.isfinite(power_or_amplitude):
        return SILENCE_DB if power_or_amplitude <= 0.0 else math.inf
    db = (10.0 if power else 20.0) * math.log10(power_or_amplitude)
    return max(SILENCE_DB, db)


def format_time_ms(ms: int) -> str:
    """``m:ss.mmm`` (or ``h:mm:ss.mmm``) for messages."""
    hours, rest = divmod(int(ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}.{millis:03d}"
    return f"{minutes}:{seconds:02d}.{millis:03d}"


@dataclass(frozen=True)
class Figures:
    """The measured values findings are judged from (internal to the analysis)."""

    samplerate: int
    bit_depth: int | None
    format: str
    rms_dbfs: float
    true_peak_dbtp: float
    integrated_lufs: float | None
    noise_floor_dbfs: float
    #: The quietest half second is mostly speech: the region has no pause to measure.
    noise_floor_in_speech: bool
    snr_db: float | None
    dc_offset: float
    clipped_runs: tuple[tuple[int, int], ...]
    clipped_run_count: int
    speech_ratio: float
    has_speech: bool
    long_pauses: tuple[tuple[int, int], ...]
    pause_threshold_ms: int


def judge(fig: Figures, limits: Limits) -> tuple[Finding, ...]:
    """Every finding for ``fig``, in the order a report lists them."""
    return (
        _rms(fig.rms_dbfs, limits),
        _true_peak(fig.true_peak_dbtp, limits),
        _loudness(fig.integrated_lufs),
        _noise_floor(fig.noise_floor_dbfs, fig.noise_floor_in_speech, limits),
        _snr(fig.snr_db, limits),
        _clipping(fig.clipped_runs, fig.clipped_run_count),
        _dc(fig.dc_offset, limits),
        _speech(fig.speech_ratio, fig.has_speech, limits),
        _pauses(fig.long_pauses, fig.pause_threshold_ms),
        _samplerate(fig.samplerate, limits),
        _bit_depth(fig.bit_depth, fig.format, limits),
    )


def _rms(rms: float, limits: Limits) -> Finding:
    low, high, margin = limits.rms_low_dbfs, limits.rms_high_dbfs, limits.rms_margin_db
    value = round(rms, 2)
    if low <= rms <= high:
        return Finding("rms", Verdict.OK, value, "The level is within -23 to -18 dB RMS.")
    target = (low + high) / 2
    verdict = Verdict.WARN if low - margin <= rms <= high + margin else Verdict.FAIL
    if rms < low:
        message = (
            f"Too quiet: raise the level by about {target - rms:.0f} dB (to about "
            f"{target:.0f} dB RMS), then check the true peak again."
        )
    else:
        message = (
            f"Too loud: lower the level by about {rms - target:.0f} dB (to about "
            f"{target:.0f} dB RMS)."
        )
    return Finding("rms", verdict, value, message)


def _true_peak(tp: float, limits: Limits) -> Finding:
    value = round(tp, 2)
    if tp <= limits.true_peak_ok_dbtp:
        return Finding("true_peak", Verdict.OK, value, "Peaks stay at or below -3 dBTP.")
    verdict = Verdict.WARN if tp <= limits.true_peak_warn_dbtp else Verdict.FAIL
    return Finding(
        "true_peak",
        verdict,
        value,
        f"Peaks reach {tp:.1f} dBTP: lower the gain or use a limiter so they stay at or "
        "below -3 dBTP.",
    )


def _loudness(lufs: float | None) -> Finding:
    if lufs is None:
        return Finding(
            "integrated_loudness",
            Verdict.OK,
            None,
            "Too quiet or too short to measure loudness (nothing above -70 LUFS).",
        )
    return Finding(
        "integrated_loudness",
        Verdict.OK,
        round(lufs, 2),
        "For reference: ElevenLabs sets no loudness target, the RMS line is what counts.",
    )


def _noise_floor(floor: float, in_speech: bool, limits: Limits) -> Finding:
    value = round(floor, 2)
    if floor <= limits.noise_floor_ok_dbfs:
        return Finding(
            "noise_floor", Verdict.OK, value, "The quietest half second is at -60 dB or lower."
        )
    if in_speech:  # the figure would be speech, not background: no value to show
        return Finding(
            "noise_floor",
            Verdict.WARN,
            None,
            "There is no half second without speech to measure the background in: "
            "include a moment of room tone in the region to check it.",
        )
    verdict = Verdict.WARN if floor <= limits.noise_floor_warn_dbfs else Verdict.FAIL
    return Finding(
        "noise_floor",
        verdict,
        value,
        "Background noise is too loud: record in a quieter room or apply gentle noise "
        "reduction so the quietest half second is at -60 dB or lower.",
    )


def _snr(snr: float | None, limits: Limits) -> Finding:
    if snr is None:
        return Finding(
            "snr", Verdict.OK, None, "Not measured: it needs both speech and pauses to compare."
        )
    value = round(snr, 1)
    if snr >= limits.snr_ok_db:
        return Finding("snr", Verdict.OK, value, "The voice stands well clear of the noise.")
    return Finding(
        "snr",
        Verdict.WARN,
        value,
        f"The voice is only {snr:.0f} dB above the background: reduce the noise or "
        "record closer to the microphone.",
    )


def _clipping(runs: tuple[tuple[int, int], ...], count: int) -> Finding:
    if count == 0:
        return Finding("clipping", Verdict.OK, 0, "No clipping.")
    first = format_time_ms(runs[0][0]) if runs else "?"
    return Finding(
        "clipping",
        Verdict.FAIL,
        count,
        f"{count} clipped spot{'s' if count != 1 else ''} (first at {first}): record "
        "again at a lower gain, or cut them out; clipping cannot be repaired cleanly.",
    )


def _dc(dc: float, limits: Limits) -> Finding:
    value = round(dc, 6)
    if abs(dc) <= limits.dc_offset_ok:
        return Finding("dc_offset", Verdict.OK, value, "No DC offset worth removing.")
    return Finding(
        "dc_offset",
        Verdict.WARN,
        value,
        f"The signal is offset by {dc:+.3f} of full scale: apply DC offset removal "
        "(or a high-pass filter) in your audio editor.",
    )


def _speech(ratio: float, has_speech: bool, limits: Limits) -> Finding:
    value = round(ratio, 4)
    if not has_speech:
        return Finding(
            "speech", Verdict.FAIL, value, "No speech was detected: choose a region with speech."
        )
    if ratio >= limits.speech_ratio_ok:
        return Finding("speech", Verdict.OK, value, f"Speech fills {ratio:.0%} of the region.")
    return Finding(
        "speech",
        Verdict.WARN,
        value,
        f"Speech fills only {ratio:.0%} of the region: trim silence and non-speech sounds.",
    )


def _pauses(pauses: tuple[tuple[int, int], ...], threshold_ms: int) -> Finding:
    seconds = threshold_ms / 1000
    if not pauses:
        return Finding("long_pauses", Verdict.OK, 0, f"No pause longer than {seconds:g} s.")
    first = format_time_ms(pauses[0][0])
    return Finding(
        "long_pauses",
        Verdict.WARN,
        len(pauses),
        f"Edit out or shorten the {len(pauses)} pause{'s' if len(pauses) != 1 else ''} "
        f"longer than {seconds:g} s (first at {first}).",
    )


def _samplerate(rate: int, limits: Limits) -> Finding:
    if rate >= limits.samplerate_ok:
        return Finding("sample_rate", Verdict.OK, rate, f"{rate} Hz is fine.")
    return Finding(
        "sample_rate",
        Verdict.WARN,
        rate,
        f"{rate} Hz is below the 44.1 kHz ElevenLabs advises: record at 44.1 kHz or "
        "higher (resampling cannot add back what was not recorded).",
    )


def _bit_depth(depth: int | None, fmt: str, limits: Limits) -> Finding:
    if depth is None and fmt == "memory":
        return Finding("bit_depth", Verdict.OK, None, "Not applicable to audio in memory.")
    if depth is None:
        return Finding(
            "bit_depth",
            Verdict.OK,
            None,
            f"{fmt} is compressed: fine at 192 kbps or more, though WAV or FLAC is better.",
        )
    if depth >= limits.bit_depth_ok:
        return Finding("bit_depth", Verdict.OK, depth, f"{depth}-bit is fine.")
    return Finding(
        "bit_depth",
        Verdict.WARN,
        depth,
        f"{depth}-bit is below the 16-bit ElevenLabs advises: record or export at 16-bit or more.",
    )
