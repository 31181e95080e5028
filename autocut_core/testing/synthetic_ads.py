"""A world of finished synthetic ads with known facts: training data for tests and demos.

Each ad sells a made-up product (name, brand, category, selling points) and is made of
clips whose pictures differ by what their sentence says: a real photo (the ``opencv-doc``
sample images: an apple, a footballer, a starry sky, an aloe plant...) zoomed or panned with
ffmpeg, so pretrained image encoders see real objects; where those photos are missing, a
generated scene from :data:`autocut_core.testing.samples.SCENE_SOURCES` stands in. One sentence per
clip describes the picture; espeak-ng speaks it (:class:`autocut_plugins.espeak.EspeakVoice`);
a transcript sidecar records when each sentence is spoken; and background music whose
character matches the footage (``samples.make_music``: bright fruit, energetic sport, dark
night-and-tech, calm home) is mixed under the voice and also written alone as the BGM sidecar.

The files follow the naming convention of ``autocut dataset build`` (docs/datasets.md)::

    ad01.mp4  ad01.srt|.vtt|.json  ad01.product.toml|.json  ad01.bgm.ogg

A few deliberately bad ads exercise the build's checks and filters (:data:`BAD_KINDS`): no
transcript, a broken SRT, no speech, too long, a clip too short, a repetitive script and a
duplicate of a good ad. Each :class:`AdPlan` says what the build should do with it
(``expect``).

Everything is planned first (:func:`plan_corpus`, pure and deterministic from the seed) and
then rendered (:func:`write_corpus`, one ffmpeg run per ad, in parallel), so a corpus scales
from the dozen ads a test needs to the thousands of a demo world; the same seed gives the same
plans and, with the same ffmpeg and espeak-ng, the same bytes.

Two worlds share that machinery (:class:`World`). :data:`BASIC_WORLD` (the default) is the
small one the dataset tests build. :data:`DEMO_WORLD` is the one the bundled demo model learns
from (``examples/demo/train_demo.py``; :func:`make_demo_world`): six categories of 31
concepts, each a different photo that the pretrained EfficientNet-Lite0 tells apart, portrait
frames, mirrored shots, camera moves whose pace follows the mood, ten sentence templates, and
music per *product*: a tune in its category's mood (bright, energetic, dark, calm, playful,
airy) transposed and re-timed for each product line, so the model can learn which music an ad
gets from what it shows and sells.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import shutil
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from autocut_core.testing.samples import (
    SCENE_SOURCES,
    MusicCharacter,
    _deterministic_args,
    _ffmpeg,
    _partial,
    _run,
    make_music,
    write_sound,
)
from autocut_core.types import Product

IMAGE_FOLDER = Path("/usr/share/doc/opencv-doc/examples/data")


@dataclass(frozen=True)
class Concept:
    """Something a clip can show, in words (English, Chinese) and as a picture."""

    key: str
    en: str
    zh: str
    image: str
    #: Other photos of the same thing (the other camera of a stereo pair, a second frame),
    #: drawn as often as ``image`` where a world varies its shots.
    alternates: tuple[str, ...] = ()

    @property
    def images(self) -> tuple[str, ...]:
        return (self.image, *self.alternates)


@dataclass(frozen=True)
class Category:
    """A kind of product: its footage, its music character and what its ads say."""

    key: str
    en: str
    zh: str
    mood: str
    concepts: tuple[str, ...]
    products: tuple[tuple[str, str], ...]
    points: tuple[tuple[str, str], ...]
    #: How far the camera zooms or pans over one shot (share of the frame): the footage's
    #: pace follows the music's (calm ads drift, energetic ones push in).
    zoom: float = 0.25


CONCEPTS: dict[str, Concept] = {c.key: c for c in (
    # bright
    Concept("apple", "a shiny red apple", "一颗红亮的苹果", "apple.jpg"),
    Concept("orange", "a ripe orange", "一个熟透的橙子", "orange.jpg"),
    Concept("fruits", "sliced oranges, lemons and kiwis", "切开的橙子、柠檬和猕猴桃", "fruits.jpg"),
    Concept("candy", "colourful candy buttons", "五颜六色的糖豆", "smarties.png"),
    Concept("fish", "a cheerful cartoon fish", "一条快乐的卡通鱼", "HappyFish.jpg"),
    Concept("toys", "colourful wooden toys", "彩色的木头玩具", "rubberwhale1.png"),
    # energetic
    Concept("football", "a footballer striking the ball", "一名正在射门的足球运动员", "messi5.jpg"),
    Concept("ballgame", "friends playing ball indoors", "在室内打球的朋友们", "basketball1.png"),
    Concept("aerial", "a city seen from the air", "从空中俯瞰的城市", "aero1.jpg"),
    Concept("graffiti", "a bold graffiti wall", "一面大胆的涂鸦墙", "graf1.png"),
    Concept("car", "a car speeding down the road", "一辆在路上飞驰的汽车", "licenseplate_motion.jpg"),
    # dark
    Concept("stars", "a swirling starry night sky", "旋转的星空", "starry_night.jpg"),
    Concept("circuit", "a green circuit board", "一块绿色的电路板", "board.jpg"),
    Concept("monkey", "a grey 3D monkey head", "一个灰色的三维猴头", "Blender_Suzanne1.jpg"),
    Concept("desk", "a pen and a lighter on a desk", "桌上的一支笔和一个打火机", "stuff.jpg"),
    Concept("boxes", "boxes stacked on a desk", "堆在桌上的盒子", "box_in_scene.png"),
    Concept("notebook", "a black notebook with a green band", "一本系着绿色橡皮筋的黑色笔记本", "ela_original.jpg"),
    # calm
    Concept("aloe", "an aloe plant in a clay pot", "陶盆里的一株芦荟", "aloeL.jpg"),
    Concept("squirrel", "a squirrel resting on a branch", "趴在树枝上的松鼠", "squirrel_cls.jpg"),
    Concept("butterfly", "a butterfly on a green leaf", "停在绿叶上的蝴蝶", "butterfly.jpg"),
    Concept("palace", "a yellow palace under a blue sky", "蓝天下的黄色宫殿", "home.jpg"),
    Concept("street", "a quiet brick street", "一条安静的砖砌街道", "leuvenA.jpg"),
    Concept("dog", "a happy little dog", "一只开心的小狗", "chicky_512.png"),
)}  # fmt: skip

CATEGORIES: tuple[Category, ...] = (
    Category(
        "snacks", "drinks and snacks", "饮料零食", "bright",
        ("apple", "orange", "fruits", "candy", "fish", "toys"),
        (("sparkling fruit juice", "气泡果汁"), ("fruit gummies", "水果软糖"),
         ("vitamin water", "维生素水")),
        (("light and fresh", "清爽不腻"), ("full of vitamins", "富含维生素"),
         ("sweet without added sugar", "无添加糖也很甜"), ("great for sharing", "适合分享")),
    ),
    Category(
        "sports", "sports gear", "运动装备", "energetic",
        ("football", "ballgame", "aerial", "graffiti", "car"),
        (("running shoes", "跑鞋"), ("sports bottle", "运动水杯"), ("wireless earbuds", "无线耳机")),
        (("ready for long runs", "适合长跑"), ("light on your feet", "轻盈舒适"),
         ("built to last", "经久耐用"), ("easy to carry", "方便携带")),
    ),
    Category(
        "night", "night and tech", "夜间数码", "dark",
        ("stars", "circuit", "monkey", "desk", "boxes", "notebook"),
        (("night cream", "晚霜"), ("mechanical keyboard", "机械键盘"), ("smart watch", "智能手表")),
        (("quiet at night", "夜里也安静"), ("precise and sturdy", "精准结实"),
         ("made for late hours", "专为深夜设计"), ("sleek in dark grey", "深灰色很有质感")),
    ),
    Category(
        "home", "home and tea", "家居茶饮", "calm",
        ("aloe", "squirrel", "butterfly", "palace", "street", "dog"),
        (("herbal tea", "花草茶"), ("linen pillow", "亚麻枕头"), ("scented candle", "香薰蜡烛")),
        (("soft and calming", "柔和舒缓"), ("natural and gentle", "天然温和"),
         ("made for slow mornings", "适合悠闲的早晨"), ("easy to care for", "打理简单")),
    ),
)  # fmt: skip

BRANDS: tuple[tuple[str, str], ...] = (
    ("Luma", "露玛"), ("Verdo", "绿朵"), ("Qiro", "启若"), ("Novi", "诺薇"),
    ("Tesso", "泰索"), ("Brio", "布里"), ("Kalo", "卡洛"), ("Mira", "米拉"),
)  # fmt: skip

#: Sentence templates: each names the picture ({concept}), some the product and a point.
TEMPLATES = {
    "en": (
        "Here you see {concept}.",
        "Meet {concept}, with {brand} {product}.",
        "Look at {concept}: {point}.",
        "This is {concept}, and our {product} is {point}.",
        "Picture {concept} with {brand}.",
        "Now {concept}, simply {point}.",
    ),
    "zh": (
        "画面里是{concept}。",
        "{brand}{product}，陪你看{concept}。",
        "看，{concept}，{point}。",
        "这是{concept}，我们的{product}{point}。",
        "镜头转到{concept}。",
        "{brand}带你看{concept}，{point}。",
    ),
}
MOTIONS = ("zoom_in", "zoom_out", "pan_right", "pan_left")
TRANSCRIPT_FORMATS = ("srt", "vtt", "json")
#: Bad ad kind -> what `autocut dataset build` should do with it (a filter name or "skipped").
BAD_KINDS: dict[str, str] = {
    "missing_transcript": "skipped",
    "broken_srt": "skipped",
    "empty": "empty",
    "too_long": "duration",
    "short_clip": "clip_duration",
    "repetitive": "repetitive",
    "duplicate": "duplicate",
}
#: Silence around each sentence within its clip, and the shortest ordinary clip (seconds).
SPEECH_PAD = 0.35
MIN_SHOT = 2.4
VOICE_SPEED = 230


@dataclass(frozen=True)
class Tune:
    """An ad's background music in a world that writes music per product: a mood's tune
    (:data:`TUNES`) on ``root`` (a frequency factor) at ``bpm``."""

    mood: str
    root: float
    bpm: float


@dataclass(frozen=True)
class World:
    """What ads can be about and how they may vary: the concepts, the categories they belong
    to, the brands, the sentence templates per language, and whether shots are mirrored and
    music is made per product (:class:`Tune`) rather than one character per category."""

    name: str
    concepts: Mapping[str, Concept]
    categories: tuple[Category, ...]
    brands: tuple[tuple[str, str], ...]
    templates: Mapping[str, tuple[str, ...]]
    varied: bool = False


BASIC_WORLD = World("basic", CONCEPTS, CATEGORIES, BRANDS, TEMPLATES)

# --- the demo world ------------------------------------------------------------------------

#: The basic world's concepts and the photos it left out: a baboon and a building (shots of
#: the bundled example), cards, a chessboard, a sudoku, toy blocks, paper shapes and a robot.
DEMO_CONCEPTS: dict[str, Concept] = {c.key: c for c in (
    Concept("apple", "a shiny red apple", "一颗红亮的苹果", "apple.jpg"),
    Concept("orange", "a ripe orange", "一个熟透的橙子", "orange.jpg"),
    Concept("fruits", "sliced oranges, lemons and kiwis", "切开的橙子、柠檬和猕猴桃", "fruits.jpg"),
    Concept("candy", "colourful candy buttons", "五颜六色的糖豆", "smarties.png"),
    Concept("fish", "a cheerful cartoon fish", "一条快乐的卡通鱼", "HappyFish.jpg"),
    Concept("toys", "colourful wooden toys", "彩色的木头玩具", "rubberwhale1.png",
            ("rubberwhale2.png",)),
    Concept("football", "a footballer striking the ball", "一名正在射门的足球运动员", "messi5.jpg"),
    Concept("ballgame", "friends playing ball indoors", "在室内打球的朋友们", "basketball1.png",
            ("basketball2.png",)),
    Concept("graffiti", "a bold graffiti wall", "一面大胆的涂鸦墙", "graf1.png", ("graf3.png",)),
    Concept("car", "a car speeding down the road", "一辆在路上飞驰的汽车", "licenseplate_motion.jpg"),
    Concept("aerial", "a city seen from the air", "从空中俯瞰的城市", "aero1.jpg", ("aero3.jpg",)),
    Concept("stars", "a swirling starry night sky", "旋转的星空", "starry_night.jpg"),
    Concept("circuit", "a green circuit board", "一块绿色的电路板", "board.jpg"),
    Concept("monkey", "a grey 3D monkey head", "一个灰色的三维猴头", "Blender_Suzanne1.jpg",
            ("Blender_Suzanne2.jpg",)),
    Concept("desk", "a pen and a lighter on a desk", "桌上的一支笔和一个打火机", "stuff.jpg"),
    Concept("boxes", "boxes stacked on a desk", "堆在桌上的盒子", "box_in_scene.png"),
    Concept("notebook", "a black notebook with a green band", "一本系着绿色橡皮筋的黑色笔记本",
            "ela_original.jpg"),
    Concept("aloe", "an aloe plant in a clay pot", "陶盆里的一株芦荟", "aloeL.jpg", ("aloeR.jpg",)),
    Concept("squirrel", "a squirrel resting on a branch", "趴在树枝上的松鼠", "squirrel_cls.jpg"),
    Concept("butterfly", "a butterfly on a green leaf", "停在绿叶上的蝴蝶", "butterfly.jpg"),
    Concept("dog", "a happy little dog", "一只开心的小狗", "chicky_512.png"),
    Concept("palace", "a yellow palace under a blue sky", "蓝天下的黄色宫殿", "home.jpg"),
    Concept("street", "a quiet brick street", "一条安静的砖砌街道", "leuvenA.jpg", ("leuvenB.jpg",)),
    Concept("building", "a white hotel building", "一座白色的酒店大楼", "building.jpg"),
    Concept("baboon", "a baboon with a bright blue face", "一只蓝脸的狒狒", "baboon.jpg"),
    Concept("cards", "playing cards spread on a table", "摊在桌上的扑克牌", "cards.png"),
    Concept("chessboard", "a black and white chessboard", "一张黑白棋盘", "chessboard.png"),
    Concept("sudoku", "a sudoku puzzle on paper", "纸上的数独谜题", "sudoku.png"),
    Concept("blocks", "grey toy blocks on a table", "桌上的灰色积木", "blox.jpg"),
    Concept("shapes", "paper shapes in bright colours", "色彩鲜艳的纸片图形", "pic5.png"),
    Concept("robot", "a little robot with a diploma", "一个拿着毕业证书的小机器人", "ml.png"),
)}  # fmt: skip

DEMO_CATEGORIES: tuple[Category, ...] = (
    replace(CATEGORIES[0], zoom=0.25),
    Category(
        "sports", "sports gear", "运动装备", "energetic",
        ("football", "ballgame", "graffiti", "car"),
        CATEGORIES[1].products, CATEGORIES[1].points, zoom=0.6,
    ),
    replace(CATEGORIES[2], zoom=0.1),
    Category(
        "home", "home and tea", "家居茶饮", "calm",
        ("aloe", "squirrel", "butterfly", "dog"),
        CATEGORIES[3].products, CATEGORIES[3].points, zoom=0.15,
    ),
    Category(
        "games", "games and puzzles", "桌游益智", "playful",
        ("cards", "chessboard", "sudoku", "blocks", "shapes", "robot"),
        (("puzzle box", "益智拼图"), ("card game", "卡牌游戏"), ("building blocks", "积木")),
        (("fun for the whole family", "全家都爱玩"), ("good for the mind", "很锻炼思维"),
         ("easy to learn", "上手简单"), ("great for rainy days", "适合下雨天玩")),
        zoom=0.45,
    ),
    Category(
        "travel", "travel and outdoors", "旅行户外", "airy",
        ("palace", "street", "building", "aerial", "baboon"),
        (("travel backpack", "旅行背包"), ("city guide app", "城市导览应用"), ("sun hat", "遮阳帽")),
        (("light to carry", "轻便好带"), ("ready for any trip", "说走就走"),
         ("made for long days out", "适合一整天的出行"), ("easy to pack", "方便收纳")),
        zoom=0.12,
    ),
)  # fmt: skip

#: Ten English and eight Chinese templates; no inner sentence end (the builder cuts there).
DEMO_TEMPLATES = {
    "en": (
        *TEMPLATES["en"],
        "Next up, {concept} for {brand}.",
        "Imagine {concept} and a {product} that is {point}.",
        "{concept}, just like {brand} {product}.",
        "Take a moment with {concept}.",
    ),
    "zh": (
        *TEMPLATES["zh"],
        "接下来是{concept}，来自{brand}。",
        "想象{concept}，{product}{point}。",
    ),
}

#: A tune per mood, as ``(root, bpm) -> MusicCharacter``: an aevalsrc expression of ``t``.
#: The moods differ in tempo, register, attack and noise (so the ``logmel`` encoder and a
#: listener tell them apart); a product's ``root`` moves the register and its ``bpm`` the
#: beat, so the three product lines of a category sound related but not the same.
TUNES = {
    # high bell plucks over a major arpeggio
    "bright": lambda r, bpm: MusicCharacter(bpm, (
        f"0.4*sin(2*PI*{880 * r:.3f}*pow(2,floor(mod(t*{bpm / 60:.4f},3))*4/12)*t)"
        f"*exp(-6*mod(t,{60 / bpm:.5f}))+0.1*sin(2*PI*{1318.5 * r:.3f}*t)")),
    # kick on every beat, noise hi-hat on the off-beat, an arpeggio
    "energetic": lambda r, bpm: MusicCharacter(bpm, (
        f"0.55*sin(2*PI*{55 * r:.3f}*t)*exp(-18*mod(t,{60 / bpm:.5f}))"
        f"+0.25*(2*random(0)-1)*exp(-70*mod(t+{30 / bpm:.5f},{60 / bpm:.5f}))"
        f"+0.18*sin(2*PI*{440 * r:.3f}*pow(2,floor(mod(t*{bpm / 30:.4f},4))*4/12)*t)")),
    # a low drone pulsing on the beat over low-passed noise
    "dark": lambda r, bpm: MusicCharacter(bpm, (
        f"0.35*sin(2*PI*{55 * r:.3f}*t)+0.25*sin(2*PI*{82.4 * r:.3f}*t)"
        f"*(0.6+0.4*sin(2*PI*{bpm / 60:.4f}*t))+0.2*(2*random(0)-1)"),
        f"lowpass=f={300 * r:.0f},lowpass=f={300 * r:.0f}"),
    # a minor chord swelling once a beat, no percussion
    "calm": lambda r, bpm: MusicCharacter(bpm, (
        f"0.25*(sin(2*PI*{220 * r:.3f}*t)+0.7*sin(2*PI*{261.63 * r:.3f}*t)"
        f"+0.5*sin(2*PI*{329.63 * r:.3f}*t))*(0.55+0.45*sin(2*PI*{bpm / 60:.4f}*t))")),
    # staccato hollow (odd-harmonic) notes hopping up in fifths on the eighths, a woodblock
    "playful": lambda r, bpm: MusicCharacter(bpm, (
        f"0.3*(sin(2*PI*{523.25 * r:.3f}*pow(1.5,floor(mod(t*{bpm / 30:.4f},3)))*t)"
        f"+sin(6*PI*{523.25 * r:.3f}*pow(1.5,floor(mod(t*{bpm / 30:.4f},3)))*t)/3)"
        f"*exp(-25*mod(t,{30 / bpm:.5f}))"
        f"+0.2*sin(2*PI*1800*t)*exp(-120*mod(t,{60 / bpm:.5f}))")),
    # a soft major-seventh arpeggio with slow attacks and a shimmer above it
    "airy": lambda r, bpm: MusicCharacter(bpm, (
        f"0.3*sin(2*PI*{330 * r:.3f}*pow(2,(4*floor(mod(t*{bpm / 60:.4f},4))"
        f"-gte(floor(mod(t*{bpm / 60:.4f},4)),2))/12)*t)"
        f"*(1-exp(-8*mod(t,{60 / bpm:.5f})))*exp(-1.5*mod(t,{60 / bpm:.5f}))"
        f"+0.06*sin(2*PI*{1320 * r:.3f}*t)*(0.5+0.5*sin(2*PI*0.5*t))")),
}  # fmt: skip
#: The base tempo of each mood, and how the n-th product line of a category shifts the root
#: (a major third up, a minor third down) and the tempo.
MOOD_BPM = {"bright": 110.0, "energetic": 128.0, "dark": 60.0, "calm": 70.0,
            "playful": 100.0, "airy": 84.0}  # fmt: skip
PRODUCT_LINES = ((1.0, 1.0), (1.26, 1.15), (0.84, 0.87))

DEMO_WORLD = World("demo", DEMO_CONCEPTS, DEMO_CATEGORIES, BRANDS, DEMO_TEMPLATES, varied=True)


def product_tune(category: Category, product_index: int) -> Tune:
    """The music of a category's ``product_index``-th product line."""
    root, tempo = PRODUCT_LINES[product_index % len(PRODUCT_LINES)]
    return Tune(category.mood, root, round(MOOD_BPM[category.mood] * tempo, 2))


