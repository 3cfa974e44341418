from __future__ import annotations

from cases.text import analysis_text


def test_analysis_text_drops_handles_links_and_the_brand_and_decodes_entities():
    text = "@united thanks &amp; #United, my bag is lost http://t.co/xyz  again @AmericanAir"

    assert analysis_text(text, brand_names=["United"]) == "thanks & , my bag is lost again"


def test_analysis_text_removes_multi_word_brand_names_with_and_without_spaces():
    text = "Virgin America lost my bag, thanks VirginAmerica"

    assert analysis_text(text, brand_names=["Virgin America"]) == "lost my bag, thanks"


def test_analysis_text_keeps_words_that_merely_contain_the_brand():
    assert analysis_text("the skywayfarer app crashed", brand_names=["Skyway"]) == "the skywayfarer app crashed"


def test_analysis_text_removes_control_and_zero_width_characters_and_folds_whitespace():
    assert analysis_text("app\u200b  logs\tme\u0007 out\n\nagain") == "app logs me out again"


def test_analysis_text_keeps_emoji_and_right_to_left_text():
    assert analysis_text("طردي لم يصل 📦") == "طردي لم يصل 📦"


def test_analysis_text_keeps_email_addresses_intact():
    assert analysis_text("write to help@example.com please") == "write to help@example.com please"
