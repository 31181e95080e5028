"""The ``openai`` backbone's four tasks end to end against a loopback chat server."""

from __future__ import annotations

import base64
import math

import pytest
from autocut_plugins import openai_backbone
from autocut_plugins.openai_backbone import OpenAIBackbone
from autocut_plugins.openai_backbone.answers import AnswerError, read_indices, read_lines

from autocut_core.contracts import check_backbone
from autocut_core.errors import AutocutError, ComponentSettingsError
from autocut_core.plugins import get_registry
from autocut_core.testing.chat_server import Reply
from autocut_core.types import Candidate, Clip, MusicCandidate, Product, Script, Track

PRODUCT = Product(name="Trail Runner 2", brand="Acme", category="shoes",
                  selling_points=("light", "waterproof"))  # fmt: skip
SCRIPT = Script(sentences=("Light as air.", "Rain? No problem.", "Run further."))
CAPTIONS = (
    "a shoe on a scale",
    "rain on a shoe",
    "a runner on a trail",
    "a cat",
    "a car",
    "a logo",
)


def clips(count: int = 6, source: str = "") -> list[Candidate]:
    return [
        Candidate(
            clip=Clip(source_id=f"src{i:03d}", start=i * 0.5, end=i * 0.5 + 0.5),
            caption=CAPTIONS[i],
            source_path=source,
        )
        for i in range(count)
    ]


TRACKS = [
    MusicCandidate(
        track=Track(track_id="t0", path="/music/calm-piano.ogg", duration=30, title="Calm")
    ),
    MusicCandidate(track=Track(track_id="t1", path="/music/upbeat-run.ogg", duration=42.5)),
    MusicCandidate(track=Track(track_id="t2", path="/music/rock.ogg", duration=25, title="Rock")),
]


def backbone(options, **extra) -> OpenAIBackbone:
    return OpenAIBackbone.from_options({**options, **extra})


def answering(server, *answers: str) -> None:
    server.push(*[Reply.text(answer) for answer in answers])


# --- select ----------------------------------------------------------------------------------


def test_select_sends_facts_script_and_captions(server, fast_options):
    answering(server, "[0, 1, 2]")
    selection = backbone(fast_options).select(PRODUCT, SCRIPT, clips(), 3)

    assert selection.indices == (0, 1, 2) and selection.scores == ()
    request = server.requests[0]
    system, user = request.messages[0]["content"], request.text()
    assert "select the relevant video clips from the pool provided" in system
    assert "no number may repeat" in system and "[0, 2, 5]" in system
    assert "Product: Trail Runner 2\nBrand: Acme\nCategory: shoes\nSelling points: light" in user
    assert "Ad script (3 lines):\n1. Light as air.\n2. Rain? No problem." in user
    assert "Candidate clips (6, some of them unrelated):" in user
    assert "[0] a shoe on a scale (0.5 s)\n[1] rain on a shoe (0.5 s)" in user
    assert user.endswith("Answer with a list of 3 different indices from 0 to 5.")
    assert request.images() == []


@pytest.mark.parametrize(
    ("answer", "repair"),
    [
        ("```json\n[2, 0, 1]\n```", "took the answer out of its code fence"),
        (
            "Sure! The clips are [0, 1, 2].",
            "ignored the text around the list ('Sure! The clips are .')",
        ),
        ('{"indices": [1, 2, 0]}', "ignored the text around the list"),
        ("Here you go:\n```\n[0,1,2,]\n```\nEnjoy!", "took the answer out of its code fence"),
    ],
)
def test_select_repairs_only_wrappings(server, fast_options, answer, repair):
    answering(server, answer)
    chosen = backbone(fast_options)
    assert chosen.select(PRODUCT, SCRIPT, clips(), 3).indices == (0, 1, 2)
    assert any(r.startswith(repair) for r in chosen.last_repairs)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            "[0, 9, 2]",
            "select answer: index 9 is out of range 0..5 at character 4; expected a list "
            "of 3 different clip indices from 0 to 5, like [0, 2, 5]; got '[0, 9, 2]'",
        ),
        ("[0, 2, 2]", "index 2 appears twice at character 7"),
        ("[0, 2]", "2 indices given, 3 wanted"),
        ("[0, 1] or maybe [2, 3]", "2 lists found ([0, 1], [2, 3]), one wanted"),
        ("[0, two, 3]", "'two' is not an index at character 4"),
        ("zero, one and two", "no list [...] found"),
        ("[]", "the list is empty at character 1"),
    ],
)
def test_select_invalid_answers_are_precise_errors(server, fast_options, answer, message):
    answering(server, answer)
    with pytest.raises(AutocutError) as caught:
        backbone(fast_options, reask=False).select(PRODUCT, SCRIPT, clips(), 3)
    assert message in str(caught.value)
    assert f"backbone openai (gpt-4o at {server.url}/chat/completions)" in str(caught.value)


