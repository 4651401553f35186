"""Form widgets shared by the portal's pages."""

from collections import OrderedDict
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

# Rendered option lists by their (value, label) pairs: a city's lists change rarely, and
# the directory's filters hold a hundred or more options (`make bench`'s "roster").
_OPTIONS: OrderedDict[tuple, str] = OrderedDict()
_OPTIONS_KEPT = 256


def options_html(pairs: tuple[tuple[str, str], ...]) -> str:
    html = _OPTIONS.get(pairs)
    if html is None:
        html = "".join(
            f'<option value="{escape(key)}">{escape(label)}</option>' for key, label in pairs
        )
        _OPTIONS[pairs] = html
        if len(_OPTIONS) > _OPTIONS_KEPT:
            _OPTIONS.popitem(last=False)
    return html


class QuickSelect(forms.Select):
    """A single select rendered in Python, with the same markup as Django's.

    Django's widget templates include one template per option; with a big city's hundred
    organisations that was two thirds of the directory page's time (`make bench`). The
    options are escaped once per distinct list (`options_html`); the chosen one is then
    marked, as Django marks it: the first option with that value.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        options = options_html(tuple((str(key), str(label)) for key, label in self.choices))
        for chosen in self.format_value(value)[:1]:
            plain = f'<option value="{escape(chosen)}">'
            options = options.replace(plain, f"{plain[:-1]} selected>", 1)
        return mark_safe(  # noqa: S308 - the name, attributes and options are escaped
            f'<select name="{escape(name)}"{flatatt(final_attrs)}>{options}</select>'
        )
