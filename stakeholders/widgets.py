"""Form widgets shared by the portal's pages."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A single select rendered in Python, with the same markup as Django's.

    Django's widget templates include one template per option; with a big city's hundred
    organisations that was two thirds of the directory page's time (`make bench`).
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        selected = mark_safe(" selected")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(option), selected if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options)