def test_reask_quotes_the_problem_once(server, fast_options):
    answering(server, "[0, 9, 2]", "[0, 4, 2]")
    selection = backbone(fast_options).select(PRODUCT, SCRIPT, clips(), 3)

    assert selection.indices == (0, 2, 4)
    retry = server.requests[1].messages
    assert retry[-2] == {"role": "assistant", "content": "[0, 9, 2]"}
    assert retry[-1]["content"] == (
        "That answer cannot be used: index 9 is out of range 0..5. Answer again with only a list "
        "of 3 different clip indices from 0 to 5, like [0, 2, 5]."
    )


def test_a_chinese_ad_is_re_asked_in_chinese(server, fast_options):
    answering(server, "[0, 9, 2]", "[0, 4, 2]")
    product = Product(name="冷泡茶", selling_points=("零糖",))
    script = Script(sentences=("清晨采摘茶叶", "冰块落进茶杯", "零糖配方"))
    zh = [Candidate(clip=c.clip, caption=f"画面{i}") for i, c in enumerate(clips())]
    assert backbone(fast_options).select(product, script, zh, 3).indices == (0, 2, 4)
    assert server.requests[1].messages[-1]["content"] == (
        "这个回答无法使用（index 9 is out of range 0..5）。请重新回答，只输出要求的内容。"
        "【现在请输出相关的视频片段编号】共3个，互不相同，范围 0 到 5。"
    )


def test_reask_failing_again_reports_both(server, fast_options):
    answering(server, "[0, 9, 2]", "[1]")
    with pytest.raises(AutocutError, match=r"1 indices given.*asked twice; first answer: index 9"):
        backbone(fast_options).select(PRODUCT, SCRIPT, clips(), 3)
    assert len(server.requests) == 2


def test_select_nothing_or_too_much_asks_no_one(server, fast_options):
    chosen = backbone(fast_options)
    assert chosen.select(PRODUCT, SCRIPT, clips(), 0).indices == ()
    with pytest.raises(AutocutError, match="cannot select 7 distinct candidates from a pool of 6"):
        chosen.select(PRODUCT, SCRIPT, clips(), 7)
    assert server.requests == []


def test_scores_from_logprobs(server, fast_options):
    tokens = [("[", -0.01), ("3", -0.1), (",", 0.0), (" ", 0.0), ("1", -0.5), ("]", 0.0)]
    server.push(Reply.text("[3, 1]", logprobs=tokens))
    selection = backbone(fast_options, logprobs=True).select(PRODUCT, SCRIPT, clips(), 2)
    assert selection.indices == (1, 3)
    assert selection.scores == pytest.approx((math.exp(-0.5), math.exp(-0.1)))
    assert server.requests[0].body["logprobs"] is True


# --- sort ------------------------------------------------------------------------------------


def test_sort_returns_the_permutation(server, fast_options):
    answering(server, "[2, 0, 1]")
    ordering = backbone(fast_options).sort(PRODUCT, SCRIPT, clips(3))
    assert ordering.order == (2, 0, 1)
    user = server.requests[0].text()
    assert "Clips in random order (3):" in user
    assert user.endswith(
        "Answer with a list of all 3 indices from 0 to 2, each once, in playing order."
    )


def test_sort_reads_a_one_based_permutation_when_zero_based_was_asked(server, fast_options):
    answering(server, "[3, 1, 2]")
    chosen = backbone(fast_options)
    assert chosen.sort(PRODUCT, SCRIPT, clips(3)).order == (2, 0, 1)
    assert chosen.last_repairs == ("read as numbered from 1 (a permutation of 1..3)",)


