"""``python -m funnelkit``: the same command as ``funnelkit`` (batch runs clients this way)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="funnelkit")