@dataclass(frozen=True)
class ClipPlan:
    concept: str
    sentence: str
    motion: str
    #: The photo shown (a file in :data:`IMAGE_FOLDER`); empty: the concept's own.
    image: str = ""
    #: Mirrored left to right.
    flip: bool = False
    #: How far the camera moves over the shot (see :attr:`Category.zoom`).
    zoom: float = 0.25
    #: ``cover``: the photo fills the frame (cropped to its shape); ``fit``: the whole photo
    #: on a blurred, enlarged copy of itself, as landscape shots are posted in portrait.
    framing: str = "cover"


@dataclass(frozen=True)
class AdPlan:
    """Everything about one ad before any file exists."""

    ad_id: str
    lang: str
    category: str
    mood: str
    product: Product
    clips: tuple[ClipPlan, ...]
    transcript: str = "srt"
    product_format: str = "toml"
    #: ``good`` or one of :data:`BAD_KINDS`.
    kind: str = "good"
    #: ``sft`` for good ads, else what the build should do (see :data:`BAD_KINDS`).
    expect: str = "sft"
    #: Seconds of silent footage after the last sentence.
    tail: float = 0.0
    #: For ``duplicate``: the ad whose files are copied.
    copy_of: str = ""
    #: Whether the ad has background music (mixed in and written as ``ID.bgm.ogg``).
    music: bool = True
    #: The music when the world makes it per product; None: the mood's one character
    #: (:func:`autocut_core.testing.samples.make_music`).
    tune: Tune | None = None

    @property
    def script(self) -> tuple[str, ...]:
        return tuple(clip.sentence for clip in self.clips)