def test_index_base_one(server, fast_options):
    answering(server, "[2, 3, 1]", "[0, 1, 2]", "[1, 3]")
    chosen = backbone(fast_options, index_base=1, cache=False)

    assert chosen.sort(PRODUCT, SCRIPT, clips(3)).order == (1, 2, 0)
    assert "[1] a shoe on a scale" in server.requests[0].text()
    assert (
        "from 1 to 3" in server.requests[0].text()
        and "[3, 1, 2]" in server.requests[0].messages[0]["content"]
    )
    assert chosen.sort(PRODUCT, SCRIPT, clips(3)).order == (0, 1, 2)
    assert chosen.last_repairs == ("read as numbered from 0 (a permutation of 0..2)",)
    assert chosen.select(PRODUCT, SCRIPT, clips(), 2).indices == (0, 2)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("[0, 0, 1]", "index 0 appears twice"),
        ("[0, 1]", "2 of the 3 clips ordered"),
        ("[1, 2, 4]", "index 4 is out of range 0..2"),
    ],
)
def test_sort_invalid(server, fast_options, answer, message):
    answering(server, answer)
    with pytest.raises(AutocutError, match=message):
        backbone(fast_options, reask=False).sort(PRODUCT, SCRIPT, clips(3))


# --- script ----------------------------------------------------------------------------------


def test_write_script_one_line_per_clip(server, fast_options):
    answering(server, "Light as air.\nRain? No problem.\nRun further.")
    script = backbone(fast_options).write_script(PRODUCT, clips(3))
    assert script.sentences == SCRIPT.sentences and script.language == "en"
    user = server.requests[0].text()
    assert "Clips in playing order (3):" in user and "Script (" not in user
    assert user.endswith(
        "Write 3 lines, one for each clip, in clip order. Answer with exactly 3 lines."
    )


@pytest.mark.parametrize(
    ("answer", "repair"),
    [
        ("1. Light as air.\n2. Rain? No problem.\n3. Run further.", "removed the line numbers"),
        (
            "Light as air.\n\nRain? No problem.\n\nRun further.",
            "dropped blank lines between the lines",
        ),
        (
            "```\n- Light as air.\n- Rain? No problem.\n- Run further.\n```",
            "removed the list bullets",
        ),
    ],
)
def test_write_script_repairs(server, fast_options, answer, repair):
    answering(server, answer)
    chosen = backbone(fast_options)
    assert chosen.write_script(PRODUCT, clips(3)).sentences == SCRIPT.sentences
    assert repair in chosen.last_repairs


def test_write_script_wrong_line_count(server, fast_options):
    answering(server, "Here is your script:\nLight as air.\nRain? No problem.\nRun further.")
    with pytest.raises(
        AutocutError, match=r"script answer: 4 lines written, 3 wanted; expected exactly 3"
    ):
        backbone(fast_options, reask=False).write_script(PRODUCT, clips(3))


def test_write_script_in_chinese(server, fast_options):
    answering(server, "轻如空气。\n雨天无忧。")
    product = Product(name="轻跑鞋", brand="阿克米", selling_points=("轻", "防水"))
    zh_clips = [Candidate(clip=c.clip, caption="鞋子特写") for c in clips(2)]
    script = backbone(fast_options).write_script(product, zh_clips)
    assert script.sentences == ("轻如空气。", "雨天无忧。") and script.language == "zh"
    system, user = server.requests[0].messages[0]["content"], server.requests[0].text()
    assert system.startswith("你是专业的视频剪辑师")
    assert (
        "请为每个视频片段写一句中文台词，要求口语自然连贯、贴合画面、符合商品和品牌信息。" in system
    )
    assert (
        "【商品】轻跑鞋\n【品牌】阿克米\n【卖点】轻；防水\n\n【视频片段如下】（按播放顺序）共2个"
        in user
    )
    assert "【类目】" not in user and "无" not in user  # an empty field is left out
    assert user.endswith("【现在开始输出台词】请恰好输出2行台词。")


def test_a_chinese_ad_is_asked_in_chinese_without_empty_fields(server, fast_options):
    answering(server, "[4, 0, 2]", "2,0,1")
    product = Product(name="冷泡茶", selling_points=("零糖",))
    script = Script(sentences=("清晨采摘茶叶", "冰块落进茶杯", "零糖配方"))
    zh = [Candidate(clip=c.clip, caption=f"画面{i}") for i, c in enumerate(clips())]
    chosen = backbone(fast_options)
    assert chosen.select(product, script, zh, 3).indices == (0, 2, 4)
    assert chosen.sort(product, script, zh[:3]).order == (2, 0, 1)
    select, sort = (request.messages for request in server.requests)
    assert (
        "请你根据商品信息和广告台词，从提供的素材池中选择相关的视频片段，并输出它们的编号。"
        in select[0]["content"]
    )
    assert (
        "【输出要求】1）只输出要求数量的视频片段编号；2）输出的视频片段编号不能有重复。"
        in select[0]["content"]
    )
    user = server.requests[0].text()
    assert "【商品】冷泡茶\n【卖点】零糖\n\n【广告台词如下】共3句\n1. 清晨采摘茶叶" in user
    assert "【品牌】" not in user and "【类目】" not in user and "无" not in user
    assert "【视频片段素材（含不相关的样本）】共6个\n[0] 画面0（0.5 秒）" in user
    assert user.endswith("【现在请输出相关的视频片段编号】共3个，互不相同，范围 0 到 5。")
    assert "请你根据提供的广告台词顺序，将视频片段进行排序" in sort[0]["content"]
    assert (
        server.requests[1]
        .text()
        .endswith(
            "【现在请输出按正确顺序排列的视频片段编号序列】全部3个编号，范围 0 到 2，每个一次。"
        )
    )


