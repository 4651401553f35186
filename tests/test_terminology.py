"""The terminology check (DOMAIN.md lesson 6): suggestions, never a block."""

from workinggroups.terminology import check_terminology


def test_finds_discouraged_words_with_their_suggestion_and_position():
    text = "Opening; threat assessment for the city; stakeholder mapping"
    findings = check_terminology(text)
    assert [(f.word, f.position) for f in findings] == [
        ("threat assessment", text.index("threat")),
        ("stakeholder mapping", text.index("stakeholder")),
    ]
    assert findings[0].suggestion == "needs and vulnerabilities assessment"
    assert findings[1].suggestion == "stakeholder identification"


def test_is_case_insensitive_and_prefers_the_longest_phrase():
    findings = check_terminology("TARGETED VIOLENCE AND TERRORISM prevention; a Threat Briefing")
    assert [f.word for f in findings] == ["TARGETED VIOLENCE AND TERRORISM", "Threat Briefing"]
    assert findings[0].suggestion == "hate, extremism and polarisation"
    assert findings[1].suggestion == "landscape briefing"


def test_matches_whole_words_only():
    assert check_terminology("Threatening weather; remapping the route; threats") != []
    assert [f.word for f in check_terminology("Threatening weather; remapping the route")] == []


def test_preferred_language_passes_clean():
    text = "Landscape briefing on hate, extremism and polarisation; stakeholder identification"
    assert check_terminology(text) == []
    assert check_terminology("") == []
