"""The line rules behind `keys add --from-credentials` / `keys remove` (aws/awsfiles.py on
aws/configfile.py's line_structure) against botocore's own reading, over the config corpus
(tests/config_corpus) and the shapes that once went wrong: an edit changes exactly the key
lines botocore assigns to that profile and nothing else."""

from __future__ import annotations

import configparser
import io
import shutil
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import exceptions as bx

from stsenv.aws import awsfiles, configfile
from stsenv.aws.source import botocore_sees
from stsenv.errors import UsageError

CORPUS = Path(__file__).resolve().parents[1] / "config_corpus"
FILES = sorted((CORPUS / "public").iterdir()) + sorted((CORPUS / "shapes").iterdir())
KEY = "aws_access_key_id = AKIAEXAMPLE0000001\naws_secret_access_key = s3cr3t{n}\n"

# Shapes that went wrong: (name, text, which file it is)
SHAPES = [
    (
        "comment-after-header",
        "[taro-prjZ]\n" + KEY.format(n=1) + "[hanako-prjZ] # second user\n" + KEY.format(n=2),
        "credentials",
    ),
    (
        "indented-options",
        "[taro-prjZ]\n    aws_access_key_id = AKIAEXAMPLE0000001\n"
        "    aws_secret_access_key = s3cr3t1\n    region = x\n[other]\n" + KEY.format(n=2),
        "credentials",
    ),
    ("quoted-profile", '[profile "taro"]\nregion = x\n' + KEY.format(n=1), "config"),
    (
        "shadowed-profile",
        "[profile taro]\n" + KEY.format(n=1) + "[profile  taro]\n" + KEY.format(n=2),
        "config",
    ),
    (
        "default-twice",
        "[default]\n" + KEY.format(n=1) + "[profile default]\nregion = y\n" + KEY.format(n=2),
        "config",
    ),
    (
        "continuations-and-comments",
        "[taro]\n; mine\nAWS_Secret_Access_Key : abc\n  def\n# between\n\n  ghi\n"
        "aws_access_key_id=AKIAEXAMPLE0000001\nregion = z\n  [not-a-section]\n[hanako]\n"
        "x = 1\n",
        "credentials",
    ),
    (
        "lone-cr-and-crlf",
        "[taro]\r" + "aws_access_key_id = AKIAEXAMPLE0000001\r\naws_secret_access_key = k\r"
        "[hanako]\r\naws_access_key_id = AKIAEXAMPLE0000002\r\n",
        "credentials",
    ),
    (
        "header-with-bracket-in-comment",
        "[taro] ; x ] y\n" + KEY.format(n=1) + "[taro]x\n" + KEY.format(n=2),
        "credentials",
    ),
]

CASES = [
    (f"{p.name}-as-{which}", p.read_bytes(), which)
    for p in FILES
    for which in ("config", "credentials")
]
CASES += [(name, text.encode(), which) for name, text, which in SHAPES]


def _botocore(config: str, credentials: str) -> dict[str, Any] | None:
    env = {
        "AWS_CONFIG_FILE": config,
        "AWS_SHARED_CREDENTIALS_FILE": credentials,
        "HOME": str(Path(config).parent),
    }
    with botocore_sees(env):
        try:
            return dict(botocore.session.Session().full_config["profiles"])
        except bx.ConfigParseError:
            return None


def _defaults(text: str) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    parser.read_file(io.StringIO(text, newline=None))
    return dict(parser.defaults())


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == other for other in it) for line in small)


