"""aws/configfile.py against botocore's configloader itself: section names of any text, and
whole files of generated sections, give what botocore gives (the corpus of real configs is
tests/aws/test_config_corpus.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from botocore import configloader
from hypothesis import given, settings
from hypothesis import strategies as st

from stsenv.aws import configfile
from stsenv.errors import UsageError

# Section names as people type them: words, blanks of every kind, quotes, backslashes.
NAME_TEXT = st.text(
    alphabet=st.sampled_from(list("profile sso-session ab\t\r\"'\\\x0b\xa0-_")), max_size=24
)


@given(NAME_TEXT)
@settings(max_examples=3000)
def test_a_section_name_names_what_botocore_names(key: str) -> None:
    assert configfile._section(key, {}) == configloader._parse_section(key, {})


@given(
    st.lists(
        st.tuples(
            NAME_TEXT.filter(lambda k: k.strip() and "]" not in k),
            st.sampled_from(["us-east-1", "eu-west-1"]),
        ),
        max_size=8,
    )
)
@settings(max_examples=300, deadline=None)
def test_a_file_of_such_sections_reads_as_botocore_reads_it(
    sections: list[tuple[str, str]],
) -> None:
    text = "".join(f"[{name}]\nregion = {region}\n" for name, region in sections)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config"
        path.write_text(text)
        try:
            theirs: object = configloader.load_config(str(path))
        except Exception as e:  # botocore's ConfigParseError (a repeated section)
            theirs = type(e).__name__
        try:
            ours: object = configfile.profile_map(
                configfile.raw_sections(str(path), "config") or {}
            )
        except UsageError:
            ours = "ConfigParseError"
    assert ours == theirs
