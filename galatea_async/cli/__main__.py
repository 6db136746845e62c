"""``python -m galatea_async.cli``."""

from galatea_async.cli import main

if __name__ == "__main__":
    main()
