import sys

from stsenv.cli import main

sys.exit(main())
