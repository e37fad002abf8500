"""``python -m peers.generate_scenario ...``: see ``cli``."""
from .cli import main

raise SystemExit(main())
