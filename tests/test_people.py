"""Person keys: the vectorised URL normalisation agrees with the one-at-a-time definition."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adviser_analytics.people import normalise_url, normalise_urls

PREFIXES = ["https://www.linkedin.com/in/", "http://linkedin.com/in/", "HTTPS://WWW.LinkedIn.com/in/",
            "fr.linkedin.com/in/", "www.linkedin.com/in/", " https://www.linkedin.com/in/",
            "https://www.linkedin.com/", "https://example.com/", ""]
SLUG_CHARS = st.sampled_from(list("abcXYZ09-_./%?#é ~&'\"") + ["%C3%A9", "\t", "\u00a0"])


@st.composite
def urls(draw):
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.sampled_from([None, float("nan"), "", "  "]))
    return draw(st.sampled_from(PREFIXES)) + "".join(draw(st.lists(SLUG_CHARS, max_size=12)))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(urls(), min_size=1, max_size=20), st.sampled_from(["object", "string[python]",
                                                                    "string[pyarrow]"]))
@pytest.mark.slow
def test_vectorised_normalisation_is_the_definition(values, dtype):
    series = pd.Series(values, dtype=dtype) if dtype != "object" else pd.Series(values, dtype=object)
    expected = [normalise_url(v) for v in series]
    got = [None if v is pd.NA else v for v in normalise_urls(series)]
    assert got == expected


def test_urls_in_normal_form_are_kept_and_others_normalised():
    series = pd.Series(["https://www.linkedin.com/in/ada", "https://www.linkedin.com/in/Ada/",
                        "linkedin.com/in/l%C3%A9a?trk=x", None])
    assert normalise_urls(series).tolist() == [
        "https://www.linkedin.com/in/ada", "https://www.linkedin.com/in/ada",
        "https://www.linkedin.com/in/léa", pd.NA]
