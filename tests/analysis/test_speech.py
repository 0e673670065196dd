"""Speech detection, long pauses and suggested trims on espeak-ng speech with known truth."""

from __future__ import annotations

import labelled
import numpy as np
import pytest

from pvc_sample_editor.analysis import AnalysisOptions, Verdict, analyse_samples
from pvc_sample_editor.analysis.speech import AreaResampler

pytestmark = pytest.mark.skipif(not labelled.have_espeak(), reason="needs espeak-ng")

# How far a detected pause edge may sit from the true one: the VAD decides per 30 ms
# and holds on for a few frames after speech ends.
EDGE_TOLERANCE_MS = 250


@pytest.mark.parametrize(
    ("rate", "snr_db"), [(48_000, None), (44_100, 30.0), (22_050, 20.0), (16_000, None)]
)
def test_long_pauses_are_found_where_they_were_put(rate: int, snr_db: float | None) -> None:
    gaps = (0.6, 2.5, 1.0, 3.0, 1.2)
    clip = labelled.make_clip(rate, gaps, snr_db=snr_db, breaths=True, clicks=True, seed=rate)
    report = analyse_samples(clip.samples, rate)
    expected = [p for p, g in zip(clip.pauses_ms, gaps, strict=True) if g > 1.5]
    assert len(report.long_pauses) == len(expected), report.long_pauses
    for (start, end), (true_start, true_end) in zip(report.long_pauses, expected, strict=True):
        assert abs(start - true_start) <= EDGE_TOLERANCE_MS
        assert abs(end - true_end) <= EDGE_TOLERANCE_MS
    finding = report.finding("long_pauses")
    assert finding.verdict is Verdict.WARN
    assert finding.value == 2


def test_pause_threshold_is_an_option() -> None:
    clip = labelled.make_clip(48_000, (0.6, 2.5, 1.0, 3.0))
    report = analyse_samples(clip.samples, 48_000, options=AnalysisOptions(pause_threshold_ms=800))
    assert len(report.long_pauses) == 3  # the 1.0, 2.5 and 3.0 s gaps


@pytest.mark.parametrize("snr_db", [None, 40.0, 20.0, 10.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_suggested_trims_never_cut_into_speech(snr_db: float | None, seed: int) -> None:
    rate = 48_000
    clip = labelled.make_clip(
        rate, (0.8, 2.0), lead_s=1.5, tail_s=2.0, snr_db=snr_db, breaths=True, clicks=True,
        seed=seed,
    )  # fmt: skip
    report = analyse_samples(clip.samples, rate)
    start, end = report.suggested_trim_start_ms, report.suggested_trim_end_ms
    assert start is not None
    assert end is not None
    assert start <= clip.onset_ms
    assert end >= clip.offset_ms
    # ... and still trims: no more than the padding and the VAD's slack beyond the speech.
    assert start >= clip.onset_ms - 150 - 400
    assert end <= clip.offset_ms + 150 + 400


def test_trims_are_padded_and_clamped_to_the_region() -> None:
    rate = 48_000
    clip = labelled.make_clip(rate, (0.5,), lead_s=0.05, tail_s=0.05)
    report = analyse_samples(clip.samples, rate, options=AnalysisOptions(trim_padding_ms=400))
    assert report.suggested_trim_start_ms == 0
    assert report.suggested_trim_end_ms == report.end_ms


def test_speech_ratio_matches_the_truth() -> None:
    rate = 48_000
    clip = labelled.make_clip(rate, (1.0, 2.0, 0.5), snr_db=30.0, breaths=True, clicks=True)
    report = analyse_samples(clip.samples, rate)
    truth = float(clip.truth.mean())
    assert report.speech_ratio == pytest.approx(truth, abs=0.08)
    assert report.finding("speech").verdict is Verdict.OK


def test_noise_is_not_speech() -> None:
    rng = np.random.default_rng(2)
    noise = (0.01 * rng.standard_normal(48_000 * 6)).astype(np.float32)
    report = analyse_samples(noise, 48_000)
    assert report.speech_ratio < 0.1


def test_snr_estimate_follows_the_room_noise() -> None:
    rate = 48_000
    estimates = []
    for snr in (40.0, 20.0):
        clip = labelled.make_clip(rate, (1.0, 2.0), snr_db=snr, seed=4)
        report = analyse_samples(clip.samples, rate)
        assert report.snr_db is not None
        estimates.append(report.snr_db)
        # Speech level over the background, measured on the truth, as the reference.
        step = rate // 100
        whole = clip.samples.size // step
        frames = clip.samples[: whole * step].astype(np.float64)
        power = (frames.reshape(whole, step) ** 2).mean(axis=1)
        truth = clip.truth[:whole]
        reference = 10 * np.log10(power[truth].mean() / np.median(power[~truth]))
        assert report.snr_db == pytest.approx(reference, abs=3.0)
    assert estimates[0] - estimates[1] == pytest.approx(20.0, abs=3.0)


def test_area_resampler_is_exact_for_whole_and_fractional_ratios() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(44_100 * 2)
    for rate_in in (48_000, 44_100):
        whole = AreaResampler(rate_in, 16_000).feed(x)
        streamed = AreaResampler(rate_in, 16_000)
        parts = np.concatenate([streamed.feed(x[i : i + 777]) for i in range(0, x.size, 777)])
        np.testing.assert_allclose(parts, whole, atol=1e-9)
        # Each output is the mean of the input over its period (a constant stays put).
        assert np.allclose(AreaResampler(rate_in, 16_000).feed(np.full(10_000, 0.25)), 0.25)
    fine = np.repeat(x[:300], 3)  # the 48 kHz mean of three equal samples is the sample
    np.testing.assert_allclose(AreaResampler(48_000, 16_000).feed(fine), x[:300])