@dataclass(frozen=True)
class WrittenAd:
    plan: AdPlan
    video: Path
    transcript: Path | None
    product: Path
    bgm: Path | None
    #: When each sentence is spoken (seconds), as the transcript says.
    cues: tuple[tuple[float, float, str], ...]
    duration: float
    #: Each clip's shot length (seconds), in order; the tail follows the last.
    shots: tuple[float, ...] = ()

    def concept_at(self, seconds: float) -> str | None:
        """The concept on screen at ``seconds`` (None in the tail or past the end)."""
        start = 0.0
        for clip, length in zip(self.plan.clips, self.shots, strict=True):
            if start <= seconds < start + length:
                return clip.concept
            start += length
        return None


@dataclass
class SyntheticCorpus:
    folder: Path
    ads: list[WrittenAd] = field(default_factory=list)

    @property
    def expected(self) -> dict[str, str]:
        """ad id -> ``sft``, ``skipped`` or the filter that should remove it."""
        return {ad.plan.ad_id: ad.plan.expect for ad in self.ads}


# --- planning ------------------------------------------------------------------------------


def plan_corpus(
    n_ads: int = 10,
    seed: int = 0,
    bad: Sequence[str] = tuple(BAD_KINDS),
    zh_share: float = 0.2,
    clips_per_ad: tuple[int, int] = (3, 4),
    world: World = BASIC_WORLD,
) -> list[AdPlan]:
    """``n_ads`` good ads of ``world`` (categories in turn, ``zh_share`` of them in Chinese)
    and one ad of each ``bad`` kind; deterministic from ``seed``."""
    unknown = [kind for kind in bad if kind not in BAD_KINDS]
    if unknown:
        raise ValueError(f"unknown bad ad kinds {unknown}; choose from {', '.join(BAD_KINDS)}")
    if n_ads < 1 and bad:
        raise ValueError("bad ads need at least one good ad to copy and compare with")
    rng = random.Random(seed)
    zh_every = round(1 / zh_share) if zh_share > 0 else 0
    plans = []
    for number in range(n_ads):
        lang = "zh" if zh_every and number % zh_every == zh_every - 1 else "en"
        category = world.categories[number % len(world.categories)]
        count = rng.randint(*clips_per_ad)
        ad_id = f"ad{number + 1:0{max(2, len(str(n_ads)))}d}"
        plans.append(_plan_ad(rng, ad_id, lang, category, count, number, world))
    for kind in bad:
        plans.append(_plan_bad(rng, kind, plans, world))
    return plans


