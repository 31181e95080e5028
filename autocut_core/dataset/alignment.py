"""One ad as one token sequence: the alignment corpus (paper §3.4, §7.6.1).

``<|ad_start|>`` product facts (plain text, the same lines as in the prompts) and a newline,
then per clip ``<|clip_start|><|text_start|>SENTENCE<|text_end|><|video_start|>`` its frames
``<|video_end|><|clip_end|>``, then the background music ``<|audio_start|><a_0_5>...
<|audio_end|>`` when the ad has one, then ``<|ad_end|>``. The model learns by next-token
prediction over the whole sequence which words go with which frames and music.

In the ``reference`` profile the facts and their newline are left out (its pre-training text
is ``<|ad_start|>``, the clips, the music, ``<|ad_end|>``): :meth:`Profile.ad_opening
<autocut_core.editing.profiles.Profile.ad_opening>` says how a sequence opens.
"""

from __future__ import annotations

from typing import Any

from autocut_core.dataset.records import Ad
from autocut_core.editing.profiles import DEFAULT_PROFILE, get_profile
from autocut_core.editing.prompts import AUDIO_END, AUDIO_START, clip_block


def alignment_text(ad: Ad, lang: str, profile: str = DEFAULT_PROFILE) -> str:
    assert ad.product is not None
    clips = "".join(clip_block(clip.tokens, clip.text) for clip in ad.clips)
    music = f"{AUDIO_START}{ad.bgm_tokens}{AUDIO_END}" if ad.bgm_tokens else ""
    return f"{get_profile(profile).ad_opening(ad.product, lang)}{clips}{music}<|ad_end|>"


def alignment_record(ad: Ad, lang: str, profile: str = DEFAULT_PROFILE) -> dict[str, Any]:
    """The ad's line in ``align/{train,val}.jsonl``."""
    return {"text": alignment_text(ad, lang, profile), "ad_id": ad.ad_id}
