"""The evaluators of Table 1, each checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.contracts import check_component
from autocut_core.errors import InputError
from autocut_core.plugins import get_registry
from autocut_core.types import MusicChoice, Ordering, Script, Selection


def evaluator(name, options=None):
    return get_registry().create("evaluator", name, options)


@pytest.mark.parametrize("name", ["selection", "ordering", "script", "music"])
def test_every_evaluator_passes_the_contract(name):
    check_component(get_registry().get("evaluator", name))


class TestSelection:
    def test_hand_computed(self):
        per_sample = evaluator("selection").score_batch(
            [Selection((0, 1)), [1, 2], [], [0, 0]],
            [[0, 1], [0, 1], [0, 1], [0]],
        )
        exact = {"csa": 1.0, "csa_exact": 1.0, "recall": 1.0, "precision": 1.0, "valid": 1.0}
        assert per_sample[0] == exact
        assert per_sample[1] == {"csa": 0.0, "csa_exact": 0.0, "recall": 0.5, "precision": 0.5,
                                 "valid": 1.0}  # fmt: skip
        assert per_sample[2] == {"csa": 0.0, "csa_exact": 0.0, "recall": 0.0, "precision": 0.0,
                                 "valid": 1.0}  # fmt: skip
        # a repeated pick is malformed: flagged, and no credit under either definition
        assert per_sample[3]["csa"] == per_sample[3]["csa_exact"] == per_sample[3]["valid"] == 0
        assert evaluator("selection").aggregate(per_sample)["csa"] == 0.25

    def test_paper_csa_allows_extra_picks_the_exact_set_does_not(self):
        (extra,) = evaluator("selection").score_batch([[0, 1, 3]], [[0, 1]])
        assert extra["csa"] == 1.0 and extra["csa_exact"] == 0.0
        assert extra["precision"] == pytest.approx(2 / 3)

    def test_indices_outside_the_pool_are_flagged(self):
        inside, outside, negative = evaluator("selection").score_batch(
            [[0, 2], [0, 7], [-1, 0]],
            [{"indices": [0, 2], "pool": 4}] * 3,
        )
        assert inside["valid"] == 1.0 and inside["csa"] == 1.0
        assert outside == {"csa": 0.0, "csa_exact": 0.0, "recall": 0.5, "precision": 0.5,
                           "valid": 0.0}  # fmt: skip
        assert negative["valid"] == 0.0

    def test_an_empty_selection_of_no_positives_is_exact(self):
        (score,) = evaluator("selection").score_batch([None], [[]])
        assert score == {"csa": 1.0, "csa_exact": 1.0, "recall": 1.0, "precision": 1.0,
                         "valid": 1.0}  # fmt: skip


class TestOrdering:
    def test_hand_computed(self):
        exact, swapped, reversed_, single = evaluator("ordering").score_batch(
            [Ordering((0, 1, 2)), [1, 0, 2], [2, 1, 0], [7]],
            [[0, 1, 2], [0, 1, 2], [0, 1, 2], [7]],
        )
        assert exact == {"cra": 1.0, "pairwise": 1.0, "pairwise_strict": 1.0, "kendall_tau": 1.0,
                         "kendall_tau_strict": 1.0, "valid": 1.0}  # fmt: skip
        # pairs (0,1) discordant, (0,2) and (1,2) concordant
        assert swapped["cra"] == 0.0 and swapped["pairwise"] == pytest.approx(2 / 3)
        assert swapped["kendall_tau"] == pytest.approx(1 / 3)
        assert reversed_["pairwise"] == 0.0 and reversed_["kendall_tau"] == -1.0
        assert single["cra"] == 1.0 and single["pairwise"] == 1.0

    def test_reference_in_the_sft_layout(self):
        (score,) = evaluator("ordering").score_batch([{"order": [2, 0, 1]}], [{"order": [2, 0, 1]}])
        assert score["cra"] == 1.0

    @pytest.mark.parametrize(
        "prediction",
        [[0, 0, 2], [0, 1, 3], [0, 1], [0, 1, 2, 3], [], None],
        ids=["duplicate", "out-of-range", "too-short", "too-long", "empty", "none"],
    )
    def test_invalid_permutations_score_nothing_or_are_skipped(self, prediction):
        (score,) = evaluator("ordering").score_batch([prediction], [[2, 0, 1]])
        # the paper's pairwise and tau leave a malformed answer out; the strict ones score it
        assert score == {"cra": 0.0, "pairwise_strict": 0.0, "kendall_tau_strict": -1.0,
                         "valid": 0.0}  # fmt: skip

    def test_mean_tau_is_twice_mean_pairwise_minus_one_under_both_definitions(self):
        ordering = evaluator("ordering")
        per_sample = ordering.score_batch([[1, 0, 2], [0, 0, 1], [0, 1, 2]], [[0, 1, 2]] * 3)
        table = ordering.aggregate(per_sample)
        # paper: (2/3 + 1) / 2 over the two well-formed answers; strict: (2/3 + 0 + 1) / 3
        assert table["pairwise"] == pytest.approx(5 / 6)
        assert table["pairwise_strict"] == pytest.approx(5 / 9)
        assert table["kendall_tau"] == pytest.approx(2 * table["pairwise"] - 1)
        assert table["kendall_tau_strict"] == pytest.approx(2 * table["pairwise_strict"] - 1)
        assert table["cra"] == pytest.approx(1 / 3)


class TestWordCounts:
    @pytest.mark.parametrize(
        ("text", "units"),
        [
            ("Fresh oranges every morning.", 4),
            ("Don't stop: Wi-Fi at 3.5 GHz, 10,000 users!", 8),
            ("每天早上新鲜橙子", 8),
            ("冰爽清甜，iPhone 15 同款！", 8),  # 4 + iPhone + 15 + 2
            ("iPhone15很好", 3),
            ("軽くて、とても快適です。", 10),  # every kana and kanji, no punctuation
            ("가볍고 편안합니다", 2),  # Korean separates words with spaces
            ("... !!! 🎉", 0),
            ("", 0),
        ],
    )
    def test_auto_counts_cjk_characters_and_other_words(self, text, units):
        from autocut_plugins.metrics import count_units

        assert count_units(text) == units

    def test_other_units(self):
        from autocut_plugins.metrics import count_units

        assert count_units("冰爽 iPhone 15", "words") == 3
        assert count_units("冰爽 iPhone 15", "characters") == 10
        with pytest.raises(ValueError, match="unknown count unit 'syllables'"):
            count_units("x", "syllables")


class TestScript:
    def test_english_hand_computed(self):
        (score,) = evaluator("script").score_batch(
            [Script(("Juice, shot 1.", "Juice, shot 2."))],
            [["Fresh oranges every morning.", "Cold and sweet."]],
        )
        # paper, characters with punctuation and spaces: |14-28| and |14-15| -> 7.5;
        # spoken words per clip |3-4| and |3-3|; per ad |6-7|
        assert score == {"wcd": 7.5, "wcd_units": 0.5, "wcd_ad": 1.0, "line_agreement": 1.0}

    def test_chinese_counts_characters(self):
        (score,) = evaluator("script").score_batch(
            [["新鲜橙子", "冰爽"]], [{"lines": ["每天早上新鲜橙子", "冰爽清甜 Juice"]}]
        )
        # paper: |4-8| and |2-10| (the space and J-u-i-c-e count) -> 6;
        # spoken units: |4-8| and |2-5| -> 3.5; ad |6-13| = 7
        assert score == {"wcd": 6.0, "wcd_units": 3.5, "wcd_ad": 7.0, "line_agreement": 1.0}

    def test_paper_wcd_counts_punctuation(self):
        (score,) = evaluator("script").score_batch([["清爽不腻！"]], [["清爽不腻"]])
        assert score["wcd"] == 1.0 and score["wcd_units"] == 0.0

    def test_the_same_lines_in_words_or_characters_differ(self):
        lines = [["每天早上新鲜橙子"]]
        (by_words,) = evaluator("script", {"unit": "words"}).score_batch([["新鲜"]], lines)
        (auto,) = evaluator("script").score_batch([["新鲜"]], lines)
        assert by_words["wcd_units"] == 0.0  # one "word" each: spaces are what words mean there
        assert auto["wcd_units"] == 6.0
        assert by_words["wcd"] == auto["wcd"] == 6.0  # the paper's WCD always counts characters

    def test_a_wrong_line_count_paper_over_the_longer_project_on_aligned_lines(self):
        short, long_ = evaluator("script").score_batch(
            ["Buy it now.", "one two\nthree four\nfive six seven"],
            [["Buy it today please.", "Cold."], ["one", "three four"]],
        )
        # paper: |11-20| and the missing line |0-5| -> 7; units aligned: line 1, |3-4|; ad |3-5|
        assert short == {"wcd": 7.0, "wcd_units": 1.0, "wcd_ad": 2.0, "line_agreement": 0.0}
        # paper: |7-3|, |10-10| and the extra |14-0| -> 6; units aligned: |2-1| and |2-2|;
        # the extra line counts in the ad total: |7-3|
        assert long_ == {"wcd": 6.0, "wcd_units": 0.5, "wcd_ad": 4.0, "line_agreement": 0.0}

    def test_an_empty_prediction_is_never_perfect(self):
        (empty,) = evaluator("script").score_batch([None], [["one two", "three four five six"]])
        # paper: (7 + 19) / 2 characters; units: (2 + 4) / 2
        assert empty == {"wcd": 13.0, "wcd_units": 3.0, "wcd_ad": 6.0, "line_agreement": 0.0}


class TestMusicRanks:
    def score(self, prediction, reference, **options):
        options.setdefault("similarity", False)
        (result,) = evaluator("music", options).score_batch([prediction], [reference])
        return result

    def test_a_strict_ranking(self):
        result = self.score(["a", "b", "c", "d"], "c")
        assert result == {"hit@1": 0.0, "hit@3": 1.0, "hit@5": 1.0, "mrr": 1 / 3, "valid": 1.0}

    def test_a_pick_with_the_rest_of_the_pool_tied_behind_it(self):
        pool = {"track_id": "c", "pool": ["a", "b", "c", "d", "e", "f"]}
        picked_right = self.score(MusicChoice(track_id="c"), pool)
        assert picked_right["hit@1"] == 1.0 and picked_right["mrr"] == 1.0
        # c is among the 5 tracks tied at ranks 2..6
        wrong = self.score({"track_id": "a", "ranking": [["a"]]}, pool)
        assert wrong["hit@1"] == 0.0
        assert wrong["hit@3"] == pytest.approx(2 / 5)
        assert wrong["hit@5"] == pytest.approx(4 / 5)
        assert wrong["mrr"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 1 / 6) / 5)
        assert wrong["valid"] == 1.0

    def test_ties_inside_a_ranking(self):
        # b and c share ranks 2-3; the reference is one of them
        result = self.score([["a"], ["b", "c"], ["d"]], {"track_id": "c"})
        assert result["hit@1"] == 0.0
        assert result["hit@3"] == 1.0
        assert result["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)
        top_tie = self.score([["a", "b", "c", "d"]], "a", ks=(1, 2))
        assert top_tie["hit@1"] == 0.25 and top_tie["hit@2"] == 0.5
        assert top_tie["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)

    def test_two_correct_tracks_tied(self):
        # 2 of 3 tied tracks are right: P(best at 1) = 2/3, P(at 2) = 1/3
        result = self.score([["a", "b", "c"]], ["a", "b"])
        assert result["hit@1"] == pytest.approx(2 / 3)
        assert result["mrr"] == pytest.approx(2 / 3 + 1 / 3 / 2)

    def test_invalid_and_empty_predictions(self):
        pool = {"track_id": "b", "pool": ["a", "b", "c"]}
        unknown = self.score(["zz", "b"], pool)  # zz is dropped: b is first
        assert unknown["valid"] == 0.0 and unknown["hit@1"] == 1.0
        repeated = self.score(["a", "a", "b"], pool)
        assert repeated["valid"] == 0.0 and repeated["mrr"] == 0.5
        empty = self.score(None, pool)  # everything tied: chance
        assert empty["valid"] == 0.0 and empty["hit@1"] == pytest.approx(1 / 3)
        missed = self.score(["a"], "b")  # no pool given: an unranked reference is a miss
        assert missed == {"hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "mrr": 0.0, "valid": 1.0}

    def test_a_reference_without_an_id_is_an_error(self):
        with pytest.raises(InputError, match="music reference without a track id"):
            self.score(["a"], {"path": "x.wav"})

    def test_aggregate_averages_each_metric_over_the_samples_that_have_it(self):
        summary = evaluator("music").aggregate(
            [{"mrr": 1.0, "mss_proxy": 0.5}, {"mrr": 0.0}, {"mrr": 0.5, "mss_proxy": 1.0}]
        )
        assert summary == {"mrr": 0.5, "mss_proxy": 0.75}


@pytest.fixture(scope="module")
def three_tracks(tmp_path_factory):
    from autocut_core.testing import samples

    folder = tmp_path_factory.mktemp("music")
    return {
        character: samples.make_music(folder / f"{character}.wav", 3.0, character, 22050).path
        for character in ("calm", "energetic", "dark")
    }


class TestMssProxy:
    def test_cosine_of_logmel_embeddings(self, three_tracks):
        from autocut_core.media import decode_audio

        encoder = get_registry().create("encoder", "logmel")
        vectors = {
            name: encoder.encode([decode_audio(path, encoder.sample_rate)])[0]
            for name, path in three_tracks.items()
        }
        expected = float(
            vectors["dark"]
            @ vectors["calm"]
            / (np.linalg.norm(vectors["dark"]) * np.linalg.norm(vectors["calm"]))
        )
        reference = {"track_id": "calm", "path": str(three_tracks["calm"])}
        right, wrong = evaluator("music").score_batch(
            [
                {"track_id": "calm", "path": str(three_tracks["calm"])},
                {"track_id": "dark", "path": str(three_tracks["dark"])},
            ],
            [reference, reference],
        )
        assert right["mss_proxy"] == 1.0
        assert wrong["mss_proxy"] == pytest.approx(expected, abs=1e-5)
        assert -1.0 <= expected < 0.999

    def test_stored_track_vectors_are_used_before_files(self, three_tracks, tmp_path):
        from autocut_core.materials.database import MaterialDB
        from autocut_core.materials.indexing import index, options_from_settings
        from autocut_core.settings import load_settings

        settings = load_settings(None, audio_encoder="logmel")
        index([], list(three_tracks.values()), tmp_path / "db", options_from_settings(settings, 1))
        with MaterialDB(tmp_path / "db", create=False, write=False) as database:
            by_title = {track.title: track.track_id for track in database.tracks()}
            stored = {t: database.vector("logmel", "track", i) for t, i in by_title.items()}
        expected = float(
            stored["energetic"]
            @ stored["calm"]
            / (np.linalg.norm(stored["energetic"]) * np.linalg.norm(stored["calm"]))
        )
        music = evaluator("music", {"db": str(tmp_path / "db")})
        # no paths at all: only the database knows how the tracks sound
        (score,) = music.score_batch(
            [{"track_id": by_title["energetic"]}], [{"track_id": by_title["calm"]}]
        )
        assert score["mss_proxy"] == pytest.approx(expected, abs=1e-6)

    def test_a_pick_whose_sound_is_unknown_is_a_clear_error(self, three_tracks):
        reference = {"track_id": "calm", "path": str(three_tracks["calm"])}
        with pytest.raises(InputError, match="track 'other' has no file and no stored"):
            evaluator("music").score_batch([{"track_id": "other"}], [reference])

    def test_without_the_reference_sound_no_sample_gets_the_proxy(self):
        right, wrong = evaluator("music").score_batch(["a", "b"], ["a", "a"])
        assert "mss_proxy" not in right and "mss_proxy" not in wrong

    def test_an_encoder_that_is_not_audio_is_refused(self, three_tracks):
        music = evaluator("music", {"encoder": "histogram"})
        reference = {"track_id": "calm", "path": str(three_tracks["calm"])}
        prediction = {"track_id": "dark", "path": str(three_tracks["dark"])}
        with pytest.raises(InputError, match="encoder 'histogram' takes image, not audio"):
            music.score_batch([prediction], [reference])

    def test_a_missing_file_names_the_file(self, tmp_path, three_tracks):
        from autocut_core.media import MediaError

        reference = {"track_id": "calm", "path": str(three_tracks["calm"])}
        missing = tmp_path / "gone.wav"
        with pytest.raises(MediaError, match=r"gone\.wav"):
            evaluator("music").score_batch([{"track_id": "x", "path": str(missing)}], [reference])