def _plan_ad(
    rng: random.Random,
    ad_id: str,
    lang: str,
    category: Category,
    count: int,
    number: int,
    world: World = BASIC_WORLD,
) -> AdPlan:
    index = 1 if lang == "zh" else 0
    line = rng.randrange(len(category.products))
    product_name = category.products[line][index]
    brand = rng.choice(world.brands)[index]
    points = [point[index] for point in rng.sample(category.points, 2)]
    product = Product(
        name=product_name,
        brand=brand,
        category=category.zh if lang == "zh" else category.en,
        selling_points=tuple(points),
    )
    concepts = rng.sample(category.concepts, min(count, len(category.concepts)))
    templates = rng.sample(world.templates[lang], len(concepts))
    clips = []
    for position, (key, template) in enumerate(zip(concepts, templates, strict=True)):
        concept = world.concepts[key]
        sentence = template.format(
            concept=concept.zh if lang == "zh" else concept.en,
            brand=brand,
            product=product_name,
            point=points[position % len(points)],
        )
        clip = ClipPlan(key, sentence[0].upper() + sentence[1:], rng.choice(MOTIONS),
                        image=concept.image, zoom=category.zoom)  # fmt: skip
        if world.varied:
            clip = replace(clip, image=rng.choice(concept.images), flip=rng.random() < 0.5,
                           framing="fit")  # fmt: skip
        clips.append(clip)
    tune = None
    if world.varied:
        # A hair of detuning per ad: the same product line's music, never the same file.
        tune = product_tune(category, line)
        tune = replace(tune, root=round(tune.root * rng.uniform(0.997, 1.003), 5))
    return AdPlan(
        ad_id=ad_id, lang=lang, category=category.key, mood=category.mood, product=product,
        clips=tuple(clips), transcript=TRANSCRIPT_FORMATS[number % len(TRANSCRIPT_FORMATS)],
        product_format="json" if number % 4 == 3 else "toml", tune=tune,
    )  # fmt: skip


