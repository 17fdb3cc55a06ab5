"""``python -m specgame``: the same as the ``specgame`` command."""

from specgame.app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
