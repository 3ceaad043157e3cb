"""``python -m funnelkit``: the same command as ``funnelkit`` (batch runs clients this way)."""

from .run.cli import main

if __name__ == "__main__":
    main(prog_name="funnelkit")
