"""``python -m interlingua.codegen [--check]``: the same as ``interlingua codegen``."""

import sys

from interlingua.cli import main

raise SystemExit(main(["codegen", *sys.argv[1:]]))
