"""`python -m bot.cli …` is the `gridbot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
