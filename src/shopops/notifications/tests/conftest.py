from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _source_language():
    """Messages are read in the active language: start each test in the site's default one (a page
    test elsewhere may have left English active in this thread)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield
