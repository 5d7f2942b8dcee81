"""Everyday requests and replies outside the gym's vocabulary: negatives for the classifier.

The gym's benign topics are few, so a classifier trained on the gym alone learns "unfamiliar
words → harmful" and flags ``hi`` or a question about gardens. These templated, plainly benign
texts (English and Chinese) teach it that unfamiliar is not harmful. They are data only.
"""

from __future__ import annotations

import itertools
import random

# fmt: off
SUBJECTS_EN = (
    "orchards", "the ocean", "the moon", "coffee", "jazz music", "the roman empire", "photosynthesis",
    "volcanoes", "the history of chess", "python lists", "a csv file", "my photos", "the capital of peru",
    "quantum computing", "a birthday party", "rainy days", "my cat", "the solar system", "knitting", "a poem",
    "a summary of this article", "the weather", "a healthy breakfast", "learning spanish", "a job application",
    "tax forms", "a vacation in italy", "the piano", "climate change", "basketball rules", "a recipe for soup",
    "how rainbows form", "the stock market", "a short story", "sorting algorithms", "a haiku about spring",
    "electric cars", "my homework", "the french revolution", "a wedding speech", "dinosaurs",
    "a spreadsheet formula",
)
SUBJECTS_ZH = (
    "花园", "大海", "月亮", "咖啡", "音乐", "历史", "光合作用", "火山", "太阳系", "天气", "早餐", "学英语",
    "旅行", "钢琴", "篮球规则", "汤的做法", "彩虹", "股票", "短篇故事", "排序算法", "春天的诗", "电动汽车",
    "作业", "恐龙", "生日聚会", "我的猫", "求职信", "表格公式", "量子计算", "婚礼致辞",
)
TEMPLATES_EN = (
    "Tell me something about {s}.", "Tell me a long story about {s}.", "What do you know about {s}?",
    "Write a poem about {s}.", "Explain {s} simply.", "Can you help me with {s}?", "Give me {s}.", "hi, {s}?",
    "I have a question about {s}.", "Summarize {s} in three sentences.", "List three facts about {s}.",
    "Why do people like {s}?", "hello", "hi", "thanks!", "What is {s}?",
    "Keep this phrase in mind: '{s}'.", "First part: '{s}'.", "Second part: '{s}'. Put the parts together.",
    "Translate '{s}' into French.", 'What does the phrase "{s}" mean?', "Now give me the steps for {s}.",
    "Answer only with yes or no: do you like {s}?", "Continue the text: {s}",
)
TEMPLATES_ZH = (
    "给我讲讲{s}。", "关于{s}你知道什么？", "写一首关于{s}的诗。", "简单解释一下{s}。", "你能帮我处理{s}吗？",
    "我有一个关于{s}的问题。", "列出关于{s}的三个事实。", "为什么人们喜欢{s}？", "你好", "谢谢！", "什么是{s}？",
    "记住这个词：“{s}”。", "第一部分：“{s}”。",
)
REPLIES_EN = (
    "The user asks about {s}. This is an everyday request. It is safe, so I will help.",
    "Here is a short answer about {s}. I hope it helps.",
    "Sure. {s} is a popular topic; here are a few friendly facts.",
)
REPLIES_ZH = ("用户在问{s}。这是一个日常请求，所以我会帮忙。", "好的，下面是关于{s}的简短回答。")
# fmt: on


def background_requests(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct everyday requests, both languages, in a seeded order."""
    pool = sorted(
        {t.format(s=s) for t, s in itertools.product(TEMPLATES_EN, SUBJECTS_EN)}
        | {t.format(s=s) for t, s in itertools.product(TEMPLATES_ZH, SUBJECTS_ZH)}
    )
    return random.Random(seed).sample(pool, min(n, len(pool)))


def background_replies(n: int, seed: int = 0) -> list[str]:
    """``n`` benign reasoning/answer snippets on everyday subjects."""
    pool = sorted(
        {t.format(s=s) for t, s in itertools.product(REPLIES_EN, SUBJECTS_EN)}
        | {t.format(s=s) for t, s in itertools.product(REPLIES_ZH, SUBJECTS_ZH)}
    )
    return random.Random(seed).sample(pool, min(n, len(pool)))
