"""The minutes that count, checked against an interval sum done by hand."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pvc_sample_editor.api.models import (
    Sample,
    SeparationStatus,
    Speaker,
    SpeakerSeparation,
    Utterance,
)
from pvc_sample_editor.editing.budget import Budget, budget_sentence, kept_ms
from pvc_sample_editor.editing.edit import SampleEdit


def _sample(speakers: tuple[Speaker, ...] = (), status: str = "completed") -> Sample:
    sep = SpeakerSeparation("v", "s", SeparationStatus(status), speakers=speakers)
    return Sample("s", "a.wav", duration_secs=60.0, speaker_separation=sep)


def test_without_separation_the_trim_window_counts() -> None:
    sample = Sample("s", "a.wav", duration_secs=60.0, trim_start=1000, trim_end=51_000)
    assert kept_ms(sample) == 50_000
    assert kept_ms(sample, SampleEdit(2000, 2000, False, "a.wav")) == 0


def test_separated_the_selected_speakers_speech_inside_the_window_counts_once() -> None:
    a = Speaker("a", 0, (Utterance(0.0, 10.0), Utterance(20.0, 30.0)))
    b = Speaker("b", 0, (Utterance(5.0, 25.0),))  # overlaps both of a's
    sample = _sample((a, b))
    both = SampleEdit(2000, 28_000, False, "a.wav", ("a", "b"))
    assert kept_ms(sample, both) == 26_000  # 2..28 s is all speech, counted once
    only_a = SampleEdit(2000, 28_000, False, "a.wav", ("a",))
    assert kept_ms(sample, only_a) == 8000 + 8000
    assert kept_ms(sample, SampleEdit(0, 60_000, False, "a.wav", ())) == 0
    pending = _sample((a, b), status="pending")
    assert kept_ms(pending, only_a) == 26_000  # not separated yet: the window counts


@given(
    spans=st.lists(
        st.tuples(st.integers(0, 59_000), st.integers(1, 5000)), min_size=0, max_size=12
    ),
    window=st.tuples(st.integers(0, 30_000), st.integers(30_001, 60_000)),
)
def test_kept_time_equals_a_millisecond_count(
    spans: list[tuple[int, int]], window: tuple[int, int]
) -> None:
    utterances = tuple(Utterance(s / 1000, (s + n) / 1000) for s, n in spans)
    sample = _sample((Speaker("a", 0, utterances),))
    edit = SampleEdit(window[0], window[1], False, "a.wav", ("a",))
    covered = set()
    for s, n in spans:
        covered.update(range(max(s, window[0]), min(s + n, window[1])))
    assert kept_ms(sample, edit) == len(covered)


def test_the_sentence_names_the_mark_the_voice_is_at() -> None:
    assert budget_sentence(12 * 60_000).startswith("12 min kept: 18 min more are needed")
    # What is shown adds up: 27.3 + 2.7, not 27 + 2.7 (and 55.5 + 4.5 to the hour).
    assert budget_sentence(1_638_000).startswith("27.3 min kept: 2.7 min more are needed")
    assert "55.5 min kept: enough to train" in budget_sentence(3_330_000)
    assert "4.5 min more would get there" in budget_sentence(3_330_000)
    assert budget_sentence(0).startswith("Nothing kept yet: the voice needs 30 min")
    assert "enough to train" in budget_sentence(45 * 60_000)
    assert "recommended hour is met" in budget_sentence(75 * 60_000)
    assert "clones best" in budget_sentence(150 * 60_000)
    assert "more than three hours" in budget_sentence(200 * 60_000)
    assert Budget.of([10 * 60_000, 25 * 60_000]).trainable
    assert not Budget.of([10 * 60_000, -5]).trainable