def test_an_english_ad_leaves_empty_fields_out_and_untimed_clips_have_no_length(
    server, fast_options
):
    answering(server, "[1, 0]")
    bare = Product(name="Juice")
    untimed = [Candidate(clip=c.clip, caption=c.caption, timed=False) for c in clips(2)]
    backbone(fast_options).sort(bare, Script(sentences=("a", "b")), untimed)
    user = server.requests[0].text()
    assert "Product: Juice\n\nAd script (2 lines):" in user
    assert "Brand:" not in user and "Category:" not in user and ": -" not in user
    assert "[0] a shoe on a scale\n[1] rain on a shoe\n" in user  # no invented "(1.0 s)"


@pytest.mark.parametrize(
    ("answer", "base", "order", "repairs"),
    [
        ("8,6,4,5,1,2,3,7", 1, (7, 5, 3, 4, 0, 1, 2, 6), ()),  # the paper's own answer
        ("7,5,3,4,0,1,2,6", 0, (7, 5, 3, 4, 0, 1, 2, 6), ()),
        ("8,6,4,5,1,2,3,7", 0, (7, 5, 3, 4, 0, 1, 2, 6),
         ("read as numbered from 1 (a permutation of 1..8)",)),
        ("7，5，3，4，0，1，2，6。", 0, (7, 5, 3, 4, 0, 1, 2, 6), ()),
        ("[7, 5, 3, 4, 0, 1, 2, 6]", 0, (7, 5, 3, 4, 0, 1, 2, 6), ()),
        ('{"order": [7, 5, 3, 4, 0, 1, 2, 6]}', 0, (7, 5, 3, 4, 0, 1, 2, 6),
         ("ignored the text around the list ('{\"order\": }')",)),
        ("```\n7,5,3,4,0,1,2,6\n```", 0, (7, 5, 3, 4, 0, 1, 2, 6),
         ("took the answer out of its code fence",)),
    ],
)  # fmt: skip
def test_sort_answers_bare_as_json_or_as_a_list(server, fast_options, answer, base, order, repairs):
    answering(server, answer)
    eight = [Candidate(clip=Clip(f"s{i}", 0.0, 1.0), caption=f"clip {i}") for i in range(8)]
    chosen = backbone(fast_options, index_base=base, reask=False)
    assert chosen.sort(PRODUCT, SCRIPT, eight).order == order
    assert chosen.last_repairs == repairs


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("0,0,1", "index 0 appears twice at character 2"),
        ("0,1,9", "index 9 is out of range 0..2 at character 4"),
        ("0,1", "2 of the 3 clips ordered"),
        ("0,1,2 or 2,1,0", "no list [...] found"),
        ("0,,1,2", "no list [...] found"),
    ],
)
def test_malformed_bare_answers_are_errors_not_guesses(server, fast_options, answer, message):
    answering(server, answer)
    with pytest.raises(AutocutError) as caught:
        backbone(fast_options, reask=False).sort(PRODUCT, SCRIPT, clips(3))
    assert message in str(caught.value)


def test_select_reads_a_bare_answer(server, fast_options):
    answering(server, "5,1,3")
    assert backbone(fast_options).select(PRODUCT, SCRIPT, clips(), 3).indices == (1, 3, 5)


# --- music -----------------------------------------------------------------------------------


def test_pick_music_by_number(server, fast_options):
    answering(server, "2")
    choice = backbone(fast_options).pick_music(PRODUCT, SCRIPT, clips(3), TRACKS)
    assert choice.track_id == "t2" and choice.score is None
    user = server.requests[0].text()
    assert '0 "Calm" (calm-piano.ogg, 30.0 s)\n1 (upbeat-run.ogg, 42.5 s)\n2 "Rock"' in user
    assert user.endswith("Answer with the number of one track, from 0 to 2.")


