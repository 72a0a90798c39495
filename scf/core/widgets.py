"""Form widgets every page shares."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker, given its value as ISO 8601 whatever the page's language.

    A date input reads only YYYY-MM-DD; rendered in the Chinese format (2026/12/05) the browser
    drops the value and shows an empty field.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
