"""Integrated loudness against pyloudnorm, the K-weighting against scipy's lfilter."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import lfilter

from pvc_sample_editor.analysis import analyse_samples
from pvc_sample_editor.analysis.loudness import KWeightedEnergy, gated_loudness, k_weighting


def _signals(rate: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(rate)
    t = np.arange(rate * 12) / rate
    tone = 0.2 * np.sin(2 * np.pi * 1000 * t)
    gated = 0.3 * rng.standard_normal(t.size)
    gated[rate * 3 : rate * 7] *= 0.002  # a quiet stretch the relative gate drops
    sweep = 0.25 * np.sin(2 * np.pi * (50 * t + 400 * t**2))  # 50 Hz to ~9.6 kHz
    voice = np.sin(2 * np.pi * 140 * t) * (np.sin(2 * np.pi * 2 * t) > 0) * 0.4
    return {"tone": tone, "gated noise": gated, "sweep": sweep, "pulsed voice": voice}


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_integrated_loudness_matches_pyloudnorm(rate: int) -> None:
    meter = pyloudnorm.Meter(rate)  # its default filter: the cookbook approximation
    exact = pyloudnorm.Meter(rate, filter_class="DeMan")  # the standard's own filter
    for name, x in _signals(rate).items():
        ours = analyse_samples(x.astype(np.float32), rate).integrated_lufs
        assert ours is not None
        assert ours == pytest.approx(meter.integrated_loudness(x), abs=0.1), name
        assert ours == pytest.approx(exact.integrated_loudness(x), abs=0.01), name


def test_stereo_loudness_sums_the_channels_like_pyloudnorm() -> None:
    rate = 48_000
    signals = _signals(rate)
    x = np.stack([signals["sweep"], signals["gated noise"]], axis=1)
    ours = analyse_samples(x.astype(np.float32), rate).integrated_lufs
    reference = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(x)
    assert ours == pytest.approx(reference, abs=0.01)


@pytest.mark.parametrize("rate", [16_000, 44_100, 48_000, 96_000])
def test_k_weighted_energy_is_exact_whatever_the_chunks(rate: int) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal(rate * 3 + 123)
    b, a = k_weighting(rate)
    y = lfilter(b, a, x)
    quarter = rate // 10
    whole = x.size // quarter
    reference = (y[: whole * quarter] ** 2).reshape(whole, quarter).sum(axis=1)
    meter = KWeightedEnergy(rate)
    for start in range(0, x.size, 7001):  # chunks that do not line up with anything
        meter.feed(x[start : start + 7001])
    # Rounding in the 4th-order recursion, whose high-pass poles near 1 (closer at higher
    # rates) amplify it: 7e-8 at 44.1 kHz, 1.2e-4 at 96 kHz, i.e. 0.0005 dB at worst.
    np.testing.assert_allclose(meter.quarter_energies, reference, rtol=3e-4)


def test_k_weighting_at_48k_is_the_standards_published_filter() -> None:
    b, a = k_weighting(48_000)
    # BS.1770-4 table 1 and 2 (the two stages multiplied).
    b1, a1 = (
        [1.53512485958697, -2.69169618940638, 1.19839281085285],
        [
            1.0,
            -1.69065929318241,
            0.73248077421585,
        ],
    )
    b2, a2 = [1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]
    np.testing.assert_allclose(b, np.convolve(b1, b2), rtol=1e-9)
    np.testing.assert_allclose(a, np.convolve(a1, a2), rtol=1e-9)


def test_gating_ignores_silence_and_needs_a_whole_block() -> None:
    rate = 48_000
    assert gated_loudness(np.zeros(40), rate) == -np.inf
    assert gated_loudness(np.ones(3), rate) == -np.inf  # 300 ms: no 400 ms block
    tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(rate * 4) / rate)
    padded = np.concatenate([tone, np.zeros(rate * 20)])
    # 20 s of silence after 4 s of tone would lower an ungated mean by 7.8 dB; the gates
    # drop the silent blocks, and only the few blocks that straddle the edge count.
    with_silence = analyse_samples(padded.astype(np.float32), rate).integrated_lufs
    alone = analyse_samples(tone.astype(np.float32), rate).integrated_lufs
    assert with_silence is not None
    assert alone is not None
    assert alone - 0.3 < with_silence < alone
    reference = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(padded)
    assert with_silence == pytest.approx(reference, abs=0.01)