@pytest.mark.parametrize(
    ("answer", "track", "repair"),
    [
        ("[1]", "t1", "read the one-element list"),
        ("Track 1 fits the pace.", "t1", "ignored the text"),
    ],
)
def test_pick_music_repairs(server, fast_options, answer, track, repair):
    answering(server, answer)
    chosen = backbone(fast_options)
    assert chosen.pick_music(PRODUCT, SCRIPT, clips(3), TRACKS).track_id == track
    assert chosen.last_repairs[0].startswith(repair)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("1 or 2", r"2 numbers found \(1, 2\), one wanted"),
        ("5", r"track 5 is out of range 0..2 at character 0"),
        ("the rock one", "no track number found"),
    ],
)
def test_pick_music_invalid(server, fast_options, answer, message):
    answering(server, answer)
    with pytest.raises(AutocutError, match=message):
        backbone(fast_options, reask=False).pick_music(PRODUCT, SCRIPT, clips(3), TRACKS)


def test_pick_music_needs_tracks(server, fast_options):
    with pytest.raises(AutocutError, match="empty music library"):
        backbone(fast_options).pick_music(PRODUCT, SCRIPT, clips(3), [])


# --- frames, captions, caching ---------------------------------------------------------------


def test_images_are_middle_frames_as_jpeg(server, fast_options, tiny_video):
    answering(server, "[1, 0, 2]")
    chosen = backbone(fast_options, images=True, image_max_side=64)
    assert chosen.sort(PRODUCT, SCRIPT, clips(3, str(tiny_video))).order == (1, 0, 2)

    images = server.requests[0].images()
    assert len(images) == 3
    frames = [base64.b64decode(url.split(",", 1)[1]) for url in images]
    assert all(frame.startswith(b"\xff\xd8") for frame in frames)
    assert len(set(frames)) == 3  # the test pattern differs at 0.25 s, 0.75 s, 1.25 s
    content = server.requests[0].messages[1]["content"]
    assert content[-1]["type"] == "text" and content[-1]["text"].endswith("playing order.")
    assert content[1]["image_url"]["detail"] == "low"


def test_images_need_the_footage_file(server, fast_options):
    with pytest.raises(
        AutocutError, match=r"3 of the 3 clips have no footage file .*e\.g\. clip 0"
    ):
        backbone(fast_options, images=True).sort(PRODUCT, SCRIPT, clips(3))


def test_no_captions_and_no_images_is_an_error(server, fast_options):
    bare = [Candidate(clip=c.clip) for c in clips(3)]
    with pytest.raises(AutocutError, match="none of the 3 clips has a caption"):
        backbone(fast_options).sort(PRODUCT, SCRIPT, bare)
    assert server.requests == []


def test_a_rerun_is_answered_from_the_cache(server, fast_options):
    answering(server, "[2, 0, 1]")
    backbone(fast_options).sort(PRODUCT, SCRIPT, clips(3))
    again = backbone(fast_options)
    assert again.sort(PRODUCT, SCRIPT, clips(3)).order == (2, 0, 1)
    assert len(server.requests) == 1 and again.client.usage.cached == 1


# --- settings, registration, contract --------------------------------------------------------


def test_unknown_option_and_secret_key(fast_options):
    with pytest.raises(ComponentSettingsError, match="'imags'"):
        OpenAIBackbone.from_options({"imags": True})
    chosen = OpenAIBackbone.from_options({"api_key": "sk-hidden"})
    assert "sk-hidden" not in repr(chosen.settings)


def test_registered_and_honours_the_contract(autocut_plugin):
    if "openai" not in get_registry().names("backbone"):  # before the entry point is installed
        autocut_plugin(openai_backbone, name="openai-test")
    registration = get_registry().get("backbone", "openai")
    component = registration.cls.from_options(registration.cls.example_options())
    check_backbone(component)
    assert component.client.usage.calls == 4


def test_answer_readers_directly():
    reading = read_indices("select", "[5, 1]", size=6, base=0, expected="x", count=2)
    assert (reading.value, reading.spans) == ([1, 5], ((4, 5), (1, 2)))
    with pytest.raises(AnswerError, match="2 lists found"):
        read_indices("sort", "```\n[0]\n```\n```\n[1]\n```", size=2, base=0, expected="x")
    assert read_lines("a\nb", lines=2, expected="x").value == ["a", "b"]