def _plan_bad(rng: random.Random, kind: str, good: list[AdPlan], world: World) -> AdPlan:
    # The long ad is calm: its two minutes of music are the cheapest character to synthesise.
    calm = next(category for category in world.categories if category.mood == "calm")
    category = calm if kind == "too_long" else rng.choice(world.categories)
    base = _plan_ad(rng, f"bad_{kind}", "en", category, 3, 0, world)
    base = replace(base, kind=kind, expect=BAD_KINDS[kind], transcript="srt")
    if kind == "short_clip":
        first = base.clips[0]
        return replace(base, clips=(replace(first, sentence="Wow!"), *base.clips[1:]))
    if kind == "repetitive":
        return replace(base, clips=tuple(replace(c, sentence="Buy it now.") for c in base.clips))
    if kind == "too_long":  # no music either: background music is optional
        return replace(base, tail=121.0, music=False)
    if kind == "duplicate":
        original = next(plan for plan in good if plan.lang == "en")
        return replace(original, ad_id=base.ad_id, kind=kind, expect=BAD_KINDS[kind],
                       copy_of=original.ad_id)  # fmt: skip
    return base


# --- writing -------------------------------------------------------------------------------


def make_synthetic_ads(
    folder: str | Path,
    n_ads: int = 10,
    seed: int = 0,
    bad: Sequence[str] = tuple(BAD_KINDS),
    size: tuple[int, int] = (160, 120),
    fps: int = 10,
    jobs: int = 2,
    clips_per_ad: tuple[int, int] = (3, 4),
    voice: str | None = "espeak",
    zh_share: float = 0.2,
) -> SyntheticCorpus:
    """Plan and write a corpus into ``folder`` (see :func:`plan_corpus`, :func:`write_corpus`)."""
    plans = plan_corpus(n_ads, seed, bad, zh_share=zh_share, clips_per_ad=clips_per_ad)
    return write_corpus(plans, folder, size, fps, jobs, voice)


