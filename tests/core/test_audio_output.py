"""The device-free half of playback: the ring the audio callback copies from, and timelines.

The callback's output is checked frame by frame against the source, with callback sizes
that do not divide anything, so every wrap of the ring and every block edge is crossed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pvc_sample_editor.audio.output import FADE_MS, RingRenderer, SpanTimeline

RATE = 8000


def ramp_source(n: int) -> np.ndarray[Any, Any]:
    """Distinct, non-zero samples: any frame out of place shows."""
    return (0.1 + 0.8 * np.arange(n) / n).astype(np.float32)


def feed_and_render(
    renderer: RingRenderer, source: np.ndarray[Any, Any], period: int, write_block: int
) -> np.ndarray[Any, Any]:
    """Alternate a feeder's writes and a device's periods until the end has drained."""
    written = 0
    out = []
    while renderer.tail < 3 * period:
        while written < source.size and renderer.space > 0:
            n = min(write_block, renderer.space, source.size - written)
            renderer.write(source[written : written + n])
            written += n
        out.append(renderer.render(period).copy())
    return np.concatenate(out)


@pytest.mark.parametrize(("period", "write_block"), [(97, 211), (441, 50), (1000, 1000)])
def test_the_device_gets_silence_then_exactly_the_range_then_silence(
    period: int, write_block: int
) -> None:
    """Preroll of silence, every frame once and in order (across ring wraps), then zeros."""
    source = ramp_source(5000)
    renderer = RingRenderer(RATE, source.size, preroll=80, capacity=1777)
    out = feed_and_render(renderer, source, period, write_block)
    assert np.all(out[:80] == 0)
    np.testing.assert_array_equal(out[80 : 80 + source.size], source)
    assert np.all(out[80 + source.size :] == 0)
    assert renderer.read == 80 + source.size
    assert renderer.underruns == 0


def test_an_underrun_delays_the_audio_and_skips_nothing() -> None:
    """A feeder that falls behind makes a gap of silence; no frame is lost or repeated."""
    source = ramp_source(1000)
    renderer = RingRenderer(RATE, source.size, preroll=0, capacity=2000)
    renderer.write(source[:300])
    first = renderer.render(400).copy()  # asks for more than was written
    renderer.write(source[300:])
    rest = renderer.render(800).copy()
    assert renderer.underruns == 1
    np.testing.assert_array_equal(first[:300], source[:300])
    assert np.all(first[300:] == 0)
    np.testing.assert_array_equal(rest[:700], source[300:])
    assert renderer.read == 1000


def test_a_fade_ramps_down_from_the_stop_frame_and_then_stays_silent() -> None:
    """Stop: full level up to the returned frame, a smooth ramp over FADE_MS, then zeros."""
    source = np.full(4000, 0.5, np.float32)
    renderer = RingRenderer(RATE, source.size, preroll=0, capacity=4000)
    renderer.write(source)
    before = renderer.render(1234).copy()
    fade_from = renderer.begin_fade()
    assert fade_from == 1234
    assert renderer.begin_fade() == 1234  # a second stop changes nothing
    after = np.concatenate([renderer.render(7).copy() for _ in range(200)])

    fade = RATE * FADE_MS // 1000
    assert np.all(before == 0.5)
    gain = after[: fade + 5] / 0.5
    assert gain[0] > 0.99  # no step down at the start of the fade
    assert np.all(np.diff(gain[:fade]) < 0), "the fade must fall all the way"
    assert gain[fade - 1] < 0.01  # no step at its end either: the last frame is near zero
    assert np.all(after[fade:] == 0)
    # Resuming from the returned frame replays the fade at full level: nothing is lost.
    assert renderer.read == fade_from + fade


def test_a_truncated_source_ends_where_it_ended() -> None:
    """A source shorter than the range: the end comes where the data stopped."""
    renderer = RingRenderer(RATE, 1000, preroll=10, capacity=2000)
    renderer.write(ramp_source(600))
    renderer.end_early()
    out = np.concatenate([renderer.render(100).copy() for _ in range(8)])
    assert renderer.read == 610
    assert renderer.tail == 800 - 610
    assert np.all(out[610:] == 0)


def test_write_refuses_more_than_the_ring_holds() -> None:
    renderer = RingRenderer(RATE, 1000, preroll=0, capacity=100)
    with pytest.raises(ValueError, match="do not fit"):
        renderer.write(np.zeros(101, np.float32))


def test_a_speaker_clip_maps_onto_the_utterances_it_was_joined_from() -> None:
    """Clip time runs through each utterance in turn; past the end it stays at the last."""
    timeline = SpanTimeline.from_seconds([(2.0, 3.5), (10.0, 10.25), (20.0, 21.0), (30.0, 30.0)])
    assert timeline.spans_ms == ((2000, 3500), (10000, 10250), (20000, 21000))
    assert [timeline(ms) for ms in (0, 1499, 1500, 1501, 1750, 1751, 2750, 9000)] == [
        2000,
        3499,
        3500,
        10001,
        10250,
        20001,
        21000,
        21000,
    ]
    assert SpanTimeline(()).__call__(1234) == 1234
