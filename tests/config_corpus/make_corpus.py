"""Rebuild the public part of the corpus (see README.md) from checkouts of boto/botocore and
aws/aws-cli: every file of botocore's tests/unit/cfg, and every string literal holding an
INI section header in the test modules listed below, one file each.

    python tests/config_corpus/make_corpus.py BOTOCORE_CHECKOUT AWS_CLI_CHECKOUT

Not run by the tests: the corpus is kept as data in the repository.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = {
    "botocore": (
        "tests/functional/test_credentials.py",
        "tests/unit/test_configloader.py",
        "tests/unit/test_credentials.py",
    ),
    "awscli": (
        "tests/unit/customizations/configure/test_writer.py",
        "tests/functional/configure/test_configure.py",
    ),
}


def has_section(text: str) -> bool:
    return any(
        line.strip().startswith("[") and line.strip().endswith("]") for line in text.splitlines()
    )


def literals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and has_section(text) and text not in found:
            found.append(text)
    return found


def main(botocore: Path, awscli: Path) -> None:
    out = HERE / "public"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for cfg in sorted((botocore / "tests/unit/cfg").iterdir()):
        shutil.copyfile(cfg, out / f"botocore-cfg-{cfg.name}")
    for project, root in (("botocore", botocore), ("awscli", awscli)):
        for module in MODULES[project]:
            for text in literals(root / module):
                digest = hashlib.sha256(text.encode()).hexdigest()[:8]
                name = f"{project}-{Path(module).stem}-{digest}"
                (out / name).write_text(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