@pytest.mark.parametrize(("name", "data", "which"), CASES, ids=[c[0] for c in CASES])
def test_remove_key_lines_changes_exactly_botocores_key_lines(
    tmp_path: Path, name: str, data: bytes, which: str
) -> None:
    original = tmp_path / "original"
    original.write_bytes(data)
    nowhere = str(tmp_path / "nowhere")
    pair = (str(original), nowhere) if which == "config" else (nowhere, str(original))
    before = _botocore(*pair)
    try:
        text = data.decode()
    except UnicodeDecodeError:
        text = None
    for profile in [*(before or {}), "no-such-profile"]:
        path = tmp_path / which
        shutil.copyfile(original, path)
        pair = (str(path), nowhere) if which == "config" else (nowhere, str(path))
        if before is None or text is None:
            with pytest.raises(UsageError):
                awsfiles.remove_key_lines(str(path), profile, config=which == "config")
            assert path.read_bytes() == data
            continue
        changed = awsfiles.remove_key_lines(str(path), profile, config=which == "config")
        after = _botocore(*pair)
        assert after is not None
        expected = {k: dict(v) for k, v in before.items()}
        defaults = _defaults(text)
        for option in awsfiles.KEY_OPTIONS:
            if profile in expected:
                if option in defaults:  # [DEFAULT] gives it to every section: left alone
                    expected[profile][option] = defaults[option]
                else:
                    expected[profile].pop(option, None)
        assert after == expected, (name, profile)
        new = path.read_bytes().decode()
        old_lines = list(io.StringIO(text, newline=""))
        new_lines = list(io.StringIO(new, newline=""))
        assert changed == (new != text)
        assert _is_subsequence(new_lines, old_lines)
        # nothing but option lines and their continuations went: no comment, no blank line
        gone = len(old_lines) - len(new_lines)
        kept_other = [ln for ln in new_lines if not ln.strip() or ln.strip()[0] in "#;"]
        assert len(kept_other) == len(
            [ln for ln in old_lines if not ln.strip() or ln.strip()[0] in "#;"]
        )
        assert gone >= 0


def test_line_structure_is_configparsers() -> None:
    """The walk gives configparser's own sections and options (and, blank lines aside,
    values) for every file of the corpus configparser parses."""
    checked = 0
    for path in FILES:
        try:
            text = path.read_bytes().decode()
            parser = configparser.RawConfigParser(default_section="\0")
            parser.read_file(io.StringIO(text, newline=None))
        except (UnicodeDecodeError, configparser.Error):
            continue
        lines = list(io.StringIO(text, newline=""))
        walked: dict[str, dict[str, list[str]]] = {}
        for line, seen in zip(lines, configfile.line_structure(lines), strict=True):
            if seen.kind == "section":
                walked.setdefault(str(seen.section), {})
            elif seen.kind == "option":
                value = configparser.RawConfigParser.OPTCRE.match(line.strip())
                assert value is not None
                walked[str(seen.section)][str(seen.option)] = [value.group("value").strip()]
            elif seen.kind == "continuation":
                walked[str(seen.section)][str(seen.option)].append(line.strip())
        theirs = {
            s: {
                o: [v for v in parser.get(s, o, raw=True).split("\n") if v]
                for o in parser.options(s)
            }
            for s in parser.sections()
        }
        ours = {
            s: {o: [v for v in vs if v] for o, vs in opts.items()} for s, opts in walked.items()
        }
        assert ours == theirs, path.name
        checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "header", ['[profile "taro"]', "[profile\ttaro]", "[profile taro] # mine", "[profilex taro]"]
)
def test_credential_process_goes_where_botocore_reads_the_profile(
    tmp_path: Path, header: str
) -> None:
    path = tmp_path / "config"
    text = f"[default]\nregion = a\n{header}\n    region = b\n    output = json\n"
    path.write_text(text)
    line = "stsenv credential-process --vault taro"
    assert awsfiles.set_credential_process(str(path), "taro", line)
    assert path.read_text().count("[") == 2  # no second section for taro
    profiles = _botocore(str(path), str(tmp_path / "nowhere"))
    assert profiles is not None
    assert profiles["taro"] == {"region": "b", "output": "json", "credential_process": line}
    assert awsfiles.credential_process_of(str(path), "taro") == line
    assert awsfiles.remove_credential_process(str(path), "taro")
    assert path.read_text() == text