def write_corpus(
    plans: Sequence[AdPlan],
    folder: str | Path,
    size: tuple[int, int] = (160, 120),
    fps: int = 10,
    jobs: int = 2,
    voice: str | None = "espeak",
) -> SyntheticCorpus:
    """Render every planned ad into ``folder``; copies (duplicates) after their originals."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    speaker = _voice(voice)
    originals = [plan for plan in plans if not plan.copy_of]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        written = list(pool.map(lambda plan: write_ad(plan, root, size, fps, speaker), originals))
    by_id = {ad.plan.ad_id: ad for ad in written}
    for plan in plans:
        if plan.copy_of:
            by_id[plan.ad_id] = _copy_ad(by_id[plan.copy_of], plan, root)
    return SyntheticCorpus(root, [by_id[plan.ad_id] for plan in plans])


def _voice(name: str | None):  # -> Voice | None
    if name is None:
        return None
    from autocut_core.plugins import get_registry

    # A brisk ad read: espeak-ng's default rate makes Chinese lines twice as long as English.
    return get_registry().create("voice", name, {"speed": VOICE_SPEED})


def write_ad(
    plan: AdPlan, folder: Path, size: tuple[int, int] = (160, 120), fps: int = 10, voice=None
) -> WrittenAd:
    """Speak, time, render and describe one ad: video, transcript, product facts, music."""
    with tempfile.TemporaryDirectory(prefix="autocut-ad-") as work:
        lines = _speak(plan, Path(work), voice)
        shots, cues = _timeline(plan, [duration for _, duration in lines], fps)
        duration = round(sum(shots) + plan.tail, 3)
        bgm = None
        if plan.music:
            bgm = _write_music(plan, folder / f"{plan.ad_id}.bgm.ogg", duration)
        video = folder / f"{plan.ad_id}.mp4"
        _render(plan, video, shots, cues, lines, bgm, size, fps)
    transcript = _write_transcript(plan, folder, cues)
    product = _write_product(plan, folder)
    return WrittenAd(plan, video, transcript, product, bgm, tuple(cues), duration, tuple(shots))


def _speak(plan: AdPlan, work: Path, voice) -> list[tuple[Path | None, float]]:
    """One voice line per sentence: (WAV file or None when silent, seconds)."""
    if voice is None:
        return [(None, _reading_time(clip.sentence)) for clip in plan.clips]
    spoken = voice.synthesize_batch([clip.sentence for clip in plan.clips], work)
    return [(Path(line.path), round(line.duration, 3)) for line in spoken]


def _reading_time(sentence: str) -> float:
    cjk = sum(1 for char in sentence if "\u4e00" <= char <= "\u9fff")
    return round(0.25 * cjk + 0.065 * (len(sentence) - cjk) + 0.3, 3)


def _timeline(
    plan: AdPlan, spoken: Sequence[float], fps: int = 10
) -> tuple[list[float], list[tuple[float, float, str]]]:
    """Shot lengths and sentence cues: each sentence centred in its own shot, each shot a
    whole number of frames (so the cuts in the video fall where the transcript says)."""
    shots, cues, start = [], [], 0.0
    for clip, seconds in zip(plan.clips, spoken, strict=True):
        shot = seconds + 2 * SPEECH_PAD
        if not (plan.kind == "short_clip" and clip.sentence == "Wow!"):
            shot = max(MIN_SHOT, shot)
        shot = round(round(shot * fps) / fps, 3)
        begin = round(start + (shot - seconds) / 2, 3)
        cues.append((begin, round(begin + seconds, 3), clip.sentence))
        shots.append(shot)
        start = round(start + shot, 3)
    return shots, cues


def _write_music(plan: AdPlan, target: Path, seconds: float) -> Path:
    """The ad's background music: its product line's tune, or its mood's one character."""
    if plan.tune is None:
        return make_music(target, seconds, plan.mood, sample_rate=22050).path
    return write_tune(target, seconds, plan.tune)


