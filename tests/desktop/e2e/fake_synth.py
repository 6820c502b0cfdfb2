"""A stand-in speech synthesiser for speech-dispatcher's generic module (see orca.py).

Called as ``fake_synth.py SPOKEN PIDS TEXT``: appends TEXT to SPOKEN (utterances separated by
the record separator), its process id to PIDS, then takes as long as a voice of about 50
characters a second would to say it, so that speech-dispatcher can stop it midway as it stops
a real voice. Said to the end, it adds "finished PID" to PIDS.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

SEPARATOR = "\x1e"
CHARACTERS_PER_SECOND = 50


def main() -> int:
    spoken, pids, text = Path(sys.argv[1]), Path(sys.argv[2]), " ".join(sys.argv[3:])
    with pids.open("a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")
    with spoken.open("a", encoding="utf-8") as out:
        out.write(text + SEPARATOR)
    time.sleep(min(len(text) / CHARACTERS_PER_SECOND, 10.0))
    with pids.open("a", encoding="utf-8") as out:
        out.write(f"finished {os.getpid()}\n")  # said to the end, not stopped
    return 0


if __name__ == "__main__":
    sys.exit(main())
