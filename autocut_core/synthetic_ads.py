"""A world of finished synthetic ads with known facts: training data for tests and demos.

Each ad sells a made-up product (name, brand, category, selling points) and is made of
clips whose pictures differ by what their sentence says: a real photo (the ``opencv-doc``
sample images: an apple, a footballer, a starry sky, an aloe plant...) zoomed or panned with
ffmpeg, so pretrained image encoders see real objects; where those photos are missing, a
generated scene from :data:`autocut_core.samples.SCENE_SOURCES` stands in. One sentence per
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
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from autocut_core.samples import (
    SCENE_SOURCES,
    _deterministic_args,
    _ffmpeg,
    _partial,
    _run,
    make_music,
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
class ClipPlan:
    concept: str
    sentence: str
    motion: str


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
) -> list[AdPlan]:
    """``n_ads`` good ads (categories in turn, ``zh_share`` of them in Chinese) and one ad of
    each ``bad`` kind; deterministic from ``seed``."""
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
        category = CATEGORIES[number % len(CATEGORIES)]
        count = rng.randint(*clips_per_ad)
        plans.append(_plan_ad(rng, f"ad{number + 1:02d}", lang, category, count, number))
    for kind in bad:
        plans.append(_plan_bad(rng, kind, plans))
    return plans


def _plan_ad(
    rng: random.Random, ad_id: str, lang: str, category: Category, count: int, number: int
) -> AdPlan:
    index = 1 if lang == "zh" else 0
    product_name = rng.choice(category.products)[index]
    brand = rng.choice(BRANDS)[index]
    points = [point[index] for point in rng.sample(category.points, 2)]
    product = Product(
        name=product_name,
        brand=brand,
        category=category.zh if lang == "zh" else category.en,
        selling_points=tuple(points),
    )
    concepts = rng.sample(category.concepts, min(count, len(category.concepts)))
    templates = rng.sample(TEMPLATES[lang], len(concepts))
    clips = []
    for position, (key, template) in enumerate(zip(concepts, templates, strict=True)):
        concept = CONCEPTS[key]
        sentence = template.format(
            concept=concept.zh if lang == "zh" else concept.en,
            brand=brand,
            product=product_name,
            point=points[position % len(points)],
        )
        clips.append(ClipPlan(key, sentence[0].upper() + sentence[1:], rng.choice(MOTIONS)))
    return AdPlan(
        ad_id=ad_id, lang=lang, category=category.key, mood=category.mood, product=product,
        clips=tuple(clips), transcript=TRANSCRIPT_FORMATS[number % len(TRANSCRIPT_FORMATS)],
        product_format="json" if number % 4 == 3 else "toml",
    )  # fmt: skip


def _plan_bad(rng: random.Random, kind: str, good: list[AdPlan]) -> AdPlan:
    # The long ad is calm: its two minutes of music are the cheapest character to synthesise.
    category = CATEGORIES[3] if kind == "too_long" else rng.choice(CATEGORIES)
    base = _plan_ad(rng, f"bad_{kind}", "en", category, 3, 0)
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
        shots, cues = _timeline(plan, [duration for _, duration in lines])
        duration = round(sum(shots) + plan.tail, 3)
        bgm = None
        if plan.music:
            bgm = make_music(
                folder / f"{plan.ad_id}.bgm.ogg", duration, plan.mood, sample_rate=22050
            ).path
        video = folder / f"{plan.ad_id}.mp4"
        _render(plan, video, shots, cues, lines, bgm, size, fps)
    transcript = _write_transcript(plan, folder, cues)
    product = _write_product(plan, folder)
    return WrittenAd(plan, video, transcript, product, bgm, tuple(cues), duration)


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
    plan: AdPlan, spoken: Sequence[float]
) -> tuple[list[float], list[tuple[float, float, str]]]:
    """Shot lengths and sentence cues: each sentence centred in its own shot."""
    shots, cues, start = [], [], 0.0
    for clip, seconds in zip(plan.clips, spoken, strict=True):
        shot = seconds + 2 * SPEECH_PAD
        if not (plan.kind == "short_clip" and clip.sentence == "Wow!"):
            shot = max(MIN_SHOT, shot)
        shot = round(shot, 1)  # whole frames at 10 fps
        begin = round(start + (shot - seconds) / 2, 3)
        cues.append((begin, round(begin + seconds, 3), clip.sentence))
        shots.append(shot)
        start = round(start + shot, 3)
    return shots, cues


def _motion(motion: str, frames: int) -> str:
    """A zoompan expression: slow zoom or pan over the (twice-sized) picture."""
    progress = f"on/{max(1, frames - 1)}"
    centre = "x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
    return {
        "zoom_in": f"z='1+0.25*{progress}':{centre}",
        "zoom_out": f"z='1.25-0.25*{progress}':{centre}",
        "pan_right": f"z='1.25':x='(iw-iw/zoom)*{progress}':y='(ih-ih/zoom)/2'",
        "pan_left": f"z='1.25':x='(iw-iw/zoom)*(1-{progress})':y='(ih-ih/zoom)/2'",
    }[motion]


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
        picture = IMAGE_FOLDER / CONCEPTS[clip.concept].image
        if picture.is_file():
            # Decode and scale the photo once, repeat that frame, then move over it.
            inputs += ["-i", str(picture)]
            chains.append(
                f"[{pictures}:v]scale={2 * width}:{2 * height}:force_original_aspect_ratio=increase,"
                f"crop={2 * width}:{2 * height},setsar=1,loop=loop={frames - 1}:size=1:start=0,"
                f"zoompan={_motion(clip.motion, frames)}:d=1:s={width}x{height}:fps={fps},"
                f"trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p[v{number}]"
            )
            pictures += 1
        else:
            scene = SCENE_SOURCES[list(CONCEPTS).index(clip.concept) % len(SCENE_SOURCES)]
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
