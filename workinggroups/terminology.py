"""A gentle terminology check (DOMAIN.md lesson 6): it suggests words, it never blocks.

"Threat", "mapping" and "targeted violence and terrorism" can alienate and stigmatise the
very partners a working group needs at the table; the programme speaks of hate, extremism
and polarisation, social cohesion and safety, stakeholder identification, needs and
vulnerabilities.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Words to avoid -> the preferred wording. Longer phrases come first in the pattern, so
# "threat assessment" is suggested as a whole rather than as "threat".
PREFERRED_WORDS = {
    "targeted violence and terrorism": _("hate, extremism and polarisation"),
    "targeted violence": _("hate, extremism and polarisation"),
    "terrorism": _("hate, extremism and polarisation"),
    "countering violent extremism": _("preventing hate and extremism"),
    "threat briefing": _("landscape briefing"),
    "threat assessment": _("needs and vulnerabilities assessment"),
    "threat landscape": _("the landscape of hate and extremism"),
    "threats": _("needs and vulnerabilities, or social cohesion and safety"),
    "threat": _("needs and vulnerabilities, or social cohesion and safety"),
    "stakeholder mapping": _("stakeholder identification"),
    "mapping": _("stakeholder identification"),
}

_PATTERN = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(word).replace(r"\ ", r"\s+")
        for word in sorted(PREFERRED_WORDS, key=len, reverse=True)
    )
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """A word to reconsider: as written, the suggested wording, where it starts in the text."""

    word: str
    suggestion: str
    position: int


def check_terminology(text: str) -> list[Finding]:
    """Find the words lesson 6 advises against, whole words only, in any letter case."""
    findings = []
    for match in _PATTERN.finditer(text or ""):
        key = " ".join(match.group(0).lower().split())
        findings.append(
            Finding(
                word=match.group(0), suggestion=str(PREFERRED_WORDS[key]), position=match.start()
            )
        )
    return findings
