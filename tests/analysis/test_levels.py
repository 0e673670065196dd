"""RMS, peaks, noise floor, clipping and DC offset against signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from labelled import have_espeak, phrase
from scipy.signal import upfirdn

from pvc_sample_editor.analysis import Verdict, analyse_samples
from pvc_sample_editor.analysis.truepeak import PHASES, TruePeakMeter

RATE = 48_000


def sine(level_db: float, seconds: float = 5.0, freq: float = 997.0, rate: int = RATE):
    """A sine whose peak is ``level_db`` dBFS (its RMS is 3.01 dB lower)."""
    t = np.arange(round(seconds * rate)) / rate
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("peak_db", [0.0, -6.0, -17.0, -40.0])
def test_rms_of_a_sine_is_its_peak_less_3_01_db(peak_db: float) -> None:
    report = analyse_samples(sine(peak_db), RATE)
    assert report.rms_dbfs == pytest.approx(peak_db - 3.0103, abs=0.01)
    assert report.sample_peak_dbfs == pytest.approx(peak_db, abs=0.01)


def test_rms_verdicts_follow_the_elevenlabs_range() -> None:
    inside = analyse_samples(sine(-17.0), RATE)  # -20 dB RMS
    assert inside.finding("rms").verdict is Verdict.OK
    a_bit_quiet = analyse_samples(sine(-22.0), RATE)  # -25 dB RMS
    assert a_bit_quiet.finding("rms").verdict is Verdict.WARN
    assert "raise the level by about 5 dB" in a_bit_quiet.finding("rms").message
    far_too_quiet = analyse_samples(sine(-30.0), RATE)  # -33 dB RMS
    assert far_too_quiet.finding("rms").verdict is Verdict.FAIL
    assert far_too_quiet.verdict is Verdict.FAIL


def test_white_noise_at_a_set_level() -> None:
    rng = np.random.default_rng(7)
    noise = (0.05 * rng.standard_normal(RATE * 20)).astype(np.float32)  # -26.02 dBFS RMS
    report = analyse_samples(noise, RATE)
    expected = 10 * math.log10(float(np.mean(noise.astype(np.float64) ** 2)))
    assert expected == pytest.approx(-26.02, abs=0.05)
    assert report.rms_dbfs == pytest.approx(expected, abs=0.01)
    # Steady noise: the quietest half second is as loud as the whole, within chance.
    assert report.noise_floor_dbfs == pytest.approx(expected, abs=0.3)
    assert report.finding("noise_floor").verdict is Verdict.FAIL


def test_noise_floor_is_the_quietest_half_second() -> None:
    rng = np.random.default_rng(3)
    x = 0.1 * rng.standard_normal(RATE * 10)
    quiet = 10 ** (-65 / 20) * rng.standard_normal(RATE * 1)  # one second at -65 dBFS
    x[RATE * 4 : RATE * 5] = quiet
    report = analyse_samples(x.astype(np.float32), RATE)
    assert report.noise_floor_dbfs == pytest.approx(-65.0, abs=0.3)
    assert report.finding("noise_floor").verdict is Verdict.OK


def test_digital_silence_reads_as_the_silence_floor_not_an_error() -> None:
    report = analyse_samples(np.zeros(RATE * 2, dtype=np.float32), RATE)
    assert report.rms_dbfs == -120.0
    assert report.integrated_lufs is None
    assert report.finding("speech").verdict is Verdict.FAIL
    assert report.suggested_trim_start_ms is None


def test_dc_offset_is_measured_and_flagged() -> None:
    x = sine(-20.0) + np.float32(0.02)
    report = analyse_samples(x, RATE)
    assert report.dc_offset == pytest.approx(0.02, abs=1e-4)
    assert report.finding("dc_offset").verdict is Verdict.WARN
    clean = analyse_samples(sine(-20.0), RATE)
    assert abs(clean.dc_offset) < 1e-4
    assert clean.finding("dc_offset").verdict is Verdict.OK


def test_clipped_runs_are_found_at_their_positions() -> None:
    x = sine(-12.0, seconds=30.0)
    spots = {  # start sample -> run length (3 or more counts; 2 does not)
        RATE * 1: 3,
        RATE * 12 + 17: 40,
        RATE * 20: 2,
        # across the boundary of the analyser's ~10.9 s blocks
        (1 << 19) // 4800 * 4800 - 5: 10,
    }
    for start, length in spots.items():
        x[start : start + length] = np.float32(0.995)  # within 0.1 dB of full scale
    x[RATE * 25 : RATE * 25 + 50] = np.float32(0.985)  # 0.13 dB below: not clipped
    report = analyse_samples(x, RATE)
    expected = sorted(
        (round(s * 1000 / RATE), round((s + n) * 1000 / RATE)) for s, n in spots.items() if n >= 3
    )
    assert list(report.clipped_runs) == expected
    assert report.clipped_run_count == 3
    assert report.finding("clipping").verdict is Verdict.FAIL
    assert report.finding("clipping").message.startswith("3 clipped spots (first at 0:01.000)")


def test_stereo_combines_powers_and_takes_the_loudest_channel_for_peaks() -> None:
    left = sine(-6.0)
    right = np.zeros_like(left)
    right[RATE : RATE + 5] = np.float32(1.0)  # a clip on the right only
    report = analyse_samples(np.stack([left, right], axis=1), RATE)
    expected = 10 * math.log10(float(np.mean(left.astype(np.float64) ** 2)) / 2)
    assert report.rms_dbfs == pytest.approx(expected, abs=0.01)
    assert report.sample_peak_dbfs == pytest.approx(0.0, abs=1e-6)
    assert report.clipped_run_count == 1


def test_true_peak_finds_the_peak_between_samples() -> None:
    # A sine at a quarter of the rate, 45° out: every sample is at 0.707, the wave at 1.0.
    n = np.arange(RATE)
    x = (0.5 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)
    report = analyse_samples(x, RATE)
    assert report.sample_peak_dbfs == pytest.approx(-6.02 - 3.01, abs=0.01)
    # The true peak is -6.02 dB; BS.1770's interpolator reads this tone a little high.
    assert -6.12 <= report.true_peak_dbtp <= -5.52
    assert report.true_peak_dbtp > report.sample_peak_dbfs + 2.5


def test_true_peak_equals_full_oversampling_with_the_annex_filter() -> None:
    """Skipping quiet segments must never change the answer."""
    rng = np.random.default_rng(11)
    x = 0.05 * rng.standard_normal(RATE * 30)
    x[rng.integers(0, x.size, 40)] = rng.choice([-0.7, 0.7], 40)  # sparse peaks
    x = x.astype(np.float32)
    meter = TruePeakMeter()
    for start in range(0, x.size, 65_537):
        meter.feed(x[start : start + 65_537])
    interleaved = PHASES.T.reshape(-1)  # h[4k + p] = phase p, tap k
    reference = np.abs(upfirdn(interleaved, x.astype(np.float64), up=4)).max()
    assert meter.finish() == pytest.approx(max(reference, np.abs(x).max()), rel=1e-5)
    assert meter.segments_oversampled < meter.segments_seen / 4


def test_true_peak_verdicts() -> None:
    assert analyse_samples(sine(-4.0), RATE).finding("true_peak").verdict is Verdict.OK
    assert analyse_samples(sine(-2.0), RATE).finding("true_peak").verdict is Verdict.WARN
    assert analyse_samples(sine(-0.5), RATE).finding("true_peak").verdict is Verdict.FAIL


def test_float_overs_and_nan_are_measured_not_crashed_on() -> None:
    x = sine(-20.0)
    x[1000] = np.nan
    x[2000:2004] = np.float32(1.5)
    report = analyse_samples(x, RATE)
    assert report.sample_peak_dbfs == pytest.approx(20 * math.log10(1.5), abs=0.01)
    assert report.clipped_run_count == 1


@pytest.mark.skipif(not have_espeak(), reason="needs espeak-ng for real speech")
def test_a_short_clip_with_no_pause_has_no_noise_floor_to_read() -> None:
    """Words with only their gaps between them, 150 ms of digital silence after: the
    quietest half second is mostly a word. It read -28 dBFS, "background noise too loud",
    beside a signal-to-noise ratio of 76 dB. There is no background to measure here."""
    rate = 44_100
    words = phrase("Short clip for a new voice.", rate)
    x = np.concatenate([words, np.zeros(int(0.15 * rate))]).astype(np.float32)
    report = analyse_samples(x, rate)
    floor = report.finding("noise_floor")
    assert floor.verdict is Verdict.WARN
    assert floor.value is None  # no figure: it would be the level of a word
    assert "no half second without speech" in floor.message
    assert report.finding("snr").verdict is Verdict.OK
