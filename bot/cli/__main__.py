"""`python -m bot.cli …` is the `gridbot` command."""

import sys

from bot.cli.entry import main

sys.exit(main())