def write_tune(target: Path, seconds: float, tune: Tune, sample_rate: int = 22050) -> Path:
    """A stereo track of ``tune`` (:data:`TUNES`), faded in and out, codec from the suffix."""
    return write_sound(target, TUNES[tune.mood](tune.root, tune.bpm), seconds, sample_rate)


def _motion(motion: str, frames: int, amount: float = 0.25) -> str:
    """A zoompan expression: zoom or pan over the (twice-sized) picture by ``amount``."""
    progress = f"on/{max(1, frames - 1)}"
    centre = "x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
    top = f"{1 + amount:g}"
    return {
        "zoom_in": f"z='1+{amount:g}*{progress}':{centre}",
        "zoom_out": f"z='{top}-{amount:g}*{progress}':{centre}",
        "pan_right": f"z='{top}':x='(iw-iw/zoom)*{progress}':y='(ih-ih/zoom)/2'",
        "pan_left": f"z='{top}':x='(iw-iw/zoom)*(1-{progress})':y='(ih-ih/zoom)/2'",
    }[motion]


def _framed(index: int, framing: str, width: int, height: int) -> str:
    """Filters that put input ``index``'s photo on a ``width`` x ``height`` canvas."""
    cover = f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    if framing == "cover":
        return f"[{index}:v]{cover},"
    fit = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
    return (
        f"[{index}:v]split[bg{index}][fg{index}];[bg{index}]{cover},boxblur=12:2[blur{index}];"
        f"[fg{index}]{fit}[fit{index}];"
        f"[blur{index}][fit{index}]overlay=(W-w)/2:(H-h)/2,"
    )


def _render(
    plan: AdPlan,
    target: Path,
    shots: Sequence[float],
    cues: Sequence[tuple[float, float, str]],
    lines: Sequence[tuple[Path | None, float]],
    bgm: Path | None,
    size: tuple[int, int],
    fps: int,
) -> None:
    width, height = size
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    pictures = 0
    for number, (clip, shot) in enumerate(zip(plan.clips, shots, strict=True)):
        frames = max(1, round(shot * fps))
        picture = IMAGE_FOLDER / (clip.image or CONCEPTS[clip.concept].image)
        if picture.is_file():
            # Decode and scale the photo once, repeat that frame, then move over it.
            inputs += ["-i", str(picture)]
            mirror = "hflip," if clip.flip else ""
            chains.append(
                f"{_framed(pictures, clip.framing, 2 * width, 2 * height)}{mirror}setsar=1,"
                f"loop=loop={frames - 1}:size=1:start=0,"
                f"zoompan={_motion(clip.motion, frames, clip.zoom)}:d=1:s={width}x{height}:fps={fps},"
                f"trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p[v{number}]"
            )
            pictures += 1
        else:
            scene = SCENE_SOURCES[zlib.crc32(clip.concept.encode()) % len(SCENE_SOURCES)]
            source = scene.format(size=f"{width}x{height}", rate=fps, w=width, h=height)
            chains.append(
                f"{source},fps={fps},scale={width}:{height},setsar=1,trim=end_frame={frames},"
                f"setpts=PTS-STARTPTS,format=yuv420p[v{number}]"
            )
        labels.append(f"[v{number}]")
    if plan.tail > 0:
        frames = round(plan.tail * fps)
        chains.append(
            f"color=c=0x303030:size={width}x{height}:rate={fps},trim=end_frame={frames},"
            f"setsar=1,format=yuv420p[vtail]"
        )
        labels.append("[vtail]")
    chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]")
    duration = sum(shots) + plan.tail
    # The mix starts from silence of the ad's length, so an ad without music still has sound.
    mix = [f"anullsrc=r=22050:cl=mono,atrim=duration={duration:.3f}[base]"]
    voices = ["[base]"]
    audio_inputs: list[str] = []
    if bgm is not None:
        audio_inputs += ["-i", str(bgm)]
        mix.append(f"[{pictures}:a]volume=0.35[bgm]")
        voices.append("[bgm]")
    for number, ((path, _), (begin, _, _)) in enumerate(zip(lines, cues, strict=True)):
        if path is None:
            continue
        audio_inputs += ["-i", str(path)]
        delay = round(begin * 1000)
        mix.append(f"[{pictures + len(audio_inputs) // 2 - 1}:a]adelay={delay}:all=1[s{number}]")
        voices.append(f"[s{number}]")
    mix.append(f"{''.join(voices)}amix=inputs={len(voices)}:duration=first:normalize=0[a]")
    command = [
        _ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y",
        *inputs, *audio_inputs,
        "-filter_complex", ";".join(chains + mix),
        "-map", "[v]", "-map", "[a]", "-t", f"{duration:.3f}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(2 * fps),
        "-pix_fmt", "yuv420p",
        # Mono AAC with the fast coder: the default coder spends seconds on a two-minute ad.
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "48k", "-ac", "1", "-ar", "22050",
        *_deterministic_args(), "-movflags", "+faststart",
    ]  # fmt: skip
    with _partial(target) as partial:
        _run([*command, str(partial)])


