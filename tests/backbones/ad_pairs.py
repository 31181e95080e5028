"""Script sentences and the captions of the shots that belong under them.

Written the way ads and shot lists are: the sentence is ad copy, the caption says what the
camera sees, and most pairs share few or no words (a sentence encoder must bridge them). The
pairs come from eight product categories so that a random draw mixes near and far neighbours.
"""

from __future__ import annotations

#: (sentence, caption) pairs, English.
PAIRS_EN: tuple[tuple[str, str], ...] = (
    ("Unbox your new pair.", "hands lifting the lid off a shoe box"),
    ("Breathable mesh keeps you cool.", "close-up of the perforated mesh upper of a sneaker"),
    ("Rain? No problem.", "a runner splashing through puddles in the rain"),
    ("Cross the finish line first.", "an athlete breaking the tape at the end of a race"),
    ("Grip that holds on any trail.", "macro shot of the rubber outsole tread on rocks"),
    ("Coffee the way you like it, in seconds.", "an espresso machine pouring a shot into a cup"),
    ("Froth milk like a barista.", "a steam wand foaming milk in a steel jug"),
    ("Wake up to fresh aroma.", "morning light over a kitchen counter with a steaming mug"),
    ("Cleans itself after every brew.", "the machine rinsing its spout automatically"),
    ("Your skin will thank you.", "a woman smiling while touching her cheek in a mirror"),
    ("Just three drops every night.", "a dropper releasing serum onto a fingertip"),
    ("Made from pure plant extracts.", "green leaves and flowers next to a glass bottle"),
    ("Wake up glowing.", "a face with dewy radiant skin in soft daylight"),
    ("Music that moves with you.", "a jogger wearing wireless earbuds in a park"),
    (
        "Silence the noise of the city.",
        "a commuter on a crowded subway closing her eyes with headphones on",
    ),
    ("Battery that lasts all week.", "a charging case showing a full battery indicator"),
    (
        "Pairs instantly with your phone.",
        "a smartphone screen showing a bluetooth connection popup",
    ),
    ("Capture every moment in 4K.", "a camera filming a child blowing out birthday candles"),
    ("Steady shots, even on the run.", "footage from a gimbal while cycling down a bumpy road"),
    ("Dive deeper than ever.", "an action camera underwater among coral and fish"),
    ("Cook dinner in fifteen minutes.", "vegetables sizzling in a frying pan on a stove"),
    ("Nothing sticks to this pan.", "an omelette sliding off a nonstick skillet onto a plate"),
    ("Dishwasher safe, of course.", "a pan being placed into a dishwasher rack"),
    ("Built for the whole family.", "parents and two kids eating together at a dinner table"),
    ("Take it anywhere.", "a backpack being packed for a mountain hike"),
    ("Tough enough for any storm.", "a tent standing firm in strong wind and snow"),
    ("Sets up in one minute.", "a person unfolding a pop-up tent on grass"),
    ("Sleep under the stars.", "a campsite at night with the milky way overhead"),
    ("Your desk, finally tidy.", "cables organised neatly behind a clean desk"),
    ("Work longer without back pain.", "a person adjusting the lumbar support of an office chair"),
    ("Stand up and stay focused.", "a desk rising to standing height at the push of a button"),
    ("Order today, delivered tomorrow.", "a courier handing a parcel to a customer at the door"),
    ("Thirty days to change your mind.", "a returns label being attached to a cardboard box"),
    ("Loved by thousands of customers.", "five-star reviews scrolling on a phone screen"),
    ("Now with a bigger screen.", "a tablet display held next to its smaller predecessor"),
    ("Draw like on paper.", "a stylus sketching a portrait on a tablet"),
    ("Play without lag.", "a gamer reacting quickly in a fast racing game"),
    ("Your pet will love it.", "a dog eagerly eating from a food bowl"),
    ("Walks in any weather.", "a dog in a raincoat walking on a wet street"),
    ("Keeps your drink cold for 24 hours.", "ice cubes still frozen inside an insulated bottle"),
)

#: (sentence, caption) pairs, Chinese.
PAIRS_ZH: tuple[tuple[str, str], ...] = (
    ("网面透气，整天清爽。", "运动鞋透气网面特写"),
    ("雨天也不怕。", "跑者在雨中踩过水坑"),
    ("冲过终点线。", "运动员在比赛终点冲线"),
    ("一杯咖啡，几秒钟就好。", "咖啡机把浓缩咖啡倒进杯子"),
    ("像咖啡师一样打奶泡。", "蒸汽棒在钢杯里打奶泡"),
    ("每晚只需三滴精华。", "滴管把精华液滴在指尖上"),
    ("纯天然植物提取。", "玻璃瓶旁边的绿叶和花朵"),
    ("电池续航一整周。", "充电盒显示电量已满"),
    ("一秒连接手机。", "手机屏幕弹出蓝牙连接提示"),
    ("十五分钟做好晚餐。", "平底锅里翻炒蔬菜"),
    ("一分钟搭好帐篷。", "有人在草地上打开速开帐篷"),
    ("今天下单，明天送达。", "快递员在门口把包裹交给顾客"),
)
