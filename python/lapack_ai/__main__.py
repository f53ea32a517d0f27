"""``python -m lapack_ai``: what the library runs on, as ``lapack-ai info``
prints it: the text of ``lapack_ai_info()`` (version, library, mode, the
OpenCL devices and the one chosen, the CPU library behind each routine, the
cost model's rates and their cache file), seen from this Python process.
"""

import sys

USAGE = "usage: python -m lapack_ai\n\nPrints what liblapack_ai.so runs on in this Python process (lapack_ai_info()).\n"


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv:
        sys.stderr.write(f"python -m lapack_ai: unknown argument {argv[0]!r}\n{USAGE}")
        return 2
    from . import _clib

    sys.stdout.write(_clib.function("lapack_ai_info")().decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
