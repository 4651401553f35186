"""Markdown to safe HTML for briefing bodies: rendered, then sanitised with nh3.

Authors write Markdown; raw HTML in it is not trusted. nh3 (ammonia) keeps an allow-list of
tags and attributes, drops <script>, event handlers and javascript: links, and adds
rel="noopener noreferrer" to links, so nothing an author types can run in a reader's page.
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """Render an author's Markdown as HTML safe to put in a page or a mail.

    Headings start at h2: the page's own h1 is the briefing's title.
    """
    html = markdown_lib.markdown(
        text or "", extensions=["tables", "sane_lists"], output_format="html"
    )
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def markdown_has_html(text: str) -> bool:
    """Whether the author typed raw HTML (shown as a warning: it will not survive)."""
    html = markdown_lib.markdown(text or "", output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES) != html