def _write_transcript(
    plan: AdPlan, folder: Path, cues: Sequence[tuple[float, float, str]]
) -> Path | None:
    if plan.kind == "missing_transcript":
        return None
    if plan.kind == "empty":
        path = folder / f"{plan.ad_id}.json"
        path.write_text("[]\n", encoding="utf-8")
        return path
    path = folder / f"{plan.ad_id}.{plan.transcript}"
    if plan.transcript == "json":
        data = [{"start": s, "end": e, "text": text} for s, e, text in cues]
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    else:
        text = subtitle_text(cues, webvtt=plan.transcript == "vtt")
    if plan.kind == "broken_srt":  # an arrow typed with one dash, as hand edits go wrong
        text = text.replace(" --> ", " -> ", 2).replace(" -> ", " --> ", 1)
    path.write_text(text, encoding="utf-8")
    return path


def subtitle_text(cues: Sequence[tuple[float, float, str]], webvtt: bool = False) -> str:
    """Cues as SubRip (or WebVTT) text."""

    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        whole, millis = divmod(rest, 1000)
        return f"{hours:02d}:{minutes:02d}:{whole:02d}{'.' if webvtt else ','}{millis:03d}"

    blocks = ["WEBVTT\n"] if webvtt else []
    for number, (start, end, text) in enumerate(cues, start=1):
        counter = "" if webvtt else f"{number}\n"
        blocks.append(f"{counter}{stamp(start)} --> {stamp(end)}\n{text}\n")
    return "\n".join(blocks)


def _write_product(plan: AdPlan, folder: Path) -> Path:
    product = plan.product
    data = {
        "name": product.name,
        "brand": product.brand,
        "category": product.category,
        "selling_points": list(product.selling_points),
    }
    if plan.product_format == "json":
        path = folder / f"{plan.ad_id}.product.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        import tomli_w

        path = folder / f"{plan.ad_id}.product.toml"
        path.write_text(tomli_w.dumps({"product": data}), encoding="utf-8")
    return path


def _copy_ad(original: WrittenAd, plan: AdPlan, folder: Path) -> WrittenAd:
    """The same ad under another name (a re-upload): every file copied byte for byte."""

    def copy(path: Path | None) -> Path | None:
        if path is None:
            return None
        target = folder / path.name.replace(original.plan.ad_id, plan.ad_id, 1)
        shutil.copyfile(path, target)
        return target

    video, transcript = copy(original.video), copy(original.transcript)
    product, bgm = copy(original.product), copy(original.bgm)
    assert video is not None and product is not None
    return replace(
        original, plan=plan, video=video, transcript=transcript, product=product, bgm=bgm
    )


# --- the demo world ------------------------------------------------------------------------


def plan_demo_world(
    n_ads: int = 300, seed: int = 0, zh_share: float = 0.0, clips_per_ad: tuple[int, int] = (3, 4)
) -> list[AdPlan]:
    """``n_ads`` good ads of :data:`DEMO_WORLD` (no bad ones: the demo trains on clean data)."""
    return plan_corpus(n_ads, seed, bad=(), zh_share=zh_share, clips_per_ad=clips_per_ad,
                       world=DEMO_WORLD)  # fmt: skip


def make_demo_world(
    folder: str | Path,
    n_ads: int = 300,
    seed: int = 0,
    size: tuple[int, int] = (144, 256),
    fps: int = 8,
    jobs: int = 2,
    zh_share: float = 0.0,
    clips_per_ad: tuple[int, int] = (3, 4),
    voice: str | None = "espeak",
) -> SyntheticCorpus:
    """Plan and write the demo world: portrait 9:16 frames (the encoder sees a centre square
    of them, as of phone footage) at a low frame rate, since only the 1 fps frames are read."""
    plans = plan_demo_world(n_ads, seed, zh_share, clips_per_ad)
    return write_corpus(plans, folder, size, fps, jobs, voice)
