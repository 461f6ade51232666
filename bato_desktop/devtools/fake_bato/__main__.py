"""``python -m bato_desktop.devtools.fake_bato``: the standalone demo server."""

from .demo import main

if __name__ == "__main__":
    raise SystemExit(main())
